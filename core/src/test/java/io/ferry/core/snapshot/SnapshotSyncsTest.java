package io.ferry.core.snapshot;

import static io.ferry.core.snapshot.SnapshotFilesTest.snapshot;
import static org.junit.Assert.assertEquals;

import io.ferry.protocol.xml.HardenedXmlParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * What the snapshot store makes durable, and when: each file before the directory that gains it, each directory's new
 * entries (a file, a rename, a deletion) before the store says it is done. Recorded relative to {@code snapshots/},
 * a directory with a trailing slash, a file with its size.
 */
public class SnapshotSyncsTest {
    private static final UUID DOMAIN = UUID.fromString("00000000-0000-4000-8000-0000000000d1");

    @Rule
    public TemporaryFolder folder = new TemporaryFolder();

    private final List<String> synced = new ArrayList<>();

    /** A power cut between the destination's commit point and the snapshots' commit finds the staging whole. */
    @Test
    public void aStagingIsSyncedFileByFileOnceWrittenThenTheDirectoriesThatHoldIt() throws Exception {
        SnapshotFiles store = recordingStore();
        synced.clear(); // the store's own directory, new in this state directory

        store.stage("m7", DOMAIN, List.of(snapshot("a", null), snapshot("b", "a")), "b");

        Path staging = snapshots().resolve(".staging/m7");
        assertEquals(List.of(".staging/m7/snapshots.pack " + Files.size(staging.resolve("snapshots.pack")) + " bytes",
                ".staging/m7/domain 36 bytes", ".staging/m7/current 1 bytes", ".staging/m7/", ".staging/", "/"), synced);
    }

    /**
     * A domain's first snapshot made here, or its first arrival, lands in a directory new to the store: its name is
     * synced into the store, and the names of the pack and the log it gains into it, before the journal or the
     * operator is told the snapshots are stored.
     */
    @Test
    public void aDomainsNewSnapshotDirectoryIsSyncedIntoTheStoreOnce() throws Exception {
        SnapshotFiles store = recordingStore();
        store.stage("m10", DOMAIN, List.of(snapshot("a", null)), "a");
        synced.clear();

        store.commit("m10");
        assertEquals("the store, which gained the domain's directory, then the directory, which gained the pack, then the"
                + " log of the current mark", List.of("/", DOMAIN + "/", DOMAIN + "/"), synced);

        UUID other = UUID.fromString("00000000-0000-4000-8000-0000000000d2");
        synced.clear();
        store.add(other, snapshot("b", null));
        assertEquals("the store, which gained the domain's directory, then the directory, which gained the log",
                List.of("/", other + "/"), synced);
        synced.clear();
        store.add(other, snapshot("c", "b"));
        assertEquals("nothing new in the store or the directory", List.of(), synced);
    }

    /**
     * The store's directory, new at a host's first start, is synced into the state directory: the snapshots synced
     * inside it later would not outlive a power cut that took its name.
     */
    @Test
    public void theStoresNewDirectoryIsSyncedIntoTheStateDirectoryOnce() throws Exception {
        Path state = folder.getRoot().toPath();
        List<Path> syncedPaths = new ArrayList<>();
        new SnapshotFiles(state, HardenedXmlParser.DEFAULT_MAX_BYTES, HardenedXmlParser.DEFAULT_MAX_DEPTH, syncedPaths::add);
        assertEquals(List.of(state), syncedPaths);

        syncedPaths.clear();
        new SnapshotFiles(state, HardenedXmlParser.DEFAULT_MAX_BYTES, HardenedXmlParser.DEFAULT_MAX_DEPTH, syncedPaths::add);
        assertEquals("nothing new in the state directory", List.of(), syncedPaths);
    }

    /**
     * An arrival whose pack holds an older one whole deletes the older pack, and syncs that deletion: a power cut could
     * otherwise bring the older pack back, and with it snapshots the newer hierarchy deleted.
     */
    @Test
    public void aCommitThatDropsAnOlderPackSyncsTheDeletion() throws Exception {
        SnapshotFiles store = recordingStore();
        store.stage("m1", DOMAIN, List.of(snapshot("a", null)), "a");
        store.commit("m1");
        store.stage("m2", DOMAIN, List.of(snapshot("a", null), snapshot("b", "a")), "b");
        synced.clear();

        store.commit("m2");
        assertEquals("the directory, which gained the pack, then lost the older one", List.of(DOMAIN + "/", DOMAIN + "/"),
                synced);

        store.stage("m3", DOMAIN, List.of(snapshot("x", null)), "x");
        synced.clear();
        store.commit("m3");
        assertEquals("the directory, which gained the pack and lost none", List.of(DOMAIN + "/"), synced);
    }

    private SnapshotFiles recordingStore() throws IOException {
        return new SnapshotFiles(folder.getRoot().toPath(), HardenedXmlParser.DEFAULT_MAX_BYTES,
                HardenedXmlParser.DEFAULT_MAX_DEPTH, path -> synced.add(snapshots().relativize(path)
                        + (Files.isDirectory(path) ? "/" : " " + Files.size(path) + " bytes")));
    }

    private Path snapshots() {
        return folder.getRoot().toPath().resolve("snapshots");
    }
}
