package io.ferry.core.migration;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

import io.ferry.protocol.ChannelException;
import io.ferry.protocol.Messages;
import io.ferry.protocol.MigrationDriver;
import io.ferry.protocol.MigrationFlags;
import org.junit.Test;

/**
 * {@code ferry migrate} without {@code --live}, as virsh's: the guest is paused before its memory moves (one pass,
 * nothing dirtied meanwhile), not only at the switch-over; a migration that fails runs it again on the source.
 */
public class NonLiveMigrationTest {
    private static final String VM = "vm1";
    private static final MigrationFlags NOT_LIVE = new MigrationFlags(false, false, false, false, false, false, false);
    private static final MigrationFlags NOT_LIVE_P2P = new MigrationFlags(false, true, false, false, false, false, false);

    @Test
    public void withoutLiveTheGuestIsPausedBeforeItsMemoryMoves() throws Exception {
        for (MigrationFlags flags : new MigrationFlags[] {NOT_LIVE, NOT_LIVE_P2P}) {
            TwoDaemons d = new TwoDaemons();
            String digest = d.source.boot(VM);
            FakeVm vm = d.source.vm(VM);

            if (flags.p2p()) {
                d.source.engine().migrate(new Messages.Migrate(VM, d.destination.uri, flags, null, null, 0),
                        MigrationDriver.Listener.NONE);
            } else {
                d.migrate(VM, flags);
            }

            assertEquals(flags.toString(), Boolean.FALSE, vm.runningWhenMemoryLeft);
            d.destination.assertRuns(VM, digest);
            d.source.assertGone(VM);
        }
    }

    @Test
    public void aLiveMigrationKeepsTheGuestRunningWhileItsMemoryMoves() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        FakeVm vm = d.source.vm(VM);

        d.migrate(VM, TwoDaemons.LIVE);

        assertEquals(Boolean.TRUE, vm.runningWhenMemoryLeft);
        d.destination.assertRuns(VM, digest);
    }

    @Test
    public void aFailedMigrationWithoutLiveRunsTheGuestAgainOnTheSource() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        FakeVm vm = d.source.vm(VM);
        vm.failSendAfter = 8192;

        assertThrows(ChannelException.class, () -> d.migrate(VM, NOT_LIVE));

        assertEquals(Boolean.FALSE, vm.runningWhenMemoryLeft);
        d.source.assertRuns(VM, digest);
        d.destination.assertGone(VM);
    }
}
