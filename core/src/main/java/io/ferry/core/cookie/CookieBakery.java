package io.ferry.core.cookie;

import io.ferry.api.cookie.CookieException;
import io.ferry.api.cookie.Mandatory;
import io.ferry.api.cookie.Phase;
import io.ferry.core.section.MigrationSectionContext;
import io.ferry.core.section.SectionFailure;
import io.ferry.core.section.SectionGone;
import io.ferry.core.section.SectionHandle;
import io.ferry.core.section.SectionSet;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the sections of a phase: bakes the outgoing cookie, eats the incoming one. A section that can be
 * mandatory fails the phase when it fails; an optional one is skipped with a warning, as libvirt treats
 * graphics relocation.
 */
public final class CookieBakery {
    private static final Logger LOG = LoggerFactory.getLogger(CookieBakery.class);

    private final CookieCodec codec;

    public CookieBakery(CookieCodec codec) {
        this.codec = codec;
    }

    public CookieCodec codec() {
        return codec;
    }

    /** How often a phase takes its sections, when they keep leaving before their calls (a bundle updated again and again). */
    static final int MAX_TAKES = 3;

    /** A baked cookie, and what went into it. */
    public record Baked(String xml, List<String> features, List<ParsedCookie.Section> sections) {
    }

    /** Takes a phase's sections again after one of them left before its call (its bundle was updated): as the phase allows. */
    @FunctionalInterface
    public interface Retake {
        /**
         * @param left the sections of the bake, parse or eat that found one of them gone
         * @param gone the feature of the section found gone, or null when the failure did not say
         */
        SectionSet sections(SectionSet left, String gone) throws CookieException;
    }

    /**
     * {@link #bake(CookieHeader, SectionSet, MigrationSectionContext)}, baked anew from the sections {@code retake}
     * gives when a section's registration went away between the caller's taking the sections and its call (an update
     * of its bundle): the call never ran, and an update must not fail the phase if its new registration can take over.
     * Bakes read and offer; they act on nothing, so a second bake is as good as the first.
     */
    public Baked bake(CookieHeader header, SectionSet sections, MigrationSectionContext context, Retake retake)
            throws CookieException {
        return retaking("baking", context.phase(), sections, retake, from -> bake(header, from, context));
    }

    private static String feature(SectionGone gone) {
        return gone.section().map(section -> section.descriptor().feature()).orElse(null);
    }

    /** A bake or a parse with the sections given. */
    private interface Take<T> {
        T with(SectionSet sections) throws CookieException;
    }

    /**
     * Runs {@code take}, again with the sections {@code retake} gives while a section is gone, {@link #MAX_TAKES} times.
     *
     * @param phase the cookie's phase, for the log; null for a cookie of no phase (a round trip)
     */
    private static <T> T retaking(String what, Phase phase, SectionSet sections, Retake retake, Take<T> take)
            throws CookieException {
        SectionSet from = sections;
        for (int takes = 1; ; takes++) {
            try {
                return take.with(from);
            } catch (SectionGone e) {
                if (takes == MAX_TAKES) {
                    throw e;
                }
                LOG.info("{} the {}cookie again with the sections registered now: {}", what,
                        phase == null ? "" : phase.cliName() + " ", e.getMessage());
                from = retake.sections(from, feature(e));
            }
        }
    }

