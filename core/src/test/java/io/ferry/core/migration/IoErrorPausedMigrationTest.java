package io.ferry.core.migration;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;

import io.ferry.api.hypervisor.GuestState;
import io.ferry.core.domain.Domain;
import io.ferry.core.domain.DomainState;
import io.ferry.core.domain.ShownState;
import io.ferry.protocol.ChannelException;
import io.ferry.protocol.Messages.Finished;
import org.junit.Test;

/**
 * A guest its hypervisor paused by itself while it migrated (QEMU: a disk write failed with werror=stop): a failed
 * migration leaves it paused on the source, shown paused (I/O error), for its operator to resume once the disk is dealt
 * with; the old rollback resumed it, since it ran when the migration began.
 */
public class IoErrorPausedMigrationTest {
    private static final String VM = "vm1";

    @Test
    public void aRollbackAfterTheSwitchOverDoesNotResumeAGuestPausedForAnIoErrorDuringPerform() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        FakeVm vm = d.source.vm(VM);
        vm.duringSend = () -> vm.pauseBy(GuestState.PausedBy.IO_ERROR);
        TwoDaemons.ByHand run = d.byHand(VM).prepare().perform();

        run.cancel();

        assertPausedForAnIoError(d.source, vm);
        d.destination.assertGone(VM);
        d.source.engine().resume(VM, false); // its operator's: takes back the leases its switch-over gave back
        d.source.assertRuns(VM, digest);
    }

    @Test
    public void aPerformThatFailsDoesNotResumeAGuestPausedForAnIoErrorMeanwhile() throws Exception {
        TwoDaemons d = new TwoDaemons();
        d.source.boot(VM);
        FakeVm vm = d.source.vm(VM);
        vm.duringSend = () -> vm.pauseBy(GuestState.PausedBy.IO_ERROR);
        vm.failSendAfter = 8192;
        TwoDaemons.ByHand run = d.byHand(VM).prepare();

        assertThrows(ChannelException.class, run::perform);

        assertPausedForAnIoError(d.source, vm);
    }

    /**
     * The guest paused for an I/O error on the source during Perform, after Begin found it running: QEMU carries the
     * run state in its stream (the destination's is io-error), and the old Finish sent cont all the same, retrying the
     * failed write on the destination. It now arrives paused, as it was, and the migration's answer says so.
     */
    @Test
    public void aGuestPausedForAnIoErrorDuringPerformArrivesPausedNotResumed() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        FakeVm vm = d.source.vm(VM);
        vm.duringSend = () -> vm.pauseBy(GuestState.PausedBy.IO_ERROR);
        TwoDaemons.ByHand run = d.byHand(VM).prepare().perform();
        d.destination.vm(VM).pauseBy(GuestState.PausedBy.IO_ERROR); // QEMU's run state, as the stream brought it

        Finished finished = run.finish();
        run.confirm(false, finished.cookie());

        assertPausedForAnIoError(d.destination, d.destination.vm(VM));
        assertEquals("domain vm1 arrived paused: its hypervisor had paused it by itself (I/O error) during the migration;"
                + " ferry resume vm1 runs it once that is dealt with", finished.note());
        d.source.assertGone(VM);
        d.destination.restart();
        d.network.passes(20_000, d.destination);
        assertFalse("a restart resumed " + VM, d.destination.vm(VM).isRunning());
        d.destination.engine().resume(VM, false);
        d.destination.assertRuns(VM, digest);
    }

    private static void assertPausedForAnIoError(TestHost host, FakeVm vm) {
        Domain domain = host.domain(VM).orElseThrow();
        assertFalse(VM + " was resumed", vm.isRunning());
        assertEquals(new ShownState(DomainState.PAUSED, DomainState.Reason.IOERROR), ShownState.of(domain));
        assertEquals(DomainState.PAUSED, domain.state());
        assertEquals(null, domain.migration());
    }
}
