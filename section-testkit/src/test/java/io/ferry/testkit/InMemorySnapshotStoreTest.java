package io.ferry.testkit;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.api.snapshot.SnapshotStore.Snapshot;
import java.io.IOException;
import java.util.List;
import java.util.UUID;
import org.junit.Test;

/** The kit's snapshot store reads as a daemon's, stages what names itself as claimed, and commits as a whole. */
public class InMemorySnapshotStoreTest {
    private static final UUID DOMAIN = TestSectionContext.DOMAIN_UUID;
    private final InMemorySnapshotStore store = new InMemorySnapshotStore();

    private static String xml(String name, String parent) {
        return "<domainsnapshot><name>" + name + "</name>" + (parent == null ? "" : "<parent><name>" + parent + "</name></parent>")
                + "</domainsnapshot>";
    }

    @Test
    public void readsAndRefusesAsADaemon() throws Exception {
        assertEquals(new Snapshot("b", "a", xml("b", "a")), store.read(xml("b", "a")));
        IOException e = assertThrows(IOException.class, () -> store.read("<domainsnapshot><name>a</name>"));
        assertEquals("malformed domain snapshot (line 1, column 31): the document ends inside <domainsnapshot>", e.getMessage());
    }

    @Test
    public void whatArrivesIsTheDomainsAfterTheCommitOnlyAndOnceByName() throws Exception {
        store.snapshots.put(DOMAIN, List.of(new Snapshot("a", null, xml("a", null))));
        store.stage("m1", DOMAIN, List.of(store.read(xml("a", null)), store.read(xml("b", "a"))), "b");
        assertEquals("nothing is the domain's before the commit", List.of("a"), names());
        store.commit("m1");
        assertEquals(List.of("a", "b"), names());
        assertEquals("b", store.current(DOMAIN).orElseThrow());
        assertTrue(store.staged.isEmpty());
    }

    @Test
    public void aSnapshotThatNamesItselfOtherwiseIsNotStaged() {
        IOException e = assertThrows(IOException.class,
                () -> store.stage("m2", DOMAIN, List.of(new Snapshot("a", null, xml("c", null))), "a"));
        assertEquals("snapshot 'a' of migration m2 names itself 'c' with parent 'null'", e.getMessage());
        assertTrue(store.staged.isEmpty());
    }

    /** A snapshot made on each host under one name (the domain defined on both): one of them would be lost. */
    @Test
    public void aSnapshotUnlikeTheOneHereOfItsNameIsNotStaged() throws Exception {
        store.snapshots.put(DOMAIN, List.of(new Snapshot("a", null, xml("a", null))));
        Snapshot other = store.read("<domainsnapshot><name>a</name><description>there</description></domainsnapshot>");
        IOException e = assertThrows(IOException.class, () -> store.stage("m3", DOMAIN, List.of(other), "a"));
        assertEquals("domain snapshot 'a' that migration m3 brings is not the snapshot 'a' this host has of the domain:"
                + " committing it would lose one of them", e.getMessage());
        assertTrue(store.staged.isEmpty());
        store.commit("m3");
        assertEquals(List.of(new Snapshot("a", null, xml("a", null))), store.list(DOMAIN));
    }

    /** A section call that outlived its migration stages nothing a commit would never take. */
    @Test
    public void nothingIsStagedForAMigrationWhoseStagingWasDiscarded() throws Exception {
        store.discard("m4");
        List<Snapshot> a = List.of(store.read(xml("a", null)));
        IOException e = assertThrows(IOException.class, () -> store.stage("m4", DOMAIN, a, "a"));
        assertEquals("migration m4 has ended and its staging was discarded: its snapshots are not staged",
                e.getMessage());
        assertTrue(store.staged.isEmpty());
    }

    private List<String> names() {
        return store.list(DOMAIN).stream().map(Snapshot::name).toList();
    }
}