    /**
     * Bakes the cookie of {@code context.phase()} from the sections that bake in it.
     *
     * @param context the phase and migration; {@code feature} is set per section
     */
    public Baked bake(CookieHeader header, SectionSet sections, MigrationSectionContext context) throws CookieException {
        List<ParsedCookie.Section> baked = new ArrayList<>();
        List<String> features = new ArrayList<>();
        for (SectionHandle handle : sections.all()) {
            if (!handle.descriptor().bakesIn(context.phase())) {
                continue;
            }
            Optional<Object> value;
            try {
                value = handle.bake(context.forSection(handle.descriptor().feature()));
            } catch (SectionGone e) {
                throw e; // never ran, an optional section's neither: taken again, not left out for its bundle's update
            } catch (CookieException e) {
                if (handle.descriptor().mandatory() != Mandatory.NEVER) {
                    throw e;
                }
                LOG.warn("skipping optional cookie section {}: {}",
                        handle.descriptor().feature(), e.getMessage());
                continue;
            }
            if (value.isPresent()) {
                baked.add(new ParsedCookie.Section(handle, value.get()));
                if (handle.descriptor().mandatory() == Mandatory.WHEN_BAKED) {
                    features.add(handle.descriptor().feature());
                }
            }
        }
        while (true) {
            try {
                return new Baked(codec.format(header, features, baked), features, baked);
            } catch (SectionGone e) {
                throw e;
            } catch (SectionFailure e) {
                // a format that fails is the section's bake failing: an optional section is left out, as above
                SectionHandle failed = e.section().filter(h -> h.descriptor().mandatory() == Mandatory.NEVER).orElseThrow(() -> e);
                LOG.warn("skipping optional cookie section {}: {}", failed.descriptor().feature(), e.getMessage());
                if (!baked.removeIf(section -> section.handle() == failed)) {
                    throw e;
                }
            }
        }
    }

    /**
     * Parses a cookie with {@code sections}; parsed again with the sections {@code retake} gives when one of them went
     * away before its parse call (its bundle updated since the phase took it), up to {@link #MAX_TAKES} times. A parse
     * reads: a second is as good as the first.
     */
    public ParsedCookie parse(byte[] xml, EatRules rules, SectionSet sections, Retake retake) throws CookieException {
        return retaking("parsing", rules.phase(), sections, retake, from -> codec.parse(xml, rules, from));
    }

    /**
     * libvirt's round trip of a cookie ({@code ferry cookie roundtrip}): parsed with every section and formatted again,
     * both again with the sections {@code retake} gives when a section is gone, as a parse is.
     */
    public String roundTrip(byte[] xml, SectionSet sections, Retake retake) throws CookieException {
        return retaking("round-tripping", null, sections, retake, from -> {
            ParsedCookie parsed = codec.parse(xml, EatRules.roundTrip(), from);
            return codec.format(parsed.header(), List.of(), parsed.sections());
        });
    }

    /** Lets every parsed section act on its value, in canonical order. */
    public void eat(ParsedCookie cookie, MigrationSectionContext context) throws CookieException {
        eatOnce(cookie, context, EatListener.NONE);
    }

    /** {@link #eat(ParsedCookie, MigrationSectionContext, Retake, EatListener)}, telling no listener. */
    public void eat(ParsedCookie cookie, MigrationSectionContext context, Retake retake) throws CookieException {
        eat(cookie, context, retake, EatListener.NONE);
    }

    /**
     * {@link #eat(ParsedCookie, MigrationSectionContext)}; a section whose registration went away before its eat (its
     * bundle updated since the cookie was parsed) never ate, so the cookie is parsed again with the sections {@code retake}
     * gives (the value was read by the old registration's classes) and the sections that have not eaten yet eat, up to
     * {@link #MAX_TAKES} times. Those that ate do not eat again: an eat acts. {@code listener} hears what became of each
     * section (the cookie check's report): a section found gone is not a failure unless it is still gone at the last take.
     */
    public void eat(ParsedCookie cookie, MigrationSectionContext context, Retake retake, EatListener listener)
            throws CookieException {
        Retaken record = new Retaken(listener);
        ParsedCookie left = cookie;
        for (int eats = 1; ; eats++) {
            try {
                eatOnce(left, context, record);
                return;
            } catch (SectionGone e) {
                if (eats == MAX_TAKES || cookie.source() == null) {
                    listener.failed(record.gone, e, true);
                    throw e;
                }
                LOG.info("the {} cookie's sections that have not eaten yet eat with the sections registered now: {}",
                        context.phase().cliName(), e.getMessage());
                // all the cookie's sections, those that ate too: a parse without an announced feature's section refuses it
                SectionSet sections = retake.sections(new SectionSet(cookie.sections().stream().map(ParsedCookie.Section::handle)
                        .toList()), feature(e));
                ParsedCookie again;
                try {
                    again = parse(cookie.source().xml(), cookie.source().rules(), sections, retake);
                } catch (CookieException refused) { // the gone section's eat cannot go on: its failure
                    listener.failed(refused instanceof SectionFailure f ? f.section().orElse(record.gone) : record.gone,
                            refused, true);
                    throw refused;
                }
                left = new ParsedCookie(again.header(), again.features(), again.sections().stream()
                        .filter(section -> !record.done.contains(section.handle().descriptor().feature())).toList(),
                        again.source());
            }
        }
    }

