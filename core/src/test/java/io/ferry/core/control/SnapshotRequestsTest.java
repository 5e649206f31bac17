package io.ferry.core.control;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.protocol.DaemonMessages.Snapshot;
import io.ferry.protocol.Operation;
import java.util.List;
import java.util.Map;
import org.junit.Test;

/**
 * Snapshot calls missing what they must name (refused with 400 naming the parameter, the snapshots unchanged), or of a
 * domain the daemon cannot read (refused with 400 naming why).
 */
public class SnapshotRequestsTest {
    private static final String VM = TestChannel.DOMAIN;

    @Test
    public void aSnapshotIsMadeCurrentOnlyWhenTheCallSaysCurrent() throws Exception {
        TestChannel channel = TestChannel.withOneDomain();
        channel.call(Operation.SNAPSHOT_CREATE, Map.of("name", "s1"), VM);
        channel.call(Operation.SNAPSHOT_CREATE, Map.of("name", "s2"), VM);
        for (Map<String, String> query : List.of(Map.<String, String>of(), Map.of("current", "no"))) {
            BadRequest refused = assertThrows(BadRequest.class,
                    () -> channel.call(Operation.SNAPSHOT_SET_CURRENT, query, VM, "s1"));
            assertEquals(400, refused.status);
            assertEquals("missing parameter 'current'", refused.getMessage());
        }
        assertEquals("s2", channel.snapshots(VM).current());
    }

    /** Leases off: nothing says where a shut-off domain runs, and its snapshots are made and marked here. */
    @Test
    public void aShutOffDomainOnAHostWithoutLeasesHasItsSnapshotsMadeAndMarkedHere() throws Exception {
        TestChannel channel = TestChannel.withOneDomainWithoutLeases();
        channel.call(Operation.SNAPSHOT_CREATE, Map.of("name", "s1"), VM);
        channel.call(Operation.SNAPSHOT_CREATE, Map.of("name", "s2"), VM);
        channel.call(Operation.SNAPSHOT_SET_CURRENT, Map.of("current", "yes"), VM, "s1");

        assertEquals(List.of("s1", "s2"), channel.snapshots(VM).snapshots().stream().map(Snapshot::name).toList());
        assertEquals("s1", channel.snapshots(VM).current());
    }

    @Test
    public void aSnapshotWithoutANameIsRefused() throws Exception {
        TestChannel channel = TestChannel.withOneDomain();
        for (Map<String, String> query : List.of(Map.<String, String>of(), Map.of("name", " "))) {
            BadRequest refused = assertThrows(BadRequest.class, () -> channel.call(Operation.SNAPSHOT_CREATE, query, VM));
            assertEquals(400, refused.status);
            assertEquals("missing parameter 'name'", refused.getMessage());
        }
        assertEquals(List.of(), channel.snapshots(VM).snapshots().stream().map(Snapshot::name).toList());
    }

    @Test
    public void theSnapshotsOfADomainThatCannotBeReadAreRefusedNamingWhy() throws Exception {
        TestChannel channel = TestChannel.withOneDomainAnd(Map.of("status/drifter.xml", "")); // emptied by a power cut
        String unreadable = "Requested operation is not valid: domain 'drifter' is unreadable: ";
        for (Operation operation : List.of(Operation.SNAPSHOT_LIST, Operation.SNAPSHOT_CREATE, Operation.SNAPSHOT_XML,
                Operation.SNAPSHOT_SET_CURRENT)) {
            BadRequest refused = assertThrows(BadRequest.class,
                    () -> channel.call(operation, Map.of("name", "s1", "current", "yes"), "drifter", "s1"));
            assertEquals(400, refused.status);
            assertTrue(operation + ": " + refused.getMessage(), refused.getMessage().startsWith(unreadable));
        }
    }
}
