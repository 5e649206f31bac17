package io.ferry.core.migration;

import io.ferry.api.cookie.CookieException;
import io.ferry.api.cookie.Mandatory;
import io.ferry.api.cookie.Phase;
import io.ferry.core.cookie.CookieHeader;
import io.ferry.core.section.SectionDescriptor;
import io.ferry.core.section.SectionHandle;
import io.ferry.core.section.SectionSet;
import io.ferry.protocol.Messages.SectionVersion;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Section negotiation, beyond libvirt: each side tells the other which sections (feature, version) it has, and
 * a migration pins the sections both have in the same major version, so later phases bake only what the peer
 * can eat and no section ever parses a fragment of another major version. A feature the source announced as
 * mandatory that the peer lacks, or has in another major version, fails the migration at Prepare, before any
 * memory moves. A section that is away (its bundle being updated) is waited for, only if it still has a phase to
 * run: up to 10 s while the guest runs, 2 s while it is paused (an update's gap is tens of milliseconds).
 */
final class Negotiation {
    private static final Logger LOG = LoggerFactory.getLogger(Negotiation.class);

    private Negotiation() {
    }

    static List<SectionVersion> versions(SectionSet sections) {
        return sections.all().stream().map(h -> new SectionVersion(h.descriptor().feature(), h.descriptor().version())).toList();
    }

    /**
     * The local sections that the peer has in the same major version. A section both have in different major
     * versions is left out of the migration, and said so in the log.
     */
    static SectionSet common(SectionSet local, List<SectionVersion> peer) {
        if (peer == null) {
            return new SectionSet(List.of());
        }
        List<SectionHandle> shared = new ArrayList<>();
        for (SectionHandle handle : local.all()) {
            Optional<SectionVersion> theirs = find(peer, handle.descriptor().feature());
            if (theirs.isPresent() && theirs.get().major() == handle.descriptor().majorVersion()) {
                shared.add(handle);
            } else if (theirs.isPresent()) {
                LOG.warn("cookie section {}: the peer has version {} and this host {}: not used in this migration",
                        handle.descriptor().feature(), theirs.get().version(), handle.descriptor().version());
            }
        }
        return new SectionSet(shared);
    }

    /**
     * The sections Perform's cookie is baked with: those pinned with the peer ({@code common}), and those of Begin's
     * ({@code began}) the peer lacks or has in another major version that may be mandatory and bake at Perform (vTPM
     * state, baked with the guest paused). Begin announced nothing of them, so Prepare could not refuse them; left out,
     * what they bake would be lost with the source's copy. Baked, the cookie announces them and the peer refuses it
     * before its commit ("Unknown migration cookie feature"); one that bakes nothing announces nothing.
     */
    static SectionSet bakedAtPerform(SectionSet began, SectionSet common) {
        return new SectionSet(began.all().stream().filter(h -> common.byFeature(h.descriptor().feature()).isPresent()
                || h.descriptor().mandatory() != Mandatory.NEVER && h.descriptor().bakesIn(Phase.PERFORM)).toList());
    }

    /**
     * Perform's check, before any memory moves, of the features a domain is known to need ({@link MandatorySections})
     * whose sections bake at Perform alone: each must be at the peer in this host's major version. Prepare checks those
     * Begin's cookie announced (a section that bakes at Begin announces itself there when it has something to carry);
     * one baked at Perform alone would otherwise be refused only once the memory moved.
     *
     * @param local the sections the migration began with
     * @param domain the domain's name, for the refusal
     */
    static void requireAtPeer(Collection<String> needed, SectionSet local, List<SectionVersion> peer, String domain)
            throws CookieException {
        for (String feature : needed) {
            Optional<SectionHandle> mine = local.byFeature(feature);
            if (mine.isPresent() && !bakesAtPerformAlone(mine.get().descriptor())) {
                continue;
            }
            Optional<SectionVersion> theirs = peer == null ? Optional.empty() : find(peer, feature);
            if (mine.isEmpty() || theirs.isEmpty() || theirs.get().major() != mine.get().descriptor().majorVersion()) {
                String ours = mine.map(h -> h.descriptor().version()).orElse("none");
                throw new CookieException("cookie section " + feature + " is mandatory for domain " + domain + " (its"
                        + " definition or its last migration says so), but the destination has " + theirs
                                .map(t -> "version " + t.version() + " and this host " + ours)
                                .orElse("no such section (this host has version " + ours + ")")
                        + ": refused before its memory moves");
            }
        }
    }

    /**
     * Why protocol 2, which has no Perform cookie, cannot carry what a domain may need: a feature it is known to need
     * ({@code needed}), or a registered section that may be mandatory and bakes at Perform but not at Begin (whose bake
     * there would say). Empty if nothing mandatory could travel at Perform.
     */
    static Optional<String> needsProtocol3(Collection<String> needed, SectionSet registered, String domain) {
        Optional<String> remembered = needed.stream().filter(f -> registered.byFeature(f)
                .map(h -> bakesAtPerformAlone(h.descriptor())).orElse(true)).findFirst()
                .map(f -> "cookie section " + f + " is mandatory for domain " + domain);
        return remembered.or(() -> registered.all().stream().map(SectionHandle::descriptor)
                .filter(d -> d.mandatory() != Mandatory.NEVER && bakesAtPerformAlone(d))
                .findFirst().map(d -> "cookie section " + d.feature() + " may be mandatory for domain " + domain
                        + " (it bakes at Perform, which protocol 2 gives no cookie)"));
    }

    /** A section whose Begin bake cannot announce it: what it carries is known only at Perform, the guest paused. */
    private static boolean bakesAtPerformAlone(SectionDescriptor section) {
        return section.bakesIn(Phase.PERFORM) && !section.bakesIn(Phase.BEGIN);
    }

    /**
     * The registered sections once every one of {@code features} is among them, waiting up to {@code waitMillis}
     * for those that are away (a bundle being updated); refused naming the first still missing.
     *
     * @param refusal the refusal's text for a feature still missing
     */
    static SectionSet awaitFeatures(Collection<String> features, Supplier<SectionSet> registered, long waitMillis,
            Function<String, String> refusal) throws CookieException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(waitMillis);
        while (true) {
            SectionSet now = registered.get();
            Optional<String> missing = features.stream().filter(f -> now.byFeature(f).isEmpty()).findFirst();
            if (missing.isEmpty()) {
                return now;
            }
            if (System.nanoTime() - deadline >= 0) {
                throw new CookieException(refusal.apply(missing.get()));
            }
            pause(missing.get());
        }
    }

    /**
     * Prepare's check of what the Begin cookie announced as mandatory: each such feature must be here (waited for
     * while its bundle is being updated; absent: libvirt's "Unknown migration cookie feature") in the source's
     * major version. Returns the sections registered now.
     */
    static SectionSet requireMandatory(Collection<String> announced, Supplier<SectionSet> registered, List<SectionVersion> peer,
            long waitMillis) throws CookieException {
        SectionSet local = awaitFeatures(announced, registered, waitMillis, feature -> "Unknown migration cookie feature " + feature);
        for (String feature : announced) {
            SectionHandle mine = local.byFeature(feature).orElseThrow();
            Optional<SectionVersion> theirs = peer == null ? Optional.empty() : find(peer, feature);
            if (theirs.isPresent() && theirs.get().major() != mine.descriptor().majorVersion()) {
                throw new CookieException("cookie section " + feature + " is mandatory for this domain, but the source has"
                        + " version " + theirs.get().version() + " and this host " + mine.descriptor().version());
            }
        }
        return local;
    }

    /**
     * The pinned sections as registered now: a section whose bundle was updated is replaced by the new
     * registration that {@linkplain #replaces replaces} it; one that is gone, or changed, is dropped (the caller
     * decides whether that is fatal).
     */
    static SectionSet current(SectionSet pinned, SectionSet registered) {
        List<SectionHandle> now = new ArrayList<>();
        for (SectionHandle handle : pinned.all()) {
            SectionDescriptor wanted = handle.descriptor();
            Optional<SectionHandle> registration = registered.byFeature(wanted.feature());
            registration.filter(h -> replaces(h.descriptor(), wanted)).ifPresentOrElse(now::add, () -> registration
                    .filter(h -> h.descriptor().majorVersion() == wanted.majorVersion())
                    .ifPresent(changed -> LOG.warn("{}: left out of this migration", changedMidway(changed.descriptor(), wanted))));
        }
        return new SectionSet(now);
    }

    /**
     * Whether a registration can take over a pinned section's remaining calls: its fragment is read the same way (same
     * major version and element) and it is as mandatory. A section whose update renamed its element would look for
     * a fragment the peer never writes, and one made optional would leave out what the peer's mandatory one needs.
     */
    private static boolean replaces(SectionDescriptor registered, SectionDescriptor pinned) {
        return registered.majorVersion() == pinned.majorVersion() && registered.element().equals(pinned.element())
                && registered.mandatory() == pinned.mandatory();
    }

    private static String changedMidway(SectionDescriptor registered, SectionDescriptor pinned) {
        return "cookie section " + pinned.feature() + " was updated during the migration to element <" + registered.element()
                + "> and policy " + registered.mandatory() + ", where the migration pinned element <" + pinned.element()
                + "> and policy " + pinned.mandatory();
    }

    /**
     * {@link #current}, but a pinned section that can be mandatory and still has a phase to run on this host
     * ({@code remaining}) may not be away: its replacement is waited for up to {@code waitMillis} (shorter while the
     * guest is paused: {@link Timing#pausedSectionWaitMillis}), then the migration fails. A section whose phases are
     * over may come and go as it likes.
     */
    static SectionSet requirePinned(SectionSet pinned, Supplier<SectionSet> registered, Set<Phase> remaining, long waitMillis)
            throws CookieException {
        return requirePinned(pinned, registered, remaining, waitMillis, null);
    }

    /**
     * {@link #requirePinned(SectionSet, Supplier, Set, long)} after section {@code gone} was found gone at its call (its
     * bundle being updated): it is waited for too, even when optional, since its call never ran and its new registration
     * is usually milliseconds away; an optional one that is not back within the wait is left out, as one removed is.
     */
    static SectionSet requirePinned(SectionSet pinned, Supplier<SectionSet> registered, Set<Phase> remaining, long waitMillis,
            String gone) throws CookieException {
        List<String> needed = pinned.all().stream().map(SectionHandle::descriptor)
                .filter(d -> d.mandatory() != Mandatory.NEVER)
                .filter(d -> remaining.stream().anyMatch(p -> d.bakesIn(p) || d.eatsIn(p)))
                .map(SectionDescriptor::feature).toList();
        boolean awaitGone = gone != null && pinned.byFeature(gone).isPresent();
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(waitMillis);
        while (true) {
            SectionSet now = current(pinned, registered.get());
            Optional<String> missing = needed.stream().filter(f -> now.byFeature(f).isEmpty()).findFirst();
            boolean goneAway = awaitGone && now.byFeature(gone).isEmpty();
            boolean expired = System.nanoTime() - deadline >= 0;
            if (missing.isEmpty() && (!goneAway || expired)) {
                return now;
            }
            if (missing.isPresent() && expired) {
                SectionDescriptor wanted = pinned.byFeature(missing.get()).orElseThrow().descriptor();
                Optional<SectionDescriptor> serving = registered.get().byFeature(missing.get()).map(SectionHandle::descriptor);
                throw new CookieException(serving.map(d -> d.majorVersion() == wanted.majorVersion() ? changedMidway(d, wanted)
                        : "cookie section " + wanted.feature() + " was updated during the migration to version " + d.version()
                                + ", where the migration pinned version " + wanted.version() + " (another major version)")
                        .orElse("cookie section " + missing.get() + " was removed during the migration and no replacement"
                                + " registered") + "; it is needed for this domain");
            }
            pause(missing.orElse(gone));
        }
    }

    /**
     * {@link #requirePinned(SectionSet, Supplier, Set, long, String)} after the commit, which nothing may undo: a
     * section still away when the wait ends is left out of the phase, as one removed for good is, with a warning.
     */
    static SectionSet awaitPinned(SectionSet pinned, Supplier<SectionSet> registered, Phase phase, long waitMillis,
            String gone) {
        try {
            return requirePinned(pinned, registered, EnumSet.of(phase), waitMillis, gone);
        } catch (CookieException e) {
            LOG.warn("{}, but the migration is committed: its {} goes on without it", e.getMessage(),
                    CookieHeader.display(phase));
            return current(pinned, registered.get());
        }
    }

    private static void pause(String waitingFor) throws CookieException {
        try {
            Thread.sleep(50);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CookieException("interrupted while waiting for cookie section " + waitingFor);
        }
    }

    private static Optional<SectionVersion> find(List<SectionVersion> sections, String feature) {
        return sections.stream().filter(s -> s.feature().equals(feature)).findFirst();
    }
}