    /** Passes an eat's outcomes on to its listener but for a section found gone; notes which sections are done. */
    private static final class Retaken implements EatListener {
        private final EatListener listener;
        private final Set<String> done = new HashSet<>();
        private SectionHandle gone;

        Retaken(EatListener listener) {
            this.listener = listener;
        }

        @Override
        public boolean eats(SectionHandle section) {
            return listener.eats(section);
        }

        @Override
        public void eaten(SectionHandle section) {
            done.add(section.descriptor().feature());
            listener.eaten(section);
        }

        @Override
        public boolean passesOver(SectionHandle section, CookieException failure) {
            boolean passed = listener.passesOver(section, failure);
            if (passed) {
                done.add(section.descriptor().feature());
            }
            return passed;
        }

        @Override
        public void failed(SectionHandle section, CookieException failure, boolean fatal) {
            if (failure instanceof SectionGone) { // taken again, or told the listener when it is not
                gone = section;
                return;
            }
            if (!fatal) { // an optional section that failed was skipped: not run twice
                done.add(section.descriptor().feature());
            }
            listener.failed(section, failure, fatal);
        }
    }

    /** One eat of {@code cookie}'s sections, telling {@code listener} what became of each. */
    private static void eatOnce(ParsedCookie cookie, MigrationSectionContext context, EatListener listener)
            throws CookieException {
        for (ParsedCookie.Section section : cookie.sections()) {
            SectionHandle handle = section.handle();
            if (!listener.eats(handle)) {
                continue;
            }
            try {
                handle.eat(context.forSection(handle.descriptor().feature()), section.value());
                listener.eaten(handle);
            } catch (CookieException e) {
                if (listener.passesOver(handle, e)) {
                    continue;
                }
                boolean announced = cookie.features().contains(handle.descriptor().feature());
                // a section gone never ate: an optional one's eat is taken again too (eat with a Retake), not skipped
                if (e instanceof SectionGone || announced || handle.descriptor().mandatory() != Mandatory.NEVER) {
                    listener.failed(handle, e, true);
                    throw e;
                }
                listener.failed(handle, e, false);
                LOG.warn("optional cookie section {} could not act on its data: {}",
                        handle.descriptor().feature(), e.getMessage());
            }
        }
    }

    /** What became of each section of an eat; a migration needs none of it. */
    public interface EatListener {
        EatListener NONE = new EatListener() {
        };

        /** Whether the section eats at all: a check eats no section that cannot know it is in one. */
        default boolean eats(SectionHandle section) {
            return true;
        }

        /** The section acted on its value. */
        default void eaten(SectionHandle section) {
        }

        /**
         * Whether a failure is none of the section's doing (in a check, it asked for data only a migration has): then
         * the section is passed over, neither eaten nor failed.
         */
        default boolean passesOver(SectionHandle section, CookieException failure) {
            return false;
        }

        /** @param fatal whether it fails the phase (a mandatory section), or is skipped and logged (an optional one) */
        default void failed(SectionHandle section, CookieException failure, boolean fatal) {
        }
    }
}
