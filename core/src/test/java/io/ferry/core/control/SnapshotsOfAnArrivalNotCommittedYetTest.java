package io.ferry.core.control;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

import io.ferry.api.snapshot.SnapshotStore;
import io.ferry.protocol.DaemonMessages.Snapshot;
import io.ferry.protocol.Operation;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.Test;

/**
 * The snapshots an arrival committed past its commit point but could not store yet (here a file in the way of their
 * directory, as a full disk fails them) are the domain's meanwhile: listed, and the parent of the next snapshot made,
 * once they can be committed. A snapshot-create-as read its parent before they were, and made a root.
 */
public class SnapshotsOfAnArrivalNotCommittedYetTest {
    private static final String VM = TestChannel.DOMAIN;

    @Test
    public void theNextSnapshotIsAChildOfTheArrivalsCurrentOne() throws Exception {
        TestChannel channel = TestChannel.withOneDomain();
        uncommittedArrival(channel).run();

        channel.call(Operation.SNAPSHOT_CREATE, Map.of("name", "made"), VM);

        Snapshot made = channel.snapshots(VM).snapshots().stream().filter(s -> s.name().equals("made")).findFirst()
                .orElseThrow();
        assertEquals("arrived", made.parent());
        assertEquals("made", channel.snapshots(VM).current());
    }

    @Test
    public void theyAreListedCommittedFirst() throws Exception {
        TestChannel channel = TestChannel.withOneDomain();
        uncommittedArrival(channel).run();

        assertEquals(List.of("arrived"), channel.snapshots(VM).snapshots().stream().map(Snapshot::name).toList());
        assertEquals("arrived", channel.snapshots(VM).current());
        assertEquals(List.of(), channel.snapshots.staged());
    }

    /** Listed while they still cannot be committed: the snapshots committed, as before (the log says why). */
    @Test
    public void aListWhileTheyCannotBeCommittedAnswersWithoutThem() throws Exception {
        TestChannel channel = TestChannel.withOneDomain();
        uncommittedArrival(channel);

        assertEquals(List.of(), channel.snapshots(VM).snapshots());
        assertEquals(List.of("m50"), channel.snapshots.staged());
    }

    /** Stages an arrival's snapshot of the domain whose commit fails; returns what clears the way (space freed). */
    private static Runnable uncommittedArrival(TestChannel channel) throws Exception {
        UUID uuid = channel.domains.get(VM).uuid();
        channel.snapshots.stage("m50", uuid, List.of(new SnapshotStore.Snapshot("arrived", null,
                "<domainsnapshot><name>arrived</name></domainsnapshot>")), "arrived");
        Path inTheWay = channel.stateDir.resolve("snapshots").resolve(uuid.toString());
        Files.writeString(inTheWay, "");
        assertThrows(IOException.class, () -> channel.snapshots.commit("m50"));
        return () -> {
            try {
                Files.delete(inTheWay);
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        };
    }
}
