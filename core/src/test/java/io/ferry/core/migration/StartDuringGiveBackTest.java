package io.ferry.core.migration;

import static org.junit.Assert.assertNotNull;

import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.Test;

/**
 * A restarted daemon that found VMs gone (with their host) before its lock manager came gives back, once it comes,
 * what its host held for them. An operator's start of such a domain may come in the same moment (the lock manager
 * is there): it must hold the leases its VM runs with. The give-back released the leases a start had just taken, and
 * the VM ran with its leases free, which another host's start of the domain (its definition left there by a
 * migration) could then take.
 */
public class StartDuringGiveBackTest {
    @Test
    public void aDomainStartedBeforeItsGoneVmsLeasesAreGivenBackKeepsThem() throws Exception {
        TwoDaemons d = restartedWithVmsGone("vm1", "vm2");
        AtomicReference<String> startedFirst = new AtomicReference<>();
        d.leases.beforeNextAcquire = request -> { // the first give-back: the other domain starts before its own one
            String other = request.domainName().equals("vm1") ? "vm2" : "vm1";
            startedFirst.set(other);
            joined(started(d, other));
        };

        d.source.registerLockManager();

        assertNotNull("a give-back took leases", startedFirst.get());
        d.source.assertRuns(startedFirst.get(), null); // its lease too
    }

    /** Guests booted on the source, gone with its host, and its daemon restarted before its lock manager came. */
    private static TwoDaemons restartedWithVmsGone(String... guests) throws Exception {
        TwoDaemons d = new TwoDaemons();
        for (String guest : guests) {
            d.source.boot(guest);
        }
        for (String guest : List.of(guests)) {
            d.source.vm(guest).destroy();
        }
        d.source.lockManagerLate = true;
        d.source.restart();
        return d;
    }

    private static Thread started(TwoDaemons d, String guest) {
        Thread thread = new Thread(() -> {
            try {
                d.source.domains().start(guest);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }, "start " + guest);
        thread.start();
        return thread;
    }

    private static void joined(Thread thread) {
        try {
            thread.join();
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }
}
