package io.ferry.core.migration;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import io.ferry.core.domain.DomainState;
import io.ferry.protocol.Messages.Finished;
import org.junit.Test;

/**
 * A resume or pause whose reply timed out and that ran later (QEMU's {@code cont} or {@code stop}, answered after the
 * command timeout): the record and the answer said the guest stayed as it was while it had changed. They now say what
 * QEMU did, or, when the hypervisor does not answer whether the guest runs, that this is not known, naming the domain.
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
        arrived.failedCallsTakeEffect = true;

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
        source.failedCallsTakeEffect = true;

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
        vm.failedCallsTakeEffect = true;

        assertEquals("Domain 'vm1' resumed", d.source.engine().resume(VM, false));
        d.source.assertRuns(VM, digest);
    }

    /** ferry suspend whose stop timed out and ran later: it said the suspend failed and kept the guest recorded running. */
    @Test
    public void aSuspendThatTimedOutButRanSaysItSuspendedAndRecordsItPaused() throws Exception {
        TwoDaemons d = new TwoDaemons();
        d.source.boot(VM);
        FakeVm vm = d.source.vm(VM);
        vm.pauseFailure = new IllegalStateException("stop: QEMU did not answer within 10000 ms");
        vm.failedCallsTakeEffect = true;

        assertEquals("Domain 'vm1' suspended", d.source.engine().suspend(VM, null).message());
        d.source.assertPausedByItsOperator(VM);
    }

    @Test
    public void aSuspendThatIsNotAnsweredSaysItIsNotKnownWhetherTheGuestIsPaused() throws Exception {
        TwoDaemons d = new TwoDaemons();
        d.source.boot(VM);
        FakeVm vm = d.source.vm(VM);
        vm.pauseFailure = new IllegalStateException("stop: QEMU did not answer within 10000 ms");
        vm.beforePause = () -> vm.silent = true; // it answered whether the guest runs, not the stop

        Exception e = org.junit.Assert.assertThrows(Exception.class, () -> d.source.engine().suspend(VM, null));

        assertEquals("the hypervisor of domain vm1 did not answer its pause (stop: QEMU did not answer within 10000 ms),"
                + " nor since whether it runs: vm1 may be paused, or be paused once its hypervisor gets to the pause;"
                + " ferry dominfo vm1 shows its state as the hypervisor has it once it answers", e.getMessage());
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

    /**
     * ferry resume --force of a source whose destination cannot say, whose cont QEMU never answered: the guest may
     * run, and the operator is told so. It said "domain vm1 could not be resumed; see the log".
     */
    @Test
    public void aForcedResumeThatIsNotAnsweredSaysItIsNotKnownWhetherTheGuestRuns() throws Exception {
        TwoDaemons d = new TwoDaemons(false);
        d.source.boot(VM);
        d.byHand(VM).prepare().perform();
        d.network.down(d.destination);
        FakeVm vm = d.source.vm(VM);
        vm.resumeFailure = new IllegalStateException(TIMED_OUT);
        vm.silent = true;

        Exception e = org.junit.Assert.assertThrows(Exception.class, () -> d.source.engine().resume(VM, true));

        assertEquals("the hypervisor of domain vm1 did not answer its resume (" + TIMED_OUT + "), nor since whether it"
                + " runs: vm1 may run, or run once its hypervisor gets to the resume; ferry dominfo vm1 shows its state as"
                + " the hypervisor has it once it answers", e.getMessage());
    }
}
