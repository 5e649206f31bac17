package io.ferry.lock.zookeeper;

import static io.ferry.lock.zookeeper.Managers.manager;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import io.ferry.api.lock.Lease;
import io.ferry.api.lock.LeaseRequest;
import io.ferry.api.lock.LockException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.apache.curator.test.TestingServer;
import org.apache.zookeeper.CreateMode;
import org.junit.After;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** Two hosts' managers against a real ZooKeeper server (Curator's TestingServer, on loopback). */
public class ZooKeeperLockManagerTest {
    @Rule
    public TemporaryFolder folder = new TemporaryFolder();
    private TestingServer server;
    private ZooKeeperLockManager hostA;
    private ZooKeeperLockManager hostB;
    private final UUID domain = UUID.randomUUID();
    private final LeaseRequest requestA = new LeaseRequest("vm", domain, List.of("/images/a.img"), "host-a", UUID.randomUUID());
    private final LeaseRequest requestB = new LeaseRequest("vm", domain, List.of("/images/a.img"), "host-b", UUID.randomUUID());

    @Before
    public void start() throws Exception {
        server = Managers.zooKeeper(folder);
        hostA = manager(server.getConnectString());
        hostB = manager(server.getConnectString());
    }

    @After
    public void stop() throws Exception {
        hostA.close();
        hostB.close();
        server.close();
    }

