package io.ferry.protocol;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** virsh migrate's flags, as the protocol carries them: {@code flags='live,persistent'}. */
public record MigrationFlags(boolean live, boolean p2p, boolean tunnelled, boolean offline, boolean persistent,
        boolean undefineSource, boolean v2) {

    public static final MigrationFlags NONE = new MigrationFlags(false, false, false, false, false, false, false);

    public static MigrationFlags parse(String text) throws ChannelException {
        // a flag named twice is still that flag (Set.of would throw on it)
        Set<String> names = text == null || text.isBlank() ? Set.of() : new HashSet<>(Arrays.asList(text.split(",")));
        for (String name : names) {
            if (!List.of("live", "p2p", "tunnelled", "offline", "persistent", "undefinesource", "v2").contains(name)) {
                throw new ChannelException("unknown migration flag " + Xml.quote(name), true);
            }
        }
        return new MigrationFlags(names.contains("live"), names.contains("p2p"), names.contains("tunnelled"),
                names.contains("offline"), names.contains("persistent"), names.contains("undefinesource"), names.contains("v2"));
    }

    public MigrationFlags withV2() {
        return new MigrationFlags(live, p2p, tunnelled, offline, persistent, undefineSource, true);
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
        return String.join(",", names);
    }
}
