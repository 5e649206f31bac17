package io.ferry.testkit;

import io.ferry.api.cookie.CookieException;
import io.ferry.api.cookie.CookieSection;
import io.ferry.api.cookie.Mandatory;
import io.ferry.api.cookie.Phase;
import io.ferry.api.cookie.SectionContext;
import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.core.section.SectionHandle;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * A migration of one section between two hosts: the source's section bakes, the real cookie codec carries its
 * fragment, the destination's section eats, through the five phases in order, in each phase the section declares,
 * with a daemon's rules: the versions are compared before anything is parsed (on a major mismatch, Prepare fails
 * naming both versions if the section baked a mandatory fragment at Begin, and the section is left out otherwise);
 * a failing mandatory section fails the migration before the destination's commit, an optional one is skipped;
 * after the commit (Finish's bake, Confirm's eat) failures are only noted. Each host has its own {@link TestSectionContext} for the test to equip
 * ({@link #source()}, {@link #destination()}); they share one in-memory side stream.
 *
 * @param <T> the section's value
 */
public final class TwoHosts<T> {
    private final Host source;
    private final Host destination;
    private Duration timeout = CoreParts.SECTION_TIMEOUT;

    private TwoHosts(CookieSection<T> atSource, SectionMetadata sourceMetadata, CookieSection<T> atDestination,
            SectionMetadata destinationMetadata) {
        InMemorySideStream stream = new InMemorySideStream();
        source = new Host(atSource, sourceMetadata, new TestSectionContext().localHost(
                new SectionContext.Host("source", CoreParts.uuid(1))).sideStream(stream));
        destination = new Host(atDestination, destinationMetadata, new TestSectionContext().localHost(
                new SectionContext.Host("destination", CoreParts.uuid(2))).sideStream(stream));
    }

    /**
     * The same section, with the metadata its class declares, on both hosts: both hosts call this one instance. Their
     * contexts have one migration id, as two daemons' do, so what the section keeps between calls (by migration id,
     * say) is the source's and the destination's at once, as it never is between daemons: {@link #of(Supplier)} gives
     * each host its own instance.
     */
    public static <T> TwoHosts<T> of(CookieSection<T> section) {
        SectionMetadata metadata = SectionMetadata.of(section.getClass());
        return new TwoHosts<>(section, metadata, section, metadata);
    }

    /**
     * A section of its own on each host, as each daemon has: {@code sections} makes the source's, then the
     * destination's, each with the metadata its class declares.
     *
     * @since 1.4
     */
    public static <T> TwoHosts<T> of(Supplier<? extends CookieSection<T>> sections) {
        CookieSection<T> atSource = sections.get();
        CookieSection<T> atDestination = sections.get();
        return new TwoHosts<>(atSource, SectionMetadata.of(atSource.getClass()), atDestination,
                SectionMetadata.of(atDestination.getClass()));
    }

    /** Two sections, e.g. two versions of one ({@link SectionMetadata#withVersion}). */
    public static <T> TwoHosts<T> between(CookieSection<T> atSource, SectionMetadata sourceMetadata,
            CookieSection<T> atDestination, SectionMetadata destinationMetadata) {
        return new TwoHosts<>(atSource, sourceMetadata, atDestination, destinationMetadata);
    }

    /** The source's context, to offer what the section looks up there. */
    public TestSectionContext source() {
        return source.context;
    }

    /** The destination's context. */
    public TestSectionContext destination() {
        return destination.context;
    }

    /** The migrating domain, on both hosts. */
    public TwoHosts<T> domain(DomainSpec domain) {
        source.context.domain(domain);
        destination.context.domain(domain);
        return this;
    }

    /** Each call's time limit, as {@code ferryd --section-timeout}; 30 s unless set. */
    public TwoHosts<T> timeout(Duration limit) {
        timeout = limit;
        return this;
    }

    /**
     * Runs Begin, Prepare, Perform, Finish and Confirm.
     *
     * @throws CookieException the migration's failure as a daemon would report it
     */
    public Migration<T> migrate() throws CookieException {
        Run run = new Run(source.handle(timeout), destination.handle(timeout));
        String feature = source.metadata.feature();
        boolean pinned = source.metadata.majorVersion() == destination.metadata.majorVersion();
        if (!pinned) {
            String versions = "the source has version " + source.metadata.version() + " and this host " + destination.metadata.version();
            if (source.metadata.mandatory() == Mandatory.WHEN_BAKED && source.metadata.bakes().contains(Phase.BEGIN)) {
                run.bake(Phase.BEGIN, source, run.sourceHandle);
                if (run.cookies.containsKey(Phase.BEGIN)) { // its fragment baked: announced
                    throw new CookieException("cookie section " + feature + " is mandatory for this domain, but "
                            + versions);
                }
            }
            run.notes.add("cookie section " + feature + ": the peer has version " + source.metadata.version() + " and this host "
                    + destination.metadata.version() + ": not used in this migration");
            return run.result();
        }
        String incoming = null;
        for (Phase phase : Phase.values()) {
            boolean atSource = phase == Phase.BEGIN || phase == Phase.PERFORM || phase == Phase.CONFIRM;
            Host here = atSource ? source : destination;
            SectionHandle handle = atSource ? run.sourceHandle : run.destinationHandle;
            if (phase != Phase.BEGIN) {
                run.eat(phase, here, handle, incoming);
            }
            incoming = run.bake(phase, here, handle);
        }
        return run.result();
    }

    /**
     * What a migration left.
     *
     * @param cookies the cookie each phase baked with the section's fragment, by phase
     * @param eaten the value each phase ate, by phase
     * @param notes what the daemons would log: skipped optional sections, failures after the commit, dropped versions
     */
    public record Migration<T>(Map<Phase, String> cookies, Map<Phase, T> eaten, List<String> notes) {
        public Optional<String> cookie(Phase phase) {
            return Optional.ofNullable(cookies.get(phase));
        }

        public Optional<T> eaten(Phase phase) {
            return Optional.ofNullable(eaten.get(phase));
        }
    }

    private record Host(CookieSection<?> section, SectionMetadata metadata, TestSectionContext context) {
        SectionHandle handle(Duration timeout) {
            return CoreParts.handle(section, metadata, timeout);
        }
    }

    /** One migration's state. */
    private final class Run {
        final SectionHandle sourceHandle;
        final SectionHandle destinationHandle;
        final Map<Phase, String> cookies = new EnumMap<>(Phase.class);
        final Map<Phase, T> eaten = new EnumMap<>(Phase.class);
        final List<String> notes = new ArrayList<>();

        Run(SectionHandle sourceHandle, SectionHandle destinationHandle) {
            this.sourceHandle = sourceHandle;
            this.destinationHandle = destinationHandle;
        }

        /**
         * Bakes {@code phase}'s cookie, as a daemon does in every phase: without the section's fragment when it bakes
         * nothing now, had nothing to say, or failed and is optional; null, no cookie at all, when it failed at Finish
         * and is mandatory (the daemon's Finish cookie fails whole, past the commit, and Confirm eats nothing).
         */
        String bake(Phase phase, Host here, SectionHandle handle) throws CookieException {
            Mandatory mandatory = here.metadata.mandatory();
            here.context.phase(phase).remoteHost(null);
            try {
                Optional<Object> value = here.metadata.bakes().contains(phase) ? handle.bake(here.context)
                        : Optional.empty();
                String cookie = CoreParts.cookie(handle, value.orElse(null), mandatory == Mandatory.WHEN_BAKED,
                        here.context);
                value.ifPresent(baked -> cookies.put(phase, cookie));
                return cookie;
            } catch (CookieException e) {
                if (mandatory == Mandatory.NEVER) {
                    notes.add("skipping optional cookie section " + here.metadata.feature() + " at " + phase.cliName()
                            + ": " + e.getMessage());
                    return CoreParts.cookie(handle, null, false, here.context);
                }
                if (phase != Phase.FINISH) {
                    throw e;
                }
                notes.add("after the commit, the Finish cookie could not be baked: " + e.getMessage());
                return null;
            }
        }

        /**
         * Parses the incoming cookie as a daemon does (whether or not the section eats now), then eats what the parse
         * gave: the fragment's value, or the absent value where the cookie has no fragment, or nothing (a fragment read
         * as nothing, no Finish cookie). After the commit a cookie Confirm cannot read is only noted.
         */
        @SuppressWarnings("unchecked")
        void eat(Phase phase, Host here, SectionHandle handle, String cookie) throws CookieException {
            if (cookie == null) {
                return;
            }
            CoreParts.Parsed parsed;
            try {
                parsed = CoreParts.parse(cookie, phase, handle, here.context);
            } catch (CookieException e) {
                if (phase != Phase.CONFIRM) {
                    throw e;
                }
                notes.add("after the commit, the Finish cookie could not be eaten: " + e.getMessage());
                return;
            }
            if (!here.metadata.eats().contains(phase) || parsed.value().isEmpty()) {
                return;
            }
            Object value = parsed.value().get();
            here.context.phase(phase).remoteHost(parsed.baker());
            try {
                handle.eat(here.context, value);
                eaten.put(phase, (T) value);
            } catch (CookieException e) {
                boolean announced = parsed.announced();
                if (phase != Phase.CONFIRM && (announced || here.metadata.mandatory() != Mandatory.NEVER)) {
                    throw e;
                }
                notes.add((phase == Phase.CONFIRM ? "after the commit, " : "optional ") + "cookie section "
                        + here.metadata.feature() + " could not act on its data at " + phase.cliName() + ": " + e.getMessage());
            }
        }

        Migration<T> result() {
            return new Migration<>(Map.copyOf(cookies), Map.copyOf(eaten), List.copyOf(notes));
        }
    }
}
