package io.ferry.core.snapshot;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;

import io.ferry.api.snapshot.SnapshotStore.Snapshot;
import io.ferry.core.daemon.TestDaemons;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * What a power cut can leave of the last append to a domain's snapshot log: any prefix of it (the append cut at any
 * byte), or the file grown but its new blocks never written (zeros, as ext4 and XFS show them). The snapshots
 * appended before stay listed with their mark, the cut one is left out, and the next snapshot-create-as takes its
 * name and is listed after a restart.
 */
public class SnapshotLogPowerCutTest {
    private static final UUID DOMAIN = UUID.fromString("00000000-0000-4000-8000-0000000000d3");

    @Rule
    public TemporaryFolder folder = new TemporaryFolder();

    @Test
    public void anAppendCutAtAnyByteLeavesTheLogAsBeforeIt() throws Exception {
        Path stateDir = folder.newFolder().toPath();
        SnapshotFiles store = new SnapshotFiles(TestDaemons.at(stateDir));
        store.add(DOMAIN, snapshot("a", null));
        Path log = stateDir.resolve("snapshots").resolve(DOMAIN.toString()).resolve(SnapshotLog.FILE);
        byte[] before = Files.readAllBytes(log);
        store.add(DOMAIN, snapshot("b", "a"));
        byte[] after = Files.readAllBytes(log);

        for (int cut = before.length; cut < after.length; cut++) {
            Files.write(log, Arrays.copyOf(after, cut));
            assertRestartedAsBeforeTheCut(stateDir, "cut at byte " + cut);
        }
        byte[] zeros = Arrays.copyOf(before, after.length); // grown, never written
        Files.write(log, zeros);
        assertRestartedAsBeforeTheCut(stateDir, "zeros");
    }

    @Test
    public void aFirstAppendCutAtAnyByteLeavesNoSnapshot() throws Exception {
        Path stateDir = folder.newFolder().toPath();
        new SnapshotFiles(TestDaemons.at(stateDir)).add(DOMAIN, snapshot("a", null));
        Path log = stateDir.resolve("snapshots").resolve(DOMAIN.toString()).resolve(SnapshotLog.FILE);
        byte[] whole = Files.readAllBytes(log);

        for (int cut = 0; cut < whole.length; cut++) {
            Files.write(log, Arrays.copyOf(whole, cut));
            SnapshotFiles restarted = new SnapshotFiles(TestDaemons.at(stateDir));
            assertEquals("cut at byte " + cut, List.of(), restarted.list(DOMAIN));
            assertEquals("cut at byte " + cut, Optional.empty(), restarted.current(DOMAIN));
            restarted.add(DOMAIN, snapshot("a", null));
            assertEquals("cut at byte " + cut, List.of(snapshot("a", null)), new SnapshotFiles(TestDaemons.at(stateDir)).list(DOMAIN));
        }
    }

    /**
     * A torn append longer than the next one is cut off whole by it, not overwritten in part: the log is then byte for
     * byte the one that never saw it (what was left of it would have stayed behind every later append).
     */
    @Test
    public void aTornAppendLongerThanTheNextIsCutOffWhole() throws Exception {
        Path stateDir = folder.newFolder().toPath();
        SnapshotFiles store = new SnapshotFiles(TestDaemons.at(stateDir));
        store.add(DOMAIN, snapshot("a", null));
        store.add(DOMAIN, new Snapshot("b", "a", "<domainsnapshot><name>b</name><parent><name>a</name></parent><description>"
                + "b".repeat(4096) + "</description></domainsnapshot>"));
        Path log = stateDir.resolve("snapshots").resolve(DOMAIN.toString()).resolve(SnapshotLog.FILE);
        byte[] torn = Files.readAllBytes(log);
        Files.write(log, Arrays.copyOf(torn, torn.length - 3)); // a crash inside b's current mark

        new SnapshotFiles(TestDaemons.at(stateDir)).add(DOMAIN, snapshot("c", "a"));

        Path neverTorn = folder.newFolder().toPath();
        SnapshotFiles reference = new SnapshotFiles(TestDaemons.at(neverTorn));
        reference.add(DOMAIN, snapshot("a", null));
        reference.add(DOMAIN, snapshot("c", "a"));
        assertArrayEquals(Files.readAllBytes(neverTorn.resolve("snapshots").resolve(DOMAIN.toString()).resolve(SnapshotLog.FILE)),
                Files.readAllBytes(log));
    }

    private static void assertRestartedAsBeforeTheCut(Path stateDir, String how) throws Exception {
        SnapshotFiles restarted = new SnapshotFiles(TestDaemons.at(stateDir));
        assertEquals(how, List.of("a"), restarted.list(DOMAIN).stream().map(Snapshot::name).toList());
        assertEquals(how, "a", restarted.current(DOMAIN).orElseThrow());
        restarted.add(DOMAIN, snapshot("b", "a"));
        SnapshotFiles again = new SnapshotFiles(TestDaemons.at(stateDir));
        assertEquals(how, List.of("a", "b"), again.list(DOMAIN).stream().map(Snapshot::name).toList());
        assertEquals(how, "b", again.current(DOMAIN).orElseThrow());
    }

    /** Its text holds the type bytes of records, S and C, as a cut append's tail may: the rest is no record. */
    private static Snapshot snapshot(String name, String parent) {
        return new Snapshot(name, parent, "<domainsnapshot><name>" + name + "</name>"
                + (parent == null ? "" : "<parent><name>" + parent + "</name></parent>")
                + "<description>Sunday's Copy</description></domainsnapshot>");
    }
}
