package io.ferry.core.snapshot;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import io.ferry.api.snapshot.SnapshotStore.Snapshot;
import io.ferry.core.daemon.TestDaemons;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** The core's snapshot files: listing parents first, staging, commit and discard. */
public class SnapshotFilesTest {
    private static final UUID DOMAIN = UUID.fromString("00000000-0000-4000-8000-0000000000d1");

    @Rule
    public TemporaryFolder folder = new TemporaryFolder();

    private SnapshotFiles store() throws Exception {
        return new SnapshotFiles(TestDaemons.at(folder.getRoot().toPath()));
    }

    private static Snapshot snapshot(String name, String parent) {
        return new Snapshot(name, parent, "<domainsnapshot><name>" + name + "</name>"
                + (parent == null ? "" : "<parent><name>" + parent + "</name></parent>") + "</domainsnapshot>");
    }

    @Test
    public void deepChainNamedChildrenFirstListsParentsFirst() throws Exception {
        SnapshotFiles store = store();
        List<Snapshot> chain = new ArrayList<>();
        for (int i = 0; i < 10_000; i++) { // z09999 is the root: name order visits the deepest snapshot first
            chain.add(snapshot(String.format("z%05d", 9_999 - i), i == 0 ? null : String.format("z%05d", 10_000 - i)));
        }
        store.stage("m1", DOMAIN, chain, "z00000");
        store.commit("m1");
        List<Snapshot> listed = store.list(DOMAIN);
        assertEquals(10_000, listed.size());
        assertEquals("z09999", listed.get(0).name());
        assertEquals("z00000", listed.get(9_999).name());
        assertEquals("z00000", store.current(DOMAIN).orElseThrow());
        assertFalse(Files.exists(folder.getRoot().toPath().resolve("snapshots/.staging/m1")));
    }

    @Test
    public void discardLeavesNothing() throws Exception {
        SnapshotFiles store = store();
        store.stage("m2", DOMAIN, List.of(snapshot("a", null)), "a");
        store.discard("m2");
        store.commit("m2");
        assertEquals(List.of(), store.list(DOMAIN));
        Path staging = folder.getRoot().toPath().resolve("snapshots/.staging");
        assertEquals(List.of(), Files.list(staging).toList());
    }

    @Test
    public void aMigrationsSnapshotsAreCommittedAsOnePackBesideLocalOnes() throws Exception {
        SnapshotFiles store = store();
        store.add(DOMAIN, snapshot("local", null));
        store.stage("m2", DOMAIN, List.of(snapshot("root", null), snapshot("child", "root")), "child");
        store.commit("m2");
        Path dir = folder.getRoot().toPath().resolve("snapshots").resolve(DOMAIN.toString());
        assertTrue(Files.exists(dir.resolve("migrated-m2.pack")));
        assertFalse(Files.exists(dir.resolve("root.xml")));
        assertEquals(List.of("child", "local", "root").size(), store.list(DOMAIN).size());
        assertEquals("child", store.current(DOMAIN).orElseThrow());
        try {
            store.add(DOMAIN, snapshot("root", null));
            fail("a migrated snapshot's name was taken twice");
        } catch (IOException e) {
            assertEquals("domain snapshot 'root' already exists", e.getMessage());
        }
        store.setCurrent(DOMAIN, "root");
        assertEquals("root", store.current(DOMAIN).orElseThrow());
    }

    @Test
    public void aTruncatedPackIsNamed() throws Exception {
        SnapshotFiles store = store();
        store.stage("m3", DOMAIN, List.of(snapshot("root", null)), "root");
        store.commit("m3");
        Path pack = folder.getRoot().toPath().resolve("snapshots").resolve(DOMAIN.toString()).resolve("migrated-m3.pack");
        byte[] bytes = Files.readAllBytes(pack);
        Files.write(pack, java.util.Arrays.copyOf(bytes, bytes.length - 5));
        try {
            store.list(DOMAIN);
            fail("a truncated pack was read");
        } catch (IOException e) {
            assertTrue(e.getMessage(), e.getMessage().endsWith("migrated-m3.pack is truncated"));
        }
    }
}