    @Test
    public void aSecondHostIsRefusedAndTheHolderNamed() throws Exception {
        hostA.acquire(requestA, null);
        try {
            hostB.acquire(requestB, null);
            fail("two hosts held the same disk");
        } catch (LockException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("/images/a.img is held by host-a"));
        }
    }

    /** Read as a take would refuse them, and nothing written: a take and give-back would advance a migration's state. */
    @Test
    public void whoHoldsTheLeasesIsReadWithoutChangingThem() throws Exception {
        assertEquals("no node yet", Optional.empty(), hostB.heldElsewhere(requestB));
        Lease lease = hostA.acquire(requestA, null);

        Optional<String> holder = hostB.heldElsewhere(requestB);
        assertTrue(holder.toString(), holder.orElseThrow().startsWith("resource /images/a.img is held by host-a ("));
        assertEquals("its own", Optional.empty(), hostA.heldElsewhere(requestA));

        String released = lease.release();
        assertEquals(Optional.empty(), hostB.heldElsewhere(requestB));
        hostB.acquire(requestB, released); // the state the release returned still takes them: nothing advanced it
    }

    @Test
    public void theReleasedStateHandsTheLeaseOver() throws Exception {
        String released = hostA.acquire(requestA, null).release();
        Lease taken = hostB.acquire(requestB, released);
        assertNotEquals(released, taken.state());
    }

    @Test
    public void aStaleStateIsRefused() throws Exception {
        String released = hostA.acquire(requestA, null).release();
        hostB.acquire(requestB, null).release();
        try {
            hostA.acquire(requestA, released);
            fail("a stale state was accepted");
        } catch (LockException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("changed since it was released"));
        }
    }

    /**
     * An operator giving back the leases of a host gone for good may delete a whole lease node (zkCli deleteall, or the
     * lease root), not only its holder. The node made anew must not count its states from where the deleted one did: a
     * domain booted and stopped on the disk since would bring its version back to the one an old switch-over state
     * names, and a paused source presenting that stale state would take the lease as if nobody had used the disk.
     */
    @Test
    public void aStateFromBeforeTheLeaseNodeWasDeletedIsRefused() throws Exception {
        String released = hostA.acquire(requestA, null).release();
        hostA.client().delete().deletingChildrenIfNeeded().forPath("/ferry/leases");
        hostB.acquire(requestB, null).release(); // the domain booted and stopped on host-b

        LockException refused = assertThrows(LockException.class, () -> hostA.acquire(requestA, released));

        assertTrue(refused.getMessage(), refused.getMessage().contains("changed since it was released"));
    }

    /** A restarted daemon gives back the leases it still holds as it held them, and hands the lease over. */
    @Test
    public void leasesHeldBeforeARestartAreGivenBackAndHandedOver() throws Exception {
        String held = hostA.acquire(requestA, null).state();

        String released = hostA.held(requestA, held).release();

        Lease taken = hostB.acquire(requestB, released);
        assertNotEquals(released, taken.state());
        assertThrows(LockException.class, () -> hostA.acquire(requestA, released)); // handed over once, to host-b
    }

    /**
     * Rolling upgrade: leases held before domain leases (a status file's or an owed record's state names none of the
     * domain's own) are given back after the restart, not refused for lacking it; a state from before takes the
     * domain's own lease fresh when it is free, and an earlier version given one that names it ignores it.
     */
    @Test
    public void statesFromBeforeDomainLeasesAreGivenBackAndTakenWithoutTheDomainsOwn() throws Exception {
        String held = hostA.acquire(requestA, null).state(); // disks only, as an earlier version asks

        String released = hostA.held(withDomainLease(requestA), held).release();
        assertEquals(1, ZooKeeperLockManager.parse(released).size());
        assertEquals(Optional.empty(), hostB.heldElsewhere(withDomainLease(requestB)));

        Lease taken = hostB.acquire(withDomainLease(requestB), released);
        assertEquals(2, ZooKeeperLockManager.parse(taken.state()).size());
        Optional<String> holder = hostA.heldElsewhere(new LeaseRequest("vm", domain, List.of(LeaseRequest.domainResource(domain)),
                "host-a", requestA.ownerUuid()));
        assertTrue(holder.toString(), holder.orElseThrow().startsWith("resource domain:" + domain + " is held by host-b ("));

        String withItself = taken.release();
        hostA.acquire(requestA, withItself).release(); // an earlier version: the domain's own lease ignored
    }

    /** A VM recorded without a lease state (none was taken for it) takes its leases as a start would. */
    @Test
    public void leasesHeldWithoutAStateAreTakenAsAStartTakesThem() throws Exception {
        Lease lease = hostA.held(requestA, null);

        assertTrue(lease.state(), lease.state().startsWith(ZooKeeperLockManager.key("/images/a.img") + ":"));
        LockException refused = assertThrows(LockException.class, () -> hostB.acquire(requestB, null));
        assertTrue(refused.getMessage(), refused.getMessage().contains("/images/a.img is held by host-a"));
    }

    /**
     * Rolling upgrade: a disk spelt otherwise (/images//a.img) is leased by its spelling too since this build, and a
     * state held before (a paused guest's release that went unanswered, given back after the restart) names its normal
     * lease alone: the spelling, not held with that state, is left as it is, the rest given back. Refused, the guest
     * stayed paused for good with "names no lease of /images//a.img".
     */
    @Test
    public void aHeldStateThatNamesNotEveryLeaseGivesBackWhatItNames() throws Exception {
        String held = hostA.acquire(requestA, null).state(); // the normal name alone, as builds before ask
        LeaseRequest withSpelling = new LeaseRequest("vm", domain, List.of("/images/a.img", "/images//a.img"), "host-a",
                requestA.ownerUuid());
        hostB.acquire(new LeaseRequest("other", UUID.randomUUID(), List.of("/images//a.img"), "host-b",
                requestB.ownerUuid()), null); // held by another host: a give-back here must not touch it

        String released = hostA.held(withSpelling, held).release();

        assertEquals(Set.of(ZooKeeperLockManager.key("/images/a.img")), ZooKeeperLockManager.parse(released).keySet());
        assertEquals(Optional.empty(), hostB.heldElsewhere(requestB));
        Optional<String> spelling = hostA.heldElsewhere(withSpelling);
        assertTrue(spelling.toString(),
                spelling.orElseThrow().startsWith("resource /images//a.img is held by host-b ("));
    }

    @Test
    public void aManagerWithoutAnEnsembleIsRefusedSayingWhereToSetIt() {
        IllegalStateException refused = assertThrows(IllegalStateException.class, () -> manager(" "));
        assertEquals("no ZooKeeper ensemble configured: set connect in etc/io.ferry.lock.zookeeper.cfg or start ferryd"
                + " with --zookeeper HOST:PORT", refused.getMessage());
    }

    /**
     * A daemon whose ensemble does not answer fails to start naming it (after 30 s of trying), rather than starting a
     * lock manager that cannot take or confirm any lease.
     */
    @Test
    public void aManagerWhoseEnsembleDoesNotAnswerIsRefusedNamingIt() throws Exception {
        String connect;
        try (ServerSocket nobody = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            connect = "127.0.0.1:" + nobody.getLocalPort(); // closed below: nothing listens there
        }
        IllegalStateException refused = assertThrows(IllegalStateException.class, () -> manager(connect));
        assertEquals("cannot reach ZooKeeper at " + connect, refused.getMessage());
    }

    private LeaseRequest withDomainLease(LeaseRequest request) {
        return new LeaseRequest(request.domainName(), domain, List.of("/images/a.img", LeaseRequest.domainResource(domain)),
                request.owner(), request.ownerUuid());
    }

    /** Leases another host held since (an operator gave them back by hand) are no longer this host's to give back. */
    @Test
    public void leasesAnotherHostHeldSinceARestartAreNotGivenBack() throws Exception {
        String held = hostA.acquire(requestA, null).state();
        hostA.client().delete().forPath("/ferry/leases/" + ZooKeeperLockManager.key("/images/a.img") + "/holder");
        hostB.acquire(requestB, null).release();

        LockException refused = assertThrows(LockException.class, () -> hostA.held(requestA, held).release());

        assertTrue(refused.getMessage(), refused.getMessage().contains("no longer this host's"));
        assertEquals("a refusal, not a store out of reach", null, refused.getCause());
    }

    /** A lease node deleted whole holds nothing of this host's: a refusal, not a store out of reach tried for good. */
    @Test
    public void leasesWhoseNodeWasDeletedAreNotGivenBack() throws Exception {
        String held = hostA.acquire(requestA, null).state();
        hostA.client().delete().deletingChildrenIfNeeded().forPath("/ferry/leases");

        LockException refused = assertThrows(LockException.class, () -> hostA.held(requestA, held).release());

        assertTrue(refused.getMessage(), refused.getMessage().contains("was deleted"));
        assertEquals(null, refused.getCause());
    }

    /** A lease node an earlier version made (its data, the disk's source alone) keeps the states it gave out. */
    @Test
    public void aLeaseNodeOfAnEarlierVersionKeepsItsStates() throws Exception {
        String node = "/ferry/leases/" + ZooKeeperLockManager.key("/images/a.img");
        hostA.client().create().creatingParentsIfNeeded().forPath(node, "/images/a.img".getBytes(StandardCharsets.UTF_8));
        hostA.client().setData().forPath(node, "/images/a.img".getBytes(StandardCharsets.UTF_8)); // an earlier acquire...
        hostA.client().setData().forPath(node, "/images/a.img".getBytes(StandardCharsets.UTF_8)); // ...and its release

        Lease taken = hostB.acquire(requestB, ZooKeeperLockManager.key("/images/a.img") + ":2");

        assertEquals(ZooKeeperLockManager.key("/images/a.img") + ":3", taken.state());
        assertEquals("/images/a.img", new String(hostA.client().getData().forPath(node), StandardCharsets.UTF_8));
    }

    /**
     * Two domains of one host on one disk are two writers: the second is refused; the first's own daemon, restarted,
     * takes it again as it is (a take would advance the state its release will hand on).
     */
    @Test
    public void aSecondDomainOfTheSameHostOnTheSameDiskIsRefused() throws Exception {
        String taken = hostA.acquire(requestA, null).state();
        LeaseRequest clone = new LeaseRequest("vm-clone", UUID.randomUUID(), List.of("/images/a.img"), "host-a",
                requestA.ownerUuid());
        try {
            hostA.acquire(clone, null);
            fail("two domains of host-a held the same disk");
        } catch (LockException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("/images/a.img is held by host-a (" + requestA.ownerUuid()
                    + ") for domain vm"));
        }
        hostA.close();
        hostA = manager(server.getConnectString()); // its daemon, restarted
        assertEquals("taken again as it is, not advanced", taken, hostA.acquire(requestA, null).state());
    }

    /**
     * A daemon whose host UUID is another's (its hypervisor's image cloned after ferryd ran, the state directory with
     * it) would take that host's leases as its own: a start would boot a second VM on the disks of one that runs, and
     * a give-back of its copied statuses' leases delete the running VM's holders. Both daemons are refused, each
     * naming the other, until one of them is gone.
     */
    @Test
    public void aSecondDaemonWithTheSameHostUuidIsRefusedNamingTheOther() throws Exception {
        String held = hostA.acquire(requestA, null).state();
        LeaseRequest cloned = new LeaseRequest("vm", domain, requestA.resources(), "host-c", requestA.ownerUuid());
        ZooKeeperLockManager clone = manager(server.getConnectString());
        try {
            LockException refused = assertThrows("a second VM on the disks of one that runs", LockException.class,
                    () -> clone.acquire(cloned, null));
            assertTrue(refused.getMessage(), refused.getMessage().startsWith("another daemon runs with this host's"
                    + " UUID " + requestA.ownerUuid() + ": host host-a ("));
            assertTrue(refused.getMessage(), refused.getMessage().contains("write it into STATE/host-uuid there"));
            assertThrows(LockException.class, () -> clone.held(cloned, held).release());
            refused = assertThrows(LockException.class, () -> hostA.heldElsewhere(requestA));
            assertTrue(refused.getMessage(), refused.getMessage().contains(": host host-c ("));
        } finally {
            clone.close();
        }
        assertEquals("host-a's, as it held them", held, hostA.acquire(requestA, null).state());
    }

    /**
     * A daemon that crashed leaves its run's node until its session expires: restarted, the same host waits for it
     * to go, and takes its own leases again.
     */
    @Test
    public void aDaemonRestartedAfterACrashTakesItsOwnLeases() throws Exception {
        String held = hostA.acquire(requestA, null).state();
        String runs = "/ferry/leases/hosts/" + requestA.ownerUuid();
        try (CuratorFramework crashed = CuratorFrameworkFactory.newClient(server.getConnectString(),
                new RetryOneTime(100))) {
            crashed.start();
            crashed.create().creatingParentsIfNeeded().withMode(CreateMode.EPHEMERAL_SEQUENTIAL)
                    .forPath(runs + "/run-", "host-a|its nonce".getBytes(StandardCharsets.UTF_8));
            hostA.close();
            hostA = manager(server.getConnectString());
            Thread sessionExpires = new Thread(() -> {
                try {
                    while (crashed.getChildren().forPath(runs).size() < 2) { // the restarted run's node made beside it
                        Thread.sleep(50);
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                } finally {
                    crashed.close();
                }
            });
            sessionExpires.start();
            assertEquals("host-a's, as it held them", held, hostA.acquire(requestA, null).state());
            sessionExpires.join();
        }
    }

    /** A daemon that stops (its session ends) while its VM runs on still holds the VM's disks. */
    @Test
    public void aStoppedDaemonsLeasesStayItsOwn() throws Exception {
        hostA.acquire(requestA, null);
        hostA.close();
        hostA = manager(server.getConnectString());
        try {
            hostB.acquire(requestB, null);
            fail("host-b took the disk of a VM that runs on host-a, whose daemon stopped");
        } catch (LockException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("/images/a.img is held by host-a"));
        }
        hostA.acquire(requestA, null).release(); // its daemon, restarted, still has them
        hostB.acquire(requestB, null);
    }

    /** A refused acquire of two disks leaves the first as it was: the state the source released stays good. */
    @Test
    public void aRefusedAcquireChangesNothing() throws Exception {
        UUID hostC = UUID.randomUUID();
        LeaseRequest twoDisksA = new LeaseRequest("vm", domain, List.of("/images/a.img", "/images/b.img"), "host-a",
                requestA.ownerUuid());
        String released = hostA.acquire(twoDisksA, null).release();
        hostB.acquire(new LeaseRequest("other", UUID.randomUUID(), List.of("/images/b.img"), "host-c", hostC), null);
        try {
            hostB.acquire(new LeaseRequest("vm", domain, twoDisksA.resources(), "host-b", requestB.ownerUuid()), released);
            fail("a disk held by host-c was taken");
        } catch (LockException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("/images/b.img is held by host-c"));
        }
        hostA.acquire(requestA, released); // a.img only: untouched by the refused acquire
    }

    /** A lease an earlier version of Ferry held for this host (an ephemeral holder) is taken over for good. */
    @Test
    public void anEarlierVersionsHolderOfThisHostIsTakenOver() throws Exception {
        try (CuratorFramework old = CuratorFrameworkFactory.newClient(server.getConnectString(), new RetryOneTime(100))) {
            old.start();
            String node = "/ferry/leases/" + ZooKeeperLockManager.key("/images/a.img");
            old.create().creatingParentsIfNeeded().forPath(node, "/images/a.img".getBytes(StandardCharsets.UTF_8));
            old.create().withMode(CreateMode.EPHEMERAL).forPath(node + "/holder",
                    ("host-a|" + requestA.ownerUuid() + "|vm").getBytes(StandardCharsets.UTF_8));
            try {
                hostB.acquire(requestB, null);
                fail("host-b took a disk an earlier version held for host-a");
            } catch (LockException e) {
                assertTrue(e.getMessage(), e.getMessage().contains("held by host-a (" + requestA.ownerUuid() + ") for domain vm"));
            }
            hostA.acquire(requestA, null);
            assertEquals(0, old.checkExists().forPath(node + "/holder").getEphemeralOwner());
        }
    }
}
