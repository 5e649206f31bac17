package io.ferry.lock.zookeeper;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import io.ferry.api.lock.LeaseRequest;
import io.ferry.api.lock.LockException;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryNTimes;
import org.apache.curator.test.TestingServer;
import org.junit.After;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * A transaction the server committed but whose answer a lost connection swallowed: Curator repeats it, the repeat
 * fails, and the leases must still count as taken (or given back), not be left this host's with nothing to
 * release them, or their state advanced behind the migration's back. And the checks that decide so must not count a
 * transaction that never committed (its request lost, or beaten by another host's) as one that did.
 */
public class LostAnswerTest {
    private final UUID domain = UUID.randomUUID();
    private final LeaseRequest hostA = new LeaseRequest("vm", domain, List.of("/images/a.img", "/images/b.img"), "host-a", UUID.randomUUID());
    private final LeaseRequest hostB = new LeaseRequest("vm", domain, hostA.resources(), "host-b", UUID.randomUUID());
    @Rule
    public TemporaryFolder folder = new TemporaryFolder();
    private TestingServer server;
    private AnswerDroppingProxy proxy;
    private CuratorFramework throughProxy;
    private CuratorFramework direct;

    @Before
    public void start() throws Exception {
        server = Managers.zooKeeper(folder);
        proxy = new AnswerDroppingProxy(server.getPort());
        throughProxy = connected(proxy.connectString());
        direct = connected(server.getConnectString());
    }

    @After
    public void stop() throws Exception {
        throughProxy.close();
        direct.close();
        proxy.close();
        server.close();
    }

    @Test
    public void aTakeWhoseAnswerWasLostHoldsTheLeases() throws Exception {
        LeaseNodes a = nodes(throughProxy);
        LeaseNodes b = nodes(direct);
        proxy.dropTheNextTransactionsAnswer();
        Map<String, Integer> taken = a.take(hostA, Map.of(), "attempt-1");
        assertEquals(1, proxy.dropped());
        assertEquals(hostA.resources(), List.copyOf(taken.keySet()));
        try {
            b.take(hostB, Map.of(), "attempt-2");
            fail("host-b took leases host-a holds");
        } catch (LockException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("is held by host-a"));
        }
        Map<String, Integer> released = a.giveBack(hostA, taken);
        b.take(hostB, handedOn(released), "attempt-3"); // the state handed on is good: nothing moved behind it
    }

    @Test
    public void aGiveBackWhoseAnswerWasLostHandsOnItsState() throws Exception {
        LeaseNodes a = nodes(throughProxy);
        LeaseNodes b = nodes(direct);
        Map<String, Integer> taken = a.take(hostA, Map.of(), "attempt-1");
        proxy.dropTheNextTransactionsAnswer();
        Map<String, Integer> released = a.giveBack(hostA, taken);
        assertEquals(1, proxy.dropped());
        b.take(hostB, handedOn(released), "attempt-2");
    }

    /**
     * The give-back's answer lost, and ZooKeeper out of reach long enough for the client's repeat and its check to fail
     * too: the host does not know whether its leases went back, and tries again once ZooKeeper answers (its daemon keeps
     * them owed). The retry must see that the first one went through and hand on its state: refused ("no longer this
     * host's"), the leases would stay owed for good, and the source of an aborted migration paused with them.
     */
    @Test
    public void aGiveBackRetriedAfterOneThatWentThroughUnansweredHandsOnItsState() throws Exception {
        try (CuratorFramework impatient = connected(proxy.connectString(), 1_000, new RetryNTimes(1, 100))) {
            LeaseNodes a = nodes(impatient);
            LeaseNodes b = nodes(direct);
            Map<String, Integer> taken = a.take(hostA, Map.of(), "attempt-1");
            proxy.dropTheNextTransactionsAnswerAndStayDown();
            assertThrows(LockException.class, () -> a.giveBack(hostA, taken));
            assertEquals(1, proxy.dropped());
            proxy.up();

            Map<String, Integer> released = a.giveBack(hostA, taken);

            b.take(hostB, handedOn(released), "attempt-2");
        }
    }

    /**
     * As above, but the daemon restarted before ZooKeeper answered again: all it kept is the state the leases were held
     * with. Its give-back must still see that its first one went through and hand on that one's state: taking them again
     * with the held state, as the core did, was refused, and the source of the aborted migration paused for good.
     */
    @Test
    public void aRestartedDaemonsGiveBackAfterOneThatWentThroughUnansweredHandsOnItsState() throws Exception {
        Map<String, Integer> taken;
        try (CuratorFramework impatient = connected(proxy.connectString(), 1_000, new RetryNTimes(1, 100))) {
            LeaseNodes a = nodes(impatient);
            taken = a.take(hostA, Map.of(), "attempt-1");
            proxy.dropTheNextTransactionsAnswerAndStayDown();
            assertThrows(LockException.class, () -> a.giveBack(hostA, taken));
            assertEquals(1, proxy.dropped());
        }
        proxy.up();
        ZooKeeperLockManager restartedA = Managers.manager(server.getConnectString());
        ZooKeeperLockManager b = Managers.manager(server.getConnectString());
        try {
            String released = restartedA.held(hostA, ZooKeeperLockManager.format(taken)).release();

            b.acquire(hostB, released);
        } finally {
            restartedA.close();
            b.close();
        }
    }

    /**
     * A take of released leases (a rollback's, a Finish's) went through, its answer lost and ZooKeeper out of reach long
     * enough for the client's repeat to fail: the host does not know whether it took them, and presents the same state
     * again once ZooKeeper answers. The retry must see its own take: refused ("another host used it meanwhile"), the
     * guest was declared lost, its leases this host's for good though nobody else ever held them.
     */
    @Test
    public void aTakeRetriedAfterOneThatWentThroughUnansweredHoldsTheLeases() throws Exception {
        try (CuratorFramework impatient = connected(proxy.connectString(), 1_000, new RetryNTimes(1, 100))) {
            LeaseNodes a = nodes(impatient);
            LeaseNodes b = nodes(direct);
            Map<String, Integer> released = b.giveBack(hostB, b.take(hostB, Map.of(), "attempt-1"));
            proxy.dropTheNextTransactionsAnswerAndStayDown();
            assertThrows(LockException.class, () -> a.take(hostA, handedOn(released), "attempt-2"));
            assertEquals(1, proxy.dropped());
            proxy.up();

            Map<String, Integer> taken = a.take(hostA, handedOn(released), "attempt-3");

            assertEquals(hostA.resources(), List.copyOf(taken.keySet()));
            LockException held = assertThrows(LockException.class, () -> b.take(hostB, handedOn(released), "attempt-4"));
            assertTrue(held.getMessage(), held.getMessage().contains("is held by host-a"));
            b.take(hostB, handedOn(a.giveBack(hostA, taken)), "attempt-5"); // the state handed on is good
        }
    }

    /**
     * A start's take of free leases went through, its answer lost and ZooKeeper out of reach long enough for the
     * client's repeat to fail: the holders stay, and the failure said "none was taken", though they were. It says
     * they may have been taken now; the lock manager alone is checked here (a start owes nothing: its leases stay its
     * host's until the domain starts there again, as the give-back at the end does by hand).
     */
    @Test
    public void aStartsTakeThatWentThroughUnansweredSaysTheLeasesMayHaveBeenTaken() throws Exception {
        try (CuratorFramework impatient = connected(proxy.connectString(), 1_000, new RetryNTimes(1, 100))) {
            LeaseNodes a = nodes(impatient);
            LeaseNodes b = nodes(direct);
            proxy.dropTheNextTransactionsAnswerAndStayDown();

            LockException failed = assertThrows(LockException.class, () -> a.take(hostA, Map.of(), "attempt-1"));

            assertEquals(1, proxy.dropped());
            assertTrue(failed.getMessage(), failed.getMessage().startsWith("cannot take the leases of domain vm in"
                    + " ZooKeeper: ") && failed.getMessage().endsWith("; they may have been taken"));
            proxy.up();
            LockException held = assertThrows(LockException.class, () -> b.take(hostB, Map.of(), "attempt-2"));
            assertTrue(held.getMessage(), held.getMessage().contains("is held by host-a"));
        }
        ZooKeeperLockManager owingA = Managers.manager(server.getConnectString());
        try {
            owingA.held(hostA, null).release();
        } finally {
            owingA.close();
        }
        nodes(direct).take(hostB, Map.of(), "attempt-3");
    }

    /** A take whose reads failed (its client closed) never sent its transaction: nothing was taken, as it says. */
    @Test
    public void aTakeThatNeverSentItsTransactionSaysNoneWasTaken() throws Exception {
        CuratorFramework closed = connected(server.getConnectString());
        closed.close();
        LeaseNodes a = nodes(closed);

        LockException failed = assertThrows(LockException.class, () -> a.take(hostA, Map.of(), "attempt-1"));

        assertTrue(failed.getMessage(), failed.getMessage().endsWith("; none was taken"));
    }

    /**
     * A give-back that never reached ZooKeeper (the connection cut before it, and not repeated) fails, the leases still
     * this host's: its check finds them held, not given back, and a later give-back hands them on.
     */
    @Test
    public void aGiveBackThatNeverReachedZooKeeperFailsAndTheLeasesStayThisHosts() throws Exception {
        try (CuratorFramework once = connected(proxy.connectString(), 10_000, new RetryNTimes(0, 0))) {
            LeaseNodes a = nodes(once);
            LeaseNodes b = nodes(direct);
            Map<String, Integer> taken = a.take(hostA, Map.of(), "attempt-1");
            proxy.dropTheNextTransaction();

            LockException failed = assertThrows(LockException.class, () -> a.giveBack(hostA, taken));

            assertTrue(failed.getMessage(),
                    failed.getMessage().startsWith("cannot release the leases of domain vm in ZooKeeper"));
            LockException held = assertThrows(LockException.class, () -> b.take(hostB, Map.of(), "attempt-2"));
            assertTrue(held.getMessage(), held.getMessage().contains("is held by host-a"));
            b.take(hostB, handedOn(a.giveBack(hostA, taken)), "attempt-3");
        }
    }

    /**
     * Another host takes the leases between this host's reads and its transaction: the transaction fails, and its check
     * finds them another's, not taken by this attempt: refused, not counted as taken.
     */
    @Test
    public void aTakeThatAnotherHostBeatIsRefusedNotCountedAsTaken() throws Exception {
        LeaseNodes a = nodes(throughProxy);
        LeaseNodes b = nodes(direct);
        AtomicReference<Map<String, Integer>> takenByB = new AtomicReference<>();
        proxy.beforeTheNextTransaction(() -> {
            try {
                takenByB.set(b.take(hostB, Map.of(), "attempt-b"));
            } catch (LockException e) {
                throw new IllegalStateException(e);
            }
        });

        LockException refused = assertThrows(LockException.class, () -> a.take(hostA, Map.of(), "attempt-a"));

        assertEquals("the leases of domain vm changed while they were being taken (another host at the same moment): none"
                + " was taken", refused.getMessage());
        assertEquals(hostB.resources(), List.copyOf(takenByB.get().keySet()));
        assertTrue(a.heldElsewhere(hostA).orElseThrow().contains("is held by host-b"));
    }

    /** Released versions as another host presents them: the lease state's form, keyed by resource digest. */
    private static Map<String, Integer> handedOn(Map<String, Integer> released) throws LockException {
        return ZooKeeperLockManager.parse(ZooKeeperLockManager.format(released));
    }

    private static LeaseNodes nodes(CuratorFramework client) {
        return new LeaseNodes(client, "/ferry/leases", "no credentials");
    }

    private static CuratorFramework connected(String connect) throws InterruptedException {
        return connected(connect, 10_000, new RetryNTimes(10, 100));
    }

    private static CuratorFramework connected(String connect, int connectionTimeoutMillis, RetryNTimes retries)
            throws InterruptedException {
        CuratorFramework client = CuratorFrameworkFactory.newClient(connect, 15_000, connectionTimeoutMillis, retries);
        client.start();
        assertTrue("cannot reach ZooKeeper at " + connect, client.blockUntilConnected(30, TimeUnit.SECONDS));
        return client;
    }
}
