package io.ferry.core.migration;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import io.ferry.core.StderrLog;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.Test;

/**
 * The watchdog goes on whatever one of its looks meets: an Error (a heap or thread limit reached, a bug's stack
 * overflow) ended its schedule for good, and an executor that refused a task left that settlement, resume or
 * give-back marked under way for good; either silently, and what no driver settles stayed unsettled until a restart.
 */
public class WatchdogFailuresTest {
    private static final String VM = "vm1";
    private static final long SILENCE = 9_000; // beyond the driver timeout

    /** Scheduled as MigrationService schedules it: the rollback a restart left is tried again after an Error. */
    @Test
    public void anErrorInARecoveryDoesNotEndTheWatchdogsSchedule() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        TwoDaemons.ByHand run = restartedAfterTheSwitchOverToResumeWithAnError(d);
        FakeVm vm = d.source.vm(VM);

        ScheduledExecutorService watchdog = Executors.newSingleThreadScheduledExecutor();
        try {
            ScheduledFuture<?> ticks = watchdog.scheduleWithFixedDelay(d.source.engine()::tick, 0, 10,
                    TimeUnit.MILLISECONDS);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!vm.isRunning() && !ticks.isDone() && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertFalse("the watchdog's schedule ended: " + endOf(ticks), ticks.isDone());
        } finally {
            watchdog.shutdownNow();
            assertTrue(watchdog.awaitTermination(10, TimeUnit.SECONDS));
        }
        d.source.assertRuns(VM, digest);
        assertEquals(Step.ABORTED, d.source.journal.find(run.begun.id()).orElseThrow().step());
    }

    @Test
    public void anErrorInARecoveryIsLoggedWithItsMigrationAndTheRecoveryTriedAgain() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        TwoDaemons.ByHand run = restartedAfterTheSwitchOverToResumeWithAnError(d);

        String log = StderrLog.of(() -> d.network.passes(1_000, d.source));
        assertTrue(log, log.contains("recovery of migration " + run.begun.id() + ": java.lang.Error: test"));
        d.source.assertPaused(VM);
        d.network.passes(1_000, d.source);

        d.source.assertRuns(VM, digest);
        assertEquals(Step.ABORTED, d.source.journal.find(run.begun.id()).orElseThrow().step());
    }

    /** A settlement with the destination whose resume here meets an Error: logged, and asked again. */
    @Test
    public void anErrorInASettlementIsLoggedWithItsMigrationAndTheSettlementTriedAgain() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        TwoDaemons.ByHand run = d.byHand(VM).prepare().perform();
        errorAtTheNextResume(d.source.vm(VM));

        String log = StderrLog.of(() -> d.network.passes(SILENCE, d.source, d.destination));
        assertTrue(log, log.contains("settling migration " + run.begun.id() + ": java.lang.Error: test"));
        d.network.passes(SILENCE, d.source, d.destination);

        d.source.assertRuns(VM, digest);
        d.destination.assertGone(VM);
    }

    /** The settlements' pool refuses the task (shut down, or no thread to be had): the next look settles. */
    @Test
    public void aSettlementTheExecutorRefusedIsTriedAgain() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        d.byHand(VM).prepare().perform();
        RefusingOnce pool = RefusingOnce.on(d.source);

        d.network.passes(SILENCE, d.source, d.destination);
        assertTrue("the settlement was refused", pool.refused.get());
        d.source.assertPaused(VM);
        d.network.passes(SILENCE, d.source, d.destination);

        d.source.assertRuns(VM, digest);
        d.destination.assertGone(VM);
    }

    /** A rolled back guest waits for the lease store: its resume refused once it answers, the next look runs it. */
    @Test
    public void aResumeTheExecutorRefusedIsTriedAgain() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = ReleasedLeasesTest.waitingForTheLeaseStoreAfterARollback(d);
        d.leases.unreachableFrom = null;
        RefusingOnce pool = RefusingOnce.on(d.source);

        d.network.passes(1_000, d.source);
        assertTrue("the resume was refused", pool.refused.get());
        d.source.assertPaused(VM);
        d.network.passes(1_000, d.source);

        d.source.assertRuns(VM, digest);
    }

    /** A destination owes the leases its abort could not give back: its task refused, the next look gives them. */
    @Test
    public void aGiveBackTheExecutorRefusedIsTriedAgain() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = OwedLeasesTest.abortedWhileTheDestinationCannotGiveTheLeasesBack(d);
        d.leases.releasesFailOn = null; // the store answers again
        RefusingOnce pool = RefusingOnce.on(d.destination);

        d.network.passes(1_000, d.destination);
        assertTrue("the give-back was refused", pool.refused.get());
        d.network.passes(1_000, d.destination, d.source);
        d.network.passes(SILENCE, d.destination, d.source);

        d.source.assertRuns(VM, digest);
    }

    /** The source killed at the switch-over and restarted, its guest's next resume to fail with an Error. */
    private static TwoDaemons.ByHand restartedAfterTheSwitchOverToResumeWithAnError(TwoDaemons d) throws Exception {
        TwoDaemons.ByHand run = d.sourceKilledAtTheSwitchOver(VM);
        d.source.restart();
        errorAtTheNextResume(d.source.vm(VM));
        return run;
    }

    private static void errorAtTheNextResume(FakeVm vm) {
        vm.beforeResume = () -> {
            throw new Error("test");
        };
    }

    /** Refuses its first task, as a pool shut down or out of threads does; runs the others at once. */
    private static final class RefusingOnce implements Executor {
        final AtomicBoolean refused = new AtomicBoolean();

        /** Runs {@code host}'s background tasks from now on. */
        static RefusingOnce on(TestHost host) {
            RefusingOnce pool = new RefusingOnce();
            host.background = pool;
            return pool;
        }

        @Override
        public void execute(Runnable task) {
            if (refused.compareAndSet(false, true)) {
                throw new RejectedExecutionException("test: the pool refuses");
            }
            task.run();
        }
    }

    private static String endOf(ScheduledFuture<?> ticks) throws InterruptedException {
        if (!ticks.isDone()) {
            return "it goes on";
        }
        try {
            ticks.get();
            return "it returned";
        } catch (ExecutionException e) {
            return e.getCause().toString();
        }
    }
}
