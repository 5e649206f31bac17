package io.ferry.core.snapshot;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

import io.ferry.api.snapshot.SnapshotStore.Snapshot;
import io.ferry.protocol.xml.HardenedXmlParser;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * The snapshots an arrival committed past its commit point but could not store yet (a full disk: they stay staged
 * until the next try) are the domain's: an undefine counts them, {@code --snapshots-metadata} takes them too, and the
 * next snapshot made is a child of their current one.
 */
public class SnapshotsNotCommittedYetTest {
    private static final UUID DOMAIN = UUID.fromString("00000000-0000-4000-8000-0000000000d2");

    @Rule
    public TemporaryFolder folder = new TemporaryFolder();
    private boolean full;
    private SnapshotFiles store;

    @Before
    public void anArrivalWhoseSnapshotsCouldNotBeCommitted() throws Exception {
        Path snapshots = folder.getRoot().toPath().resolve("snapshots");
        store = new SnapshotFiles(folder.getRoot().toPath(), HardenedXmlParser.DEFAULT_MAX_BYTES,
                HardenedXmlParser.DEFAULT_MAX_DEPTH, path -> {
                    if (full && path.equals(snapshots)) {
                        throw new IOException("No space left on device");
                    }
                });
        store.stage("m50", DOMAIN, List.of(snapshot("arrived")), "arrived");
        full = true;
        assertThrows(IOException.class, () -> store.commit("m50"));
    }

    /**
     * An undefine with its snapshots removed those committed, and left the arrival's staged: the first snapshot made
     * for the next domain given the UUID (or its Begin, or the next start) committed them as that domain's own.
     */
    @Test
    public void theDomainsSnapshotsGoWithThoseNotCommittedYet() throws Exception {
        full = false;
        store.forget(DOMAIN);

        assertEquals(List.of(), store.staged());
        store.add(DOMAIN, snapshot("new"));
        assertEquals("the next domain of that UUID has its own snapshots only", List.of("new"),
                store.list(DOMAIN).stream().map(Snapshot::name).toList());
    }

    /**
     * Counted without them, a shut-off domain whose only snapshots had not been committed yet was undefined without
     * {@code --snapshots-metadata}, as libvirt refuses, and they stayed behind for the next domain of its UUID.
     */
    @Test
    public void anUndefineCountsThemCommittedFirst() throws Exception {
        full = false;
        assertEquals(1, store.count(DOMAIN));
        assertEquals(List.of(), store.staged());
        assertEquals("arrived", store.current(DOMAIN).orElseThrow());
    }

    /** The parent of the next snapshot made is read once they are committed: the arrival's current one. */
    @Test
    public void theNextSnapshotIsAChildOfTheirCurrentOne() throws Exception {
        full = false;
        store.add(DOMAIN, "new", parent -> new Snapshot("new", parent.orElse(null), "<domainsnapshot><name>new</name>"
                + parent.map(p -> "<parent><name>" + p + "</name></parent>").orElse("") + "</domainsnapshot>"));

        assertEquals(List.of("arrived", "new"), store.list(DOMAIN).stream().map(Snapshot::name).toList());
        assertEquals("arrived", store.list(DOMAIN).get(1).parent());
    }

    private static Snapshot snapshot(String name) {
        return new Snapshot(name, null, "<domainsnapshot><name>" + name + "</name></domainsnapshot>");
    }
}
