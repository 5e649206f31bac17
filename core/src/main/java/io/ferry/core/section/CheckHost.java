package io.ferry.core.section;

import io.ferry.api.cookie.CheckOnly;
import io.ferry.api.cookie.SideStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.UnaryOperator;

/**
 * This host as a check ({@code ferry cookie check}, {@code ferry cookie bake}) shows it to the sections: stand-ins
 * that act on nothing in place of the capabilities a migration offers, {@link CheckOnly}, and what each section said
 * it would do or warned about. There is no VM, graphics or job here at all; nothing of this class reaches the host.
 */
public final class CheckHost {
    /** Why a section that asked for its side stream is not eaten in a check. */
    public static final String NO_SIDE_STREAM = "its data comes through the migration's side stream";

    private final String lockManager;
    private final UnaryOperator<String> heldLeaseState;
    private final Map<String, List<String>> notes = new ConcurrentHashMap<>();
    private final Set<String> askedForStream = ConcurrentHashMap.newKeySet();

    /**
     * @param lockManager this host's lock manager, as a migration's leases name it; null when leases are off
     * @param heldLeaseState the state of the leases of the domain of a name if this host holds them now, else null
     *        (what a migration's Begin would bake)
     */
    public CheckHost(String lockManager, UnaryOperator<String> heldLeaseState) {
        this.lockManager = lockManager;
        this.heldLeaseState = heldLeaseState;
    }

    /** The stand-in of {@code type} for the section of {@code feature} and the domain of that name, if the check has one. */
    <T> Optional<T> capability(String feature, String domain, Class<T> type) {
        if (type == CheckOnly.class) {
            return Optional.of(type.cast((CheckOnly) action -> note(feature, "would " + action)));
        }
        if (type == SideStream.class) {
            return Optional.of(type.cast(new NoSideStream(feature)));
        }
        if (lockManager != null && (type == io.ferry.api.lock.DomainLeases.class || type == io.ferry.api.cookie.DomainLeases.class)) {
            return Optional.of(type.cast(new CheckLeases(feature, domain)));
        }
        return Optional.empty();
    }

    /** A warning the section logged, shown with it. */
    void warned(String feature, String message) {
        note(feature, "warning: " + message);
    }

    /** One line each: what a section would do may quote its peer, as its warnings may. */
    private void note(String feature, String text) {
        notes.computeIfAbsent(feature, f -> java.util.Collections.synchronizedList(new ArrayList<>()))
                .add(SectionCalls.oneLine(text));
    }

    /** What the section of {@code feature} said it would do, and its warnings, in order. */
    public List<String> notes(String feature) {
        List<String> said = notes.getOrDefault(feature, List.of());
        synchronized (said) {
            return List.copyOf(said);
        }
    }

    /** Whether the section of {@code feature} asked for the data of its side stream, which only a migration has. */
    public boolean askedForSideStream(String feature) {
        return askedForStream.contains(feature);
    }

    /** What a section reads when it opens its side stream in a check: nothing, for this reason. */
    private static final class NoSideStreamData extends IOException {
        private static final long serialVersionUID = 1L;

        NoSideStreamData() {
            super(NO_SIDE_STREAM);
        }
    }

    /** A side stream that takes what the section offers (nobody will ask) and has nothing to read. */
    private final class NoSideStream implements SideStream {
        private final String feature;

        NoSideStream(String feature) {
            this.feature = feature;
        }

        @Override
        public void offer(Writer writer) {
            // a check has no destination to ask for it
        }

        @Override
        public InputStream open() throws IOException {
            askedForStream.add(feature);
            throw new NoSideStreamData();
        }
    }

    /** Leases that name this host's manager and acquire nothing; both api types, as the core's own. */
    @SuppressWarnings("deprecation")
    private final class CheckLeases implements io.ferry.api.cookie.DomainLeases {
        private final String feature;
        private final String domain;

        CheckLeases(String feature, String domain) {
            this.feature = feature;
            this.domain = domain;
        }

        @Override
        public String manager() {
            return lockManager;
        }

        @Override
        public String state() {
            return heldLeaseState.apply(domain);
        }

        @Override
        public void acquireWith(String state) {
            note(feature, "would acquire the domain's disk leases with " + lockManager + " state '"
                    + (state == null ? "" : state) + "'");
        }
    }
}
