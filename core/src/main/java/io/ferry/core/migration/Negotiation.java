package io.ferry.core.migration;

import io.ferry.api.cookie.CookieException;
import io.ferry.core.section.SectionDescriptor;
import io.ferry.core.section.SectionHandle;
import io.ferry.core.section.SectionSet;
import io.ferry.protocol.Messages.SectionVersion;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import io.ferry.api.cookie.Mandatory;

/**
 * Section negotiation, beyond libvirt: each side tells the other which sections (feature, version) it has, and
 * a migration pins the sections both have in the same major version, so later phases bake only what the peer
 * can eat. A section the source announced as mandatory that the peer lacks fails the migration at Prepare.
 */
final class Negotiation {
    private Negotiation() {
    }

    static List<SectionVersion> versions(SectionSet sections) {
        return sections.all().stream().map(h -> new SectionVersion(h.descriptor().feature(), h.descriptor().version())).toList();
    }

    /** The local sections that the peer has in the same major version. */
    static SectionSet common(SectionSet local, List<SectionVersion> peer) {
        if (peer == null) {
            return new SectionSet(List.of());
        }
        List<SectionHandle> shared = new ArrayList<>();
        for (SectionHandle handle : local.all()) {
            find(peer, handle.descriptor().feature())
                    .filter(v -> v.major() == handle.descriptor().majorVersion())
                    .ifPresent(v -> shared.add(handle));
        }
        return new SectionSet(shared);
    }

    /** Refuses when a feature announced as mandatory is missing here, or here in another major version. */
    static void requireMandatory(Collection<String> announced, SectionSet local, List<SectionVersion> peer) throws CookieException {
        for (String feature : announced) {
            Optional<SectionHandle> mine = local.byFeature(feature);
            if (mine.isEmpty()) {
                throw new CookieException("Unknown migration cookie feature " + feature);
            }
            Optional<SectionVersion> theirs = peer == null ? Optional.empty() : find(peer, feature);
            if (theirs.isPresent() && theirs.get().major() != mine.get().descriptor().majorVersion()) {
                throw new CookieException("cookie section " + feature + " is mandatory for this domain, but the source has"
                        + " version " + theirs.get().version() + " and this host " + mine.get().descriptor().version());
            }
        }
    }

    /**
     * The pinned sections as registered now: a section whose bundle was updated is replaced by the new
     * registration of the same feature and major version; one that is gone is dropped (the caller decides
     * whether that is fatal).
     */
    static SectionSet current(SectionSet pinned, SectionSet registered) {
        List<SectionHandle> now = new ArrayList<>();
        for (SectionHandle handle : pinned.all()) {
            SectionDescriptor wanted = handle.descriptor();
            registered.byFeature(wanted.feature()).filter(h -> h.descriptor().majorVersion() == wanted.majorVersion())
                    .ifPresent(now::add);
        }
        return new SectionSet(now);
    }

    /**
     * {@link #current}, but a pinned section that can be mandatory may not vanish: its replacement is waited for
     * {@code waitMillis} (a bundle being updated), then the migration fails.
     */
    static SectionSet requirePinned(SectionSet pinned, Supplier<SectionSet> registered, long waitMillis) throws CookieException {
        long deadline = System.currentTimeMillis() + waitMillis;
        while (true) {
            SectionSet now = current(pinned, registered.get());
            List<String> missing = pinned.all().stream()
                    .filter(h -> h.descriptor().mandatory() != Mandatory.NEVER)
                    .map(h -> h.descriptor().feature())
                    .filter(f -> now.byFeature(f).isEmpty()).toList();
            if (missing.isEmpty()) {
                return now;
            }
            if (System.currentTimeMillis() > deadline) {
                throw new CookieException("cookie section " + missing.get(0) + " was removed during the migration and"
                        + " no replacement registered; it is needed for this domain");
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CookieException("interrupted while waiting for cookie section " + missing.get(0));
            }
        }
    }

    private static Optional<SectionVersion> find(List<SectionVersion> sections, String feature) {
        return sections.stream().filter(s -> s.feature().equals(feature)).findFirst();
    }
}
