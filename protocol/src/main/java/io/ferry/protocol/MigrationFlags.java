package io.ferry.protocol;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * virsh migrate's flags, as the protocol carries them: {@code flags='live,persistent'}.
 *
 * @param unsafe virsh's {@code --unsafe} (VIR_MIGRATE_UNSAFE): migrate although a disk is on storage the
 *        destination may not share; a question for the source's Begin alone, so it goes to the source daemon
 *        ({@code migrate}, {@code begin}) and never to the destination ({@link #withoutUnsafe}), nor into a journal;
 *        a request without it means false
 * @param paused virsh's {@code --suspend} (VIR_MIGRATE_PAUSED): the domain is not resumed on the destination; its driver
 *        also sets it for a domain its source had paused before the migration began, as libvirt's drivers do. A daemon
 *        before it refuses the flag, so a migration that needs it does not arrive running there
 */
public record MigrationFlags(boolean live, boolean p2p, boolean tunnelled, boolean offline, boolean persistent,
        boolean undefineSource, boolean v2, boolean unsafe, boolean paused) {

    public static final MigrationFlags NONE = new MigrationFlags(false, false, false, false, false, false, false);

    /** The flags without {@code paused}, as they were before it. */
    public MigrationFlags(boolean live, boolean p2p, boolean tunnelled, boolean offline, boolean persistent,
            boolean undefineSource, boolean v2, boolean unsafe) {
        this(live, p2p, tunnelled, offline, persistent, undefineSource, v2, unsafe, false);
    }

    /** The flags without {@code unsafe}, as they were before it. */
    public MigrationFlags(boolean live, boolean p2p, boolean tunnelled, boolean offline, boolean persistent,
            boolean undefineSource, boolean v2) {
        this(live, p2p, tunnelled, offline, persistent, undefineSource, v2, false);
    }

    public static MigrationFlags parse(String text) throws ChannelException {
        // a flag named twice is still that flag (Set.of would throw on it)
        Set<String> names = text == null || text.isBlank() ? Set.of() : new HashSet<>(Arrays.asList(text.split(",")));
        for (String name : names) {
            if (!List.of("live", "p2p", "tunnelled", "offline", "persistent", "undefinesource", "v2", "unsafe", "paused")
                    .contains(name)) {
                throw new ChannelException("unknown migration flag " + Xml.quote(name), true);
            }
        }
        return new MigrationFlags(names.contains("live"), names.contains("p2p"), names.contains("tunnelled"),
                names.contains("offline"), names.contains("persistent"), names.contains("undefinesource"), names.contains("v2"),
                names.contains("unsafe"), names.contains("paused"));
    }

    public MigrationFlags withV2() {
        return new MigrationFlags(live, p2p, tunnelled, offline, persistent, undefineSource, true, unsafe, paused);
    }

    /** These flags with {@code paused}: the domain stays paused on the destination. */
    public MigrationFlags withPaused() {
        return new MigrationFlags(live, p2p, tunnelled, offline, persistent, undefineSource, v2, unsafe, true);
    }

    /**
     * These flags for the destination (Prepare) and the journal: {@code unsafe} is Begin's alone, and a daemon before
     * it refuses a flag it does not know.
     */
    public MigrationFlags withoutUnsafe() {
        return new MigrationFlags(live, p2p, tunnelled, offline, persistent, undefineSource, v2, false, paused);
    }

    @Override
    public String toString() {
        List<String> names = new ArrayList<>();
        if (live) {
            names.add("live");
        }
        if (p2p) {
            names.add("p2p");
        }
        if (tunnelled) {
            names.add("tunnelled");
        }
        if (offline) {
            names.add("offline");
        }
        if (persistent) {
            names.add("persistent");
        }
        if (undefineSource) {
            names.add("undefinesource");
        }
        if (v2) {
            names.add("v2");
        }
        if (unsafe) {
            names.add("unsafe");
        }
        if (paused) {
            names.add("paused");
        }
        return String.join(",", names);
    }
}
