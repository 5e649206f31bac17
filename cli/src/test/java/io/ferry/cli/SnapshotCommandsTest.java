package io.ferry.cli;

import static org.junit.Assert.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import io.ferry.protocol.DaemonMessages.Snapshot;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.Test;

/** snapshot-list's virsh layouts. */
public class SnapshotCommandsTest {
    private static Snapshot snapshot(String name, String parent) {
        return new Snapshot(name, parent, null, null);
    }

    private static String tree(List<Snapshot> snapshots) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        SnapshotCommands.tree(snapshots, new PrintStream(bytes, true, StandardCharsets.UTF_8));
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    public void treeIsVirshs() {
        // virsh's vshTreePrint, trailing spaces included
        assertEquals("child\n  |\n  +- grandchild\n    \n",
                tree(List.of(snapshot("child", null), snapshot("grandchild", "child"))));
        assertEquals("root\n  |\n  +- child\n  |   |\n  |   +- grandchild\n  |     \n  +- sibling\n    \n",
                tree(List.of(snapshot("child", "root"), snapshot("grandchild", "child"), snapshot("root", null),
                        snapshot("sibling", "root"))));
        assertEquals("a\n\nb\n\n", tree(List.of(snapshot("a", null), snapshot("b", null))));
    }

    @Test
    public void deepChainPrints() {
        List<Snapshot> chain = new ArrayList<>();
        for (int i = 0; i < 2_000; i++) {
            chain.add(snapshot("s" + i, i == 0 ? null : "s" + (i - 1)));
        }
        assertEquals(2 * 2_000, tree(chain).lines().count());
    }

    @Test
    public void creationTimeIsVirshs() {
        assertEquals(java.time.format.DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss xx").format(
                java.time.Instant.ofEpochSecond(1_795_329_000L).atZone(java.time.ZoneId.systemDefault())),
                SnapshotCommands.time("1795329000"));
        assertEquals("-", SnapshotCommands.time(null));
    }
}
