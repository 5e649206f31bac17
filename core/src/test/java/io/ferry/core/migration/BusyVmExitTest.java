package io.ferry.core.migration;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;

import io.ferry.core.domain.Domain;
import io.ferry.core.domain.DomainState;
import java.util.Arrays;
import org.junit.Test;

/**
 * A VM that ends on its own while its domain cannot be shut off at once (a job or a migration holds it, or its files
 * are unreadable): the end is handled once it can be, or left to the operator, and never by a thread that spins.
 */
public class BusyVmExitTest {
    private static final String VM = "vm1";
    private static final String DISK = "/disks/vm1.img";

    /**
     * The VM ends while a job holds its domain, and the domain is destroyed and started again before the exit gets
     * the job (an operator's commands queued behind it): the end was the old VM's, and the new one runs on, its lease
     * held. The exit shut the domain off under the new VM and gave its disk's lease back.
     */
    @Test
    public void aVmEndingWhileAJobHoldsItsDomainLeavesTheVmStartedMeanwhileRunning() throws Exception {
        TwoDaemons d = new TwoDaemons();
        d.source.boot(VM);
        Domain domain = d.source.domain(VM).orElseThrow();

        d.source.domains().withJob(domain, "operator", () -> {
            d.source.vm(VM).exitOnItsOwn();
            Thread.sleep(100); // its handler waits for the job
            d.source.domains().destroy(VM);
            d.source.domains().start(VM);
            return null;
        });
        assertExitHandlingEnds(VM);

        d.source.assertRuns(VM, null);
        assertEquals(DomainState.RUNNING, domain.state());
        assertEquals("the new VM's disk", "source", d.leases.holder(DISK));
    }

    /**
     * The VM ends while a migration holds its domain between phases: its end is kept for the migration's end. It was
     * tried again at once, in a loop without a pause that logged "waits for its job" at each turn until the migration
     * ended.
     */
    @Test
    public void aVmEndingWhileAMigrationHoldsItsDomainIsKeptForItsEndWithoutSpinning() throws Exception {
        TwoDaemons d = new TwoDaemons();
        d.source.boot(VM);
        TwoDaemons.ByHand run = d.byHand(VM).prepare();

        d.source.vm(VM).exitOnItsOwn();
        assertExitHandlingEnds(VM);

        assertEquals("kept for the migration", DomainState.RUNNING, d.source.domain(VM).orElseThrow().state());
        run.cancel();
        VmExitTest.awaitShutOff(d.source, VM);
    }

    /**
     * A re-attached VM whose domain was marked unreadable (its leases could not be retaken, nor the guest paused) ends:
     * the domain is left as it is for the operator. The exit was tried again in a loop, for as long as the daemon ran.
     */
    @Test
    public void aVmEndingWhoseDomainIsUnreadableIsLeftAsItIs() throws Exception {
        TwoDaemons d = new TwoDaemons();
        d.source.boot(VM);
        d.source.vm(VM).pauseFailure = new IllegalStateException("stop: QEMU did not answer within 10000 ms");
        d.leases.unreachableFrom = "source";
        d.source.restart();
        Domain domain = d.source.domain(VM).orElseThrow();
        assertNotNull("unreadable: its VM runs without its leases", domain.problem());

        d.source.vm(VM).exitOnItsOwn();
        assertExitHandlingEnds(VM);

        assertEquals("left as it is", DomainState.UNREADABLE, domain.state());
        assertEquals("still held: the operator gives it back", "source", d.leases.holder(DISK));
    }

    /** The thread that handles the end of the guest's VM, if one still runs, must end (it gives up, or waits parked). */
    private static void assertExitHandlingEnds(String guest) throws InterruptedException {
        for (Thread thread : Thread.getAllStackTraces().keySet()) {
            if (thread.getName().equals("vm-exit-" + guest)) {
                thread.join(10_000);
                assertFalse(thread.getName() + " still runs at " + Arrays.toString(thread.getStackTrace()), thread.isAlive());
            }
        }
    }
}
