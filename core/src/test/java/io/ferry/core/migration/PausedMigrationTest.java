package io.ferry.core.migration;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.core.domain.Domain;
import io.ferry.core.domain.DomainState;
import io.ferry.protocol.ChannelException;
import org.junit.Test;

/**
 * A guest paused when its migration begins, as libvirt has it: it arrives paused (its driver adds VIR_MIGRATE_PAUSED,
 * as {@code --suspend} does), its operator's to resume, and a rollback leaves it paused as it was; neither a restart
 * nor recovery resumes it.
 */
public class PausedMigrationTest {
    private static final String VM = "vm1";

    @Test
    public void aGuestPausedBeforeItsMigrationArrivesPaused() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        pause(d.source);

        d.migrate(VM);

        d.destination.assertPausedByItsOperator(VM);
        assertEquals(VM + "'s memory on the destination", digest, d.destination.digest(VM));
        d.source.assertGone(VM);
    }

    @Test
    public void aRollbackKeepsPausedAGuestPausedBeforeBegin() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        pause(d.source);
        TwoDaemons.ByHand run = d.byHand(VM).prepare().perform();

        run.cancel();

        d.source.assertPausedByItsOperator(VM);
        d.destination.assertGone(VM);
        d.source.restart();
        d.network.passes(20_000, d.source);
        d.source.assertPausedByItsOperator(VM);
        d.source.engine().resume(VM, false); // takes back the leases its switch-over gave back
        d.source.assertRuns(VM, digest);
    }

    /** Killed mid-Perform: recovery rolls the migration back, and the guest stays paused, as it was at Begin. */
    @Test
    public void aSourceKilledDuringPerformKeepsAGuestPausedBeforeBeginPausedOnRestart() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        pause(d.source);
        TwoDaemons.ByHand run = d.byHand(VM).prepare();
        d.source.vm(VM).duringSend = () -> {
            throw new Crash();
        };
        assertThrows(Crash.class, run::perform);

        d.source.restart();
        d.network.passes(20_000, d.source, d.destination);

        d.source.assertPausedByItsOperator(VM);
        d.destination.assertGone(VM);
        assertEquals(Step.ABORTED, d.source.journal.find(run.begun.id()).orElseThrow().step());
        d.source.engine().resume(VM, false);
        d.source.assertRuns(VM, digest);
    }

    @Test
    public void aGuestMigratedWithSuspendArrivesPausedAndARestartKeepsItPaused() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);

        d.migrate(VM, TwoDaemons.LIVE.withPaused());

        d.destination.assertPausedByItsOperator(VM);
        d.source.assertGone(VM);
        d.destination.restart();
        d.network.passes(20_000, d.destination);
        d.destination.assertPausedByItsOperator(VM);
        d.destination.engine().resume(VM, false);
        d.destination.assertRuns(VM, digest);
    }

    /**
     * A QEMU too busy to answer {@code query-status} within its command timeout (a loaded host) said "not running", as
     * a paused one does: the guest migrated paused and stayed paused (user) on the destination for good. Begin is
     * refused now, and nothing changes.
     */
    @Test
    public void aBeginWhoseHypervisorDoesNotSayWhetherTheGuestRunsIsRefusedAndChangesNothing() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        FakeVm vm = d.source.silence(VM);

        ChannelException e = d.migrationFails(VM);

        assertTrue(e.getMessage(), e.getMessage().endsWith("the hypervisor of domain vm1 does not answer whether its"
                + " guest runs (its QEMU is busy or hung): nothing was changed; try again"));
        vm.silent = false;
        d.source.assertRuns(VM, digest);
        d.destination.assertGone(VM);
        assertTrue("recorded: " + d.source.journal.all(), d.source.journal.all().isEmpty());
        d.migrate(VM);
        d.destination.assertRuns(VM, digest);
    }

    /** Pauses the guest as its operator's {@code ferry suspend} does. */
    private static void pause(TestHost host) throws Exception {
        Domain domain = host.domain(VM).orElseThrow();
        host.domains().withJob(domain, "pause", () -> {
            domain.vm().pause();
            host.domains().setState(domain, DomainState.PAUSED, DomainState.Reason.USER);
            return null;
        });
    }
}
