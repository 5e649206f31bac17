package io.ferry.core.migration;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import io.ferry.core.domain.DomainState;
import io.ferry.protocol.Messages.Finished;
import org.junit.Test;

/**
 * A resume whose reply timed out and that ran later (QEMU's {@code cont}, answered after the command timeout): the
 * record and the answer said the guest stayed paused while it ran. They now say it runs, or, when the hypervisor does
 * not answer whether it does, that this is not known, naming the domain.
 */
public class LateResumeTest {
    private static final String VM = "vm1";
    private static final String TIMED_OUT = "cont: QEMU did not answer within 10000 ms";

    @Test
    public void aResumeAtFinishThatTimedOutButRanIsRecordedRunningAndNotReportedPaused() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        TwoDaemons.ByHand run = d.byHand(VM).prepare().perform();
        FakeVm arrived = d.destination.vm(VM);
        arrived.resumeFailure = new IllegalStateException(TIMED_OUT);
        arrived.failedResumeRunsLate = true;

        Finished finished = run.finish();
        run.confirm(false, finished.cookie());

        assertNull(finished.note());
        d.destination.assertRuns(VM, digest);
        d.source.assertGone(VM);
    }

    @Test
    public void aResumeAtFinishThatIsNotAnsweredSaysItIsNotKnownWhetherTheGuestRuns() throws Exception {
        TwoDaemons d = new TwoDaemons();
        d.source.boot(VM);
        TwoDaemons.ByHand run = d.byHand(VM).prepare().perform();
        FakeVm arrived = d.destination.vm(VM);
        arrived.resumeFailure = new IllegalStateException(TIMED_OUT);
        arrived.silent = true;

        Finished finished = run.finish();

        assertEquals("the destination committed domain vm1, but the hypervisor of domain vm1 did not answer its resume ("
                + TIMED_OUT + "), nor since whether it runs: vm1 may run, or run once its hypervisor gets to the resume;"
                + " ferry dominfo vm1 shows its state as the hypervisor has it once it answers", finished.note());
    }

    @Test
    public void aRollbackWhoseResumeTimedOutButRanIsRecordedRunning() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        TwoDaemons.ByHand run = d.byHand(VM).prepare().perform();
        FakeVm source = d.source.vm(VM);
        source.resumeFailure = new IllegalStateException(TIMED_OUT);
        source.failedResumeRunsLate = true;

        run.cancel();

        d.source.assertRuns(VM, digest);
        assertEquals(DomainState.Reason.MIGRATION_CANCELED, d.source.domain(VM).orElseThrow().reason());
        d.destination.assertGone(VM);
    }

    @Test
    public void aResumeByTheOperatorThatTimedOutButRanSaysItResumed() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        d.source.domains().suspend(d.source.domain(VM).orElseThrow());
        FakeVm vm = d.source.vm(VM);
        vm.resumeFailure = new IllegalStateException(TIMED_OUT);
        vm.failedResumeRunsLate = true;

        assertEquals("Domain 'vm1' resumed", d.source.engine().resume(VM, false));
        d.source.assertRuns(VM, digest);
    }

    @Test
    public void aResumeByTheOperatorThatIsNotAnsweredSaysSoAndKeepsTheRecord() throws Exception {
        TwoDaemons d = new TwoDaemons();
        d.source.boot(VM);
        d.source.domains().suspend(d.source.domain(VM).orElseThrow());
        FakeVm vm = d.source.vm(VM);
        vm.resumeFailure = new IllegalStateException(TIMED_OUT);
        vm.silent = true;

        Exception e = org.junit.Assert.assertThrows(Exception.class, () -> d.source.engine().resume(VM, false));

        assertTrue(e.getMessage(), e.getMessage().startsWith("the hypervisor of domain vm1 did not answer its resume"));
        assertFalse(e.getMessage(), e.getMessage().contains("failed"));
        assertEquals(DomainState.PAUSED, d.source.domain(VM).orElseThrow().state());
    }
}
