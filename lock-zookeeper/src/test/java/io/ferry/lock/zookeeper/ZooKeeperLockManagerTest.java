package io.ferry.lock.zookeeper;

import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import io.ferry.api.lock.Lease;
import io.ferry.api.lock.LeaseRequest;
import io.ferry.api.lock.LockException;
import java.lang.annotation.Annotation;
import java.util.List;
import java.util.UUID;
import org.apache.curator.test.TestingServer;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;

/** Two hosts' managers against a real ZooKeeper server (Curator's TestingServer, on loopback). */
public class ZooKeeperLockManagerTest {
    private TestingServer server;
    private ZooKeeperLockManager hostA;
    private ZooKeeperLockManager hostB;
    private final UUID domain = UUID.randomUUID();
    private final LeaseRequest requestA = new LeaseRequest("vm", domain, List.of("/images/a.img"), "host-a", UUID.randomUUID());
    private final LeaseRequest requestB = new LeaseRequest("vm", domain, List.of("/images/a.img"), "host-b", UUID.randomUUID());

    @Before
    public void start() throws Exception {
        server = new TestingServer(true);
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

    /** Two domains of one host on one disk are two writers: the second is refused; the first's own daemon takes it again. */
    @Test
    public void aSecondDomainOfTheSameHostOnTheSameDiskIsRefused() throws Exception {
        hostA.acquire(requestA, null);
        LeaseRequest clone = new LeaseRequest("vm-clone", UUID.randomUUID(), List.of("/images/a.img"), "host-a",
                requestA.ownerUuid());
        try {
            hostA.acquire(clone, null);
            fail("two domains of host-a held the same disk");
        } catch (LockException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("/images/a.img is held by host-a (" + requestA.ownerUuid()
                    + ") for domain vm"));
        }
        ZooKeeperLockManager restarted = manager(server.getConnectString()); // its daemon, restarted
        try {
            restarted.acquire(requestA, null);
        } finally {
            restarted.close();
        }
    }

    private static ZooKeeperLockManager manager(String connect) throws InterruptedException {
        return new ZooKeeperLockManager(new ZooKeeperLockManager.Config() {
            @Override
            public Class<? extends Annotation> annotationType() {
                return ZooKeeperLockManager.Config.class;
            }

            @Override
            public String connect() {
                return connect;
            }

            @Override
            public String root() {
                return "/ferry/leases";
            }

            @Override
            public int sessionTimeoutSeconds() {
                return 15;
            }
        });
    }
}
