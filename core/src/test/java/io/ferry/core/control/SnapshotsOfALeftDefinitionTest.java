package io.ferry.core.control;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.api.lock.Lease;
import io.ferry.api.lock.LeaseRequest;
import io.ferry.api.lock.LockException;
import io.ferry.api.lock.LockManager;
import io.ferry.protocol.DaemonMessages.Snapshot;
import io.ferry.protocol.DaemonMessages.Snapshots;
import io.ferry.protocol.Operation;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.Test;

/**
 * The definition a live migration left on its source (without --undefinesource) while the guest runs on another host:
 * its snapshots are changed where the guest runs. A snapshot made or marked current here joined those the guest
 * brings back, and one of a name made on both hosts refused its return here for good. Refused as a start is, naming
 * the disk and its holder, with the leases read, not taken.
 */
public class SnapshotsOfALeftDefinitionTest {
    private static final String VM = "left";
    private static final String UUID = "6a0f4c1e-55b1-4d5e-9a58-6f4e1c2b3a4d";
    private static final String DISK = "/images/left-0.img";
    private static final String HOLDER = "resource " + DISK
            + " is held by host-b (00000000-0000-4000-8000-0000000000bb) for domain left";

    @Test
    public void snapshotsOfADomainWhoseDisksAnotherHostHoldsAreRefusedNamingTheHolder() throws Exception {
        HeldByHostB locks = new HeldByHostB();
        TestChannel channel = channelWithLeftDomain(locks);
        channel.call(Operation.SNAPSHOT_CREATE, Map.of("name", "before"), VM);
        locks.heldElsewhere = true; // the guest left for host B, which runs it with its leases

        Exception created = assertThrows(Exception.class,
                () -> channel.call(Operation.SNAPSHOT_CREATE, Map.of("name", "x"), VM));
        assertEquals("Requested operation is not valid: cannot create a snapshot of domain left here while its disks are in"
                + " use elsewhere: " + HOLDER + " (its snapshots are changed where it runs)", created.getMessage());
        Exception marked = assertThrows(Exception.class, () -> channel.call(Operation.SNAPSHOT_SET_CURRENT,
                Map.of("current", "yes"), VM, "before"));
        assertTrue(marked.getMessage(), marked.getMessage().contains("cannot make a snapshot current of domain left here"
                + " while its disks are in use elsewhere: " + HOLDER));

        Snapshots after = channel.snapshots(VM);
        assertEquals("nothing made", List.of("before"), after.snapshots().stream().map(Snapshot::name).toList());
        assertEquals("before", after.current());
        assertEquals("the leases were read, never taken", 0, locks.acquires);
    }

    /** A domain without disks has a lease of its own, which says where it runs: it asked nothing, and was changed here. */
    @Test
    public void snapshotsOfADisklessDomainAnotherHostRunsAreRefusedNamingItsLease() throws Exception {
        String itself = "resource domain:" + UUID + " is held by host-b (00000000-0000-4000-8000-0000000000bb) for domain left";
        List<List<String>> asked = new java.util.concurrent.CopyOnWriteArrayList<>();
        LockManager runsOnHostB = new LockManager() {
            @Override
            public Lease acquire(LeaseRequest request, String state) throws LockException {
                throw new LockException(itself);
            }

            @Override
            public Optional<String> heldElsewhere(LeaseRequest request) {
                asked.add(request.resources());
                return Optional.of(itself);
            }

            @Override
            public boolean usesState() {
                return true;
            }
        };
        TestChannel channel = TestChannel.withOneDomain();
        channel.domains.addLockManager("file", () -> runsOnHostB);
        channel.domains.define("<domain type='sim'><name>" + VM + "</name><uuid>" + UUID + "</uuid>"
                + "<memory unit='KiB'>65536</memory><vcpu>1</vcpu></domain>");

        Exception created = assertThrows(Exception.class,
                () -> channel.call(Operation.SNAPSHOT_CREATE, Map.of("name", "x"), VM));
        assertEquals("Requested operation is not valid: cannot create a snapshot of domain left here while it runs"
                + " elsewhere: " + itself + " (its snapshots are changed where it runs)", created.getMessage());
        assertEquals(List.of(List.of("domain:" + UUID)), asked);
        assertEquals(List.of(), channel.snapshots(VM).snapshots());
    }

    @Test
    public void snapshotsOfAShutOffDomainWhoseDisksNobodyHoldsAreMadeAsBefore() throws Exception {
        HeldByHostB locks = new HeldByHostB();
        TestChannel channel = channelWithLeftDomain(locks);
        channel.call(Operation.SNAPSHOT_CREATE, Map.of("name", "s1"), VM);
        channel.call(Operation.SNAPSHOT_CREATE, Map.of("name", "s2"), VM);
        channel.call(Operation.SNAPSHOT_SET_CURRENT, Map.of("current", "yes"), VM, "s1");
        assertEquals("s1", channel.snapshots(VM).current());
        assertEquals(0, locks.acquires);
    }

    @Test
    public void aLockManagerThatCannotBeReachedRefusesTheSnapshotNamingWhy() throws Exception {
        HeldByHostB locks = new HeldByHostB();
        TestChannel channel = channelWithLeftDomain(locks);
        locks.unreachable = true;
        Exception created = assertThrows(Exception.class,
                () -> channel.call(Operation.SNAPSHOT_CREATE, Map.of("name", "x"), VM));
        assertEquals("cannot tell whether another host runs domain left: the lease store is unreachable", created.getMessage());
        assertEquals(List.of(), channel.snapshots(VM).snapshots());
    }

    private static TestChannel channelWithLeftDomain(LockManager locks) throws Exception {
        TestChannel channel = TestChannel.withOneDomain();
        channel.domains.addLockManager("file", () -> locks);
        channel.domains.define("<domain type='sim'><name>" + VM + "</name><uuid>" + UUID + "</uuid>"
                + "<memory unit='KiB'>65536</memory><vcpu>1</vcpu><devices><disk type='file' device='disk'><source file='"
                + DISK + "'/><target dev='vda'/></disk></devices></domain>");
        return channel;
    }

    /** A lock manager whose every lease host B holds for the domain once {@link #heldElsewhere} is set. */
    private static final class HeldByHostB implements LockManager {
        volatile boolean heldElsewhere;
        volatile boolean unreachable;
        volatile int acquires;

        @Override
        public Lease acquire(LeaseRequest request, String state) throws LockException {
            acquires++;
            throw new LockException(HOLDER);
        }

        @Override
        public Optional<String> heldElsewhere(LeaseRequest request) throws LockException {
            assertEquals(List.of(DISK, "domain:" + UUID), request.resources());
            if (unreachable) {
                throw new LockException("the lease store is unreachable", new java.net.ConnectException("Connection refused"));
            }
            return heldElsewhere ? Optional.of(HOLDER) : Optional.empty();
        }

        @Override
        public boolean usesState() {
            return true;
        }
    }

}
