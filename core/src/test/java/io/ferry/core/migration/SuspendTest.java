package io.ferry.core.migration;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.core.domain.DomainState;
import io.ferry.protocol.DaemonClient;
import io.ferry.protocol.DomainMessages.Done;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.Test;

/**
 * {@code ferry suspend}, as libvirt's: the guest stays paused across a restart; suspended while it migrates out (what
 * {@code migrate --timeout} does), it migrates on and runs on the destination, as it ran before, and a rollback resumes
 * it (the state from before Begin; one paused before stays paused: {@link PausedMigrationTest}).
 */
public class SuspendTest {
    private static final String VM = "vm1";

    @Test
    public void aSuspendedGuestStaysPausedAcrossARestart() throws Exception {
        TwoDaemons d = new TwoDaemons();
        d.source.boot(VM);

        Done done = d.source.engine().suspend(VM, null);

        assertEquals("Domain 'vm1' suspended", done.message());
        d.source.assertPausedByItsOperator(VM);
        d.source.restart();
        d.network.passes(20_000, d.source);
        d.source.assertPausedByItsOperator(VM);
        assertEquals(DaemonClient.PAUSED_ALREADY, d.source.engine().suspend(VM, null).action());
        d.source.engine().resume(VM, false);
        d.source.assertRuns(VM, null);
    }

    /** The daemon died between resuming the guest and recording it: the VM's word wins at the restart. */
    @Test
    public void aGuestResumedAsItsDaemonDiedIsRecordedRunningAtTheRestart() throws Exception {
        TwoDaemons d = new TwoDaemons();
        d.source.boot(VM);
        d.source.engine().suspend(VM, null);
        d.source.vm(VM).resume(); // its record of the resume never written

        d.source.restart();

        d.source.assertRuns(VM, null);
        assertEquals(DomainState.Reason.UNPAUSED, d.source.domain(VM).orElseThrow().reason());
    }

    @Test
    public void aShutOffDomainIsNotSuspendedAndTheErrorNamesIt() throws Exception {
        TwoDaemons d = new TwoDaemons();
        d.source.domains().define(TestHost.definition(VM));

        Exception e = assertThrows(Exception.class, () -> d.source.engine().suspend(VM, null));

        assertEquals("Requested operation is not valid: domain vm1 is not running (shut off)", e.getMessage());
    }

    @Test
    public void aGuestSuspendedDuringPerformMigratesAndRunsOnTheDestination() throws Exception {
        TwoDaemons d = new TwoDaemons();
        d.source.boot(VM);
        AtomicReference<Done> suspended = suspendDuringPerform(d);

        d.migrate(VM);

        assertEquals(DaemonClient.SUSPENDED, suspended.get().action());
        d.destination.assertRuns(VM, null);
        d.source.assertGone(VM);
    }

    @Test
    public void aRollbackResumesAGuestSuspendedDuringPerformThatRanBeforeBegin() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        AtomicReference<Done> suspended = suspendDuringPerform(d);
        TwoDaemons.ByHand run = d.byHand(VM).prepare().perform();
        assertEquals(DaemonClient.SUSPENDED, suspended.get().action());

        run.cancel();

        d.source.assertRuns(VM, digest);
        d.destination.assertGone(VM);
    }

    /**
     * The transfer fails after the suspend, and the hypervisor runs the guest again by itself as it gives the transfer
     * up: the rollback finds it running, and the domain says so (it ran at Begin), not "paused".
     */
    @Test
    public void aGuestItsHypervisorRanAgainAsTheTransferFailedAfterASuspendIsRecordedRunning() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        TwoDaemons.ByHand run = d.byHand(VM).prepare();
        FakeVm vm = d.source.vm(VM);
        AtomicReference<Done> suspended = suspendDuringPerform(d, () -> vm.failSendAfter = 0);

        assertThrows(Exception.class, run::perform);
        run.cancel();

        assertEquals(DaemonClient.SUSPENDED, suspended.get().action());
        d.source.assertRuns(VM, digest);
        d.destination.assertGone(VM);
    }

    /** Killed after the suspend, mid-Perform: recovery rolls the migration back and resumes the guest, which ran at Begin. */
    @Test
    public void aSourceKilledAfterASuspendDuringPerformResumesTheGuestOnRestart() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        TwoDaemons.ByHand run = d.byHand(VM).prepare();
        AtomicReference<Done> suspended = suspendDuringPerform(d, () -> {
            throw new Crash();
        });
        assertThrows(Crash.class, run::perform);
        assertEquals(DaemonClient.SUSPENDED, suspended.get().action());

        d.source.restart();
        d.source.assertPausedByItsOperator(VM);
        d.network.passes(20_000, d.source, d.destination);

        d.source.assertRuns(VM, digest);
        d.destination.assertGone(VM);
    }

    /** A rolled back guest that waits for its leases to resume by itself stays paused once its operator suspends it. */
    @Test
    public void aGuestSuspendedWhileItsRollbackWaitsForItsLeasesIsNotResumedWhenTheyCome() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        TwoDaemons.ByHand run = d.byHand(VM).prepare().perform();
        d.leases.unreachableFrom = "source";
        run.cancel();
        d.source.assertPaused(VM);

        assertEquals(DaemonClient.SUSPENDED, d.source.engine().suspend(VM, null).action());
        d.leases.unreachableFrom = null;
        d.network.passes(1_000, d.source);

        d.source.assertPausedByItsOperator(VM);
        d.source.engine().resume(VM, false);
        d.source.assertRuns(VM, digest);
    }

    /** migrate --timeout's suspend: of its own migration only, while it is under way; it arrives running, as it ran. */
    @Test
    public void aSuspendForAMigrationActsOnlyWhileThatOneIsUnderWay() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        assertEquals(DaemonClient.NOT_UNDER_WAY, d.source.engine().suspend(VM, "not-begun").action());
        d.source.assertRuns(VM, digest);
        TwoDaemons.ByHand run = d.byHand(VM).prepare();
        assertEquals(DaemonClient.NOT_UNDER_WAY, d.source.engine().suspend(VM, "another").action());

        assertEquals(DaemonClient.SUSPENDED, d.source.engine().suspend(VM, run.begun.id()).action());
        run.perform();
        run.confirm(false, run.finish().cookie());

        d.destination.assertRuns(VM, digest);
        d.source.assertGone(VM);
        assertEquals(DaemonClient.NOT_UNDER_WAY, d.source.engine().suspend(VM, run.begun.id()).action());
    }

    /** The operator suspends the guest, from a thread of its own, as its memory leaves; its answer lands in the result. */
    private static AtomicReference<Done> suspendDuringPerform(TwoDaemons d) {
        return suspendDuringPerform(d, () -> { });
    }

    /** @param then what happens next on Perform's thread (the daemon dies) */
    private static AtomicReference<Done> suspendDuringPerform(TwoDaemons d, Runnable then) {
        AtomicReference<Done> answer = new AtomicReference<>();
        FakeVm vm = d.source.vm(VM);
        vm.duringSend = () -> {
            vm.duringSend = null;
            answer.set(CompletableFuture.supplyAsync(() -> {
                try {
                    return d.source.engine().suspend(VM, null);
                } catch (Exception e) {
                    throw new AssertionError("suspend during Perform: " + e.getMessage(), e);
                }
            }).join());
            assertTrue("the guest is paused once the suspend answered", !vm.isRunning());
            then.run();
        };
        return answer;
    }
}
