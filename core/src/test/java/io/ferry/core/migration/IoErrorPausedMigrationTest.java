package io.ferry.core.migration;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;

import io.ferry.api.hypervisor.GuestState;
import io.ferry.core.domain.Domain;
import io.ferry.core.domain.DomainState;
import io.ferry.core.domain.ShownState;
import io.ferry.protocol.ChannelException;
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

    private static void assertPausedForAnIoError(TestHost host, FakeVm vm) {
        Domain domain = host.domain(VM).orElseThrow();
        assertFalse(VM + " was resumed", vm.isRunning());
        assertEquals(new ShownState(DomainState.PAUSED, DomainState.Reason.IOERROR), ShownState.of(domain));
        assertEquals(DomainState.PAUSED, domain.state());
        assertEquals(null, domain.migration());
    }
}
