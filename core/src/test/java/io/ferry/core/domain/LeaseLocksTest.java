package io.ferry.core.domain;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** The lock of a domain's lease changes: one change at a time, and nothing kept of a domain once its changes ended. */
public class LeaseLocksTest {
    private static final int DOMAINS = 200;

    @Rule
    public TemporaryFolder folder = new TemporaryFolder();

    /**
     * Each domain whose leases a host ever took or gave back (every guest that arrived, whether its migration failed or
     * not) kept a lock object in the daemon for good: a peer's Prepares, each naming another guest, grew it at will.
     */
    @Test
    public void noLockIsKeptForTheDomainsAHostHad() throws Exception {
        TestHost host = new TestHost(folder.getRoot().toPath());
        for (int i = 0; i < DOMAINS; i++) {
            String name = "guest" + i;
            host.manager.define("<domain type='sim'><name>" + name + "</name><uuid>" + UUID.randomUUID()
                    + "</uuid><memory unit='MiB'>16</memory></domain>");
            host.manager.start(name); // takes its leases
            host.manager.destroy(name); // gives them back
            host.manager.undefine(name);
        }

        assertEquals("domains with a lease lock after " + DOMAINS + " came and went", 0, host.manager.leases().domainsChanging());
    }

    /** A lock is shared while held: a second change of the same domain waits for the first, and both leave nothing. */
    @Test
    public void aChangeWaitsForTheOneUnderWayAndNeitherLeavesALock() throws Exception {
        DomainLocks locks = new DomainLocks();
        CountDownLatch second = new CountDownLatch(1);
        Thread waiting;
        try (DomainLocks.Held first = locks.lock("vm1")) {
            waiting = new Thread(() -> {
                try (DomainLocks.Held again = locks.lock("vm1")) {
                    second.countDown();
                }
            });
            waiting.start();
            assertEquals("the second change ran while the first held the lock", 1, second.getCount());
            try (DomainLocks.Held reentered = locks.lock("vm1")) {
                assertEquals(1, locks.size());
            }
        }
        assertTrue("the second change never ran", second.await(30, TimeUnit.SECONDS));
        waiting.join();
        assertEquals(0, locks.size());
    }
}
