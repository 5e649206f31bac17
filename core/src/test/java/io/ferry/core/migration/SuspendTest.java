package io.ferry.core.migration;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.core.domain.DomainState;
import io.ferry.protocol.DaemonClient;
import io.ferry.protocol.DomainMessages.Done;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.FutureTask;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.junit.Test;

/**
 * {@code ferry suspend}, as libvirt's: the guest stays paused across a restart; suspended while it migrates out (what
 * {@code migrate --timeout} does), it migrates on and runs on the destination, as it ran before, and a rollback resumes
 * it (the state from before Begin; one paused before stays paused: {@link PausedMigrationTest}).
 */
public class SuspendTest {
    private static final String VM = "vm1";
    private static final String NOT_ANSWERED = "the hypervisor of domain vm1 does not answer whether its guest runs"
            + " (its QEMU is busy or hung): nothing was changed; try again";

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

    /**
     * A QEMU that answers re-attach and then not whether its guest runs (busy a moment later) had its running guest
     * recorded paused (unknown): the record stays as it is, and showing the domain asks the VM again.
     */
    @Test
    public void aRunningGuestWhoseHypervisorDoesNotSayWhetherItRunsAtTheRestartKeepsItsRecord() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        DomainState.Reason booted = d.source.domain(VM).orElseThrow().reason();
        FakeVm vm = d.source.silence(VM);

        d.source.restart();

        assertEquals(DomainState.RUNNING, d.source.domain(VM).orElseThrow().state());
        assertEquals(booted, d.source.domain(VM).orElseThrow().reason());
        vm.silent = false;
        d.source.assertRuns(VM, digest);
    }

    /**
     * A QEMU too busy to answer whether its guest runs was taken for one whose guest is paused: "paused already", no
     * stop sent, the guest running on. Refused now, for migrate --timeout's suspend too.
     */
    @Test
    public void aSuspendOfAGuestWhoseHypervisorDoesNotSayWhetherItRunsIsRefused() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        FakeVm vm = d.source.silence(VM);

        Exception e = assertThrows(Exception.class, () -> d.source.engine().suspend(VM, null));

        assertEquals(NOT_ANSWERED, e.getMessage());
        vm.silent = false;
        d.source.assertRuns(VM, digest);
        TwoDaemons.ByHand run = d.byHand(VM).prepare();
        vm.silent = true;
        e = assertThrows(Exception.class, () -> d.source.engine().suspend(VM, run.begun.id()));
        assertEquals(NOT_ANSWERED, e.getMessage());
        vm.silent = false;
        run.perform();
        run.confirm(false, run.finish().cookie());
        d.destination.assertRuns(VM, digest);
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

    /**
     * The same while its QEMU does not answer: the guest is paused by the rollback, which the record says; not asked
     * of its hypervisor (as Begin does not), it was refused "try again" and the rollback could resume it meanwhile.
     */
    @Test
    public void aGuestWhoseRollbackWaitsIsSuspendedWhileItsHypervisorDoesNotAnswer() throws Exception {
        TwoDaemons d = new TwoDaemons();
        d.source.boot(VM);
        TwoDaemons.ByHand run = d.byHand(VM).prepare().perform();
        d.leases.unreachableFrom = "source";
        run.cancel();
        d.source.assertPaused(VM);
        FakeVm vm = d.source.silence(VM);

        assertEquals(DaemonClient.SUSPENDED, d.source.engine().suspend(VM, null).action());
        vm.silent = false;
        d.leases.unreachableFrom = null;
        d.network.passes(1_000, d.source);

        d.source.assertPausedByItsOperator(VM);
    }

    /**
     * A rolled back guest recorded paused for its migration that runs all the same (the rollback's resume went
     * unanswered, and QEMU took it late) is paused by its operator's suspend, not only recorded so.
     */
    @Test
    public void aGuestWhoseRollbackWaitsButRunsIsPausedBySuspend() throws Exception {
        TwoDaemons d = new TwoDaemons();
        d.source.boot(VM);
        TwoDaemons.ByHand run = d.byHand(VM).prepare().perform();
        d.leases.unreachableFrom = "source";
        run.cancel();
        d.source.assertPaused(VM);
        FakeVm vm = d.source.vm(VM);
        vm.running = true;

        assertEquals(DaemonClient.SUSPENDED, d.source.engine().suspend(VM, null).action());

        assertFalse("suspended, and running still", vm.isRunning());
        d.source.assertPausedByItsOperator(VM);
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

    /**
     * migrate --timeout's suspend that comes as its migration rolls back, the rollback resuming the guest: the
     * migration is no longer under way, and the guest runs on here, as the command says. Paused after the resume, it
     * stayed paused (user) for good.
     */
    @Test(timeout = 60_000)
    public void aSuspendForAMigrationThatComesAsItRollsBackLeavesTheGuestRunning() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        TwoDaemons.ByHand run = d.byHand(VM).prepare().perform();

        Done done = suspendForAsItEnds(d, run, hold -> d.source.vm(VM).beforeResume = hold, run::cancel);

        assertEquals(DaemonClient.NOT_UNDER_WAY, done.action());
        d.source.assertRuns(VM, digest);
        d.destination.assertGone(VM);
    }

    /** ... and one that comes as its Confirm stops the copy here: not under way either, not "not running". */
    @Test(timeout = 60_000)
    public void aSuspendForAMigrationThatComesAsItsConfirmStopsTheCopyHereIsNotUnderWay() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        TwoDaemons.ByHand run = d.byHand(VM).prepare().perform();
        String finished = run.finish().cookie();

        Done done = suspendForAsItEnds(d, run, hold -> d.source.vm(VM).beforeDestroy = hold,
                () -> run.confirm(false, finished));

        assertEquals(DaemonClient.NOT_UNDER_WAY, done.action());
        d.destination.assertRuns(VM, digest);
        d.source.assertGone(VM);
    }

    /** A migration's end, as its driver calls it. */
    private interface End {
        void run() throws Exception;
    }

    /**
     * Runs {@code ending} (the migration's end) on a thread of its own until it reaches the VM call that {@code at}
     * hooks {@code hold} into, holding the domain's run state there; then asks for the suspend of the migration, lets
     * the end go on once the suspend waits for it, and returns the suspend's answer.
     */
    private static Done suspendForAsItEnds(TwoDaemons d, TwoDaemons.ByHand run, Consumer<Runnable> at, End ending)
            throws Exception {
        CountDownLatch reached = new CountDownLatch(1);
        CountDownLatch goOn = new CountDownLatch(1);
        at.accept(() -> {
            reached.countDown();
            try {
                goOn.await();
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        });
        FutureTask<Void> end = new FutureTask<>(() -> {
            ending.run();
            return null;
        });
        Thread endingThread = new Thread(end, "migration end");
        endingThread.start();
        reached.await();
        FutureTask<Done> suspend = new FutureTask<>(() -> d.source.engine().suspend(VM, run.begun.id()));
        Thread suspending = new Thread(suspend, "migrate --timeout");
        suspending.start();
        while (suspending.isAlive() && !waitsForALockOf(suspending, endingThread)) {
            Thread.onSpinWait();
        }
        goOn.countDown();
        end.get();
        return suspend.get();
    }

    /** Whether {@code waiting} waits for a monitor {@code holder} holds (the domain's run state, here). */
    private static boolean waitsForALockOf(Thread waiting, Thread holder) {
        ThreadInfo info = ManagementFactory.getThreadMXBean().getThreadInfo(waiting.getId());
        return info != null && info.getLockOwnerId() == holder.getId();
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
