package io.ferry.core.migration;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.core.domain.Domain;
import io.ferry.core.domain.DomainException;
import io.ferry.protocol.ChannelException;
import io.ferry.protocol.Messages.Fate;
import io.ferry.protocol.Messages.Finished;
import io.ferry.protocol.Messages.Outcome;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import org.junit.Test;

/**
 * A destination whose settle hangs (its handler stuck on a lock manager's hung store, or a hostile peer keeping its
 * reply alive) while the source's watchdog asks it: the ask holds the watchdog's settlement, not the domain's job, so
 * the operator's domjobabort and resume, which ask the destination themselves, get an answer. They waited 30 s for the
 * job and failed ("cannot acquire state change lock") for as long as the ask hung. The timeouts only guard against a
 * hang. That the destination cannot say yet is no final answer: a forced resume that would act on it asks again in the
 * job.
 */
public class HungDestinationTest {
    private static final String VM = "vm1";
    private static final long SILENCE = 9_000; // beyond the 8 s driver timeout

    @Test(timeout = 120_000)
    public void domjobabortAnswersWhileTheWatchdogsSettleHangs() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        TwoDaemons.ByHand run = d.byHand(VM).prepare().perform();
        Network.Hold hung = d.network.holdNext(d.destination, "settle");
        CompletableFuture<Void> watchdog = CompletableFuture.runAsync(() -> d.network.passes(SILENCE, d.source));
        hung.arrived.await();

        String aborted = d.source.engine().abortJob(VM);

        assertEquals("Migration " + run.begun.id() + " of vm1 aborted: the destination had not committed it, vm1 runs"
                + " here", aborted);
        hung.released.countDown(); // its answer comes late, for a migration that ended meanwhile
        watchdog.join();
        d.source.assertRuns(VM, digest);
        d.destination.assertGone(VM);
        assertEquals(Step.ABORTED, d.source.journal.find(run.begun.id()).orElseThrow().step());
    }

    @Test(timeout = 120_000)
    public void resumeAnswersWhileTheWatchdogsSettleHangs() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        d.byHand(VM).prepare().perform();
        Network.Hold hung = d.network.holdNext(d.destination, "settle");
        CompletableFuture<Void> watchdog = CompletableFuture.runAsync(() -> d.network.passes(SILENCE, d.source));
        hung.arrived.await();

        assertEquals("Domain 'vm1' resumed", d.source.engine().resume(VM, false));

        hung.released.countDown();
        watchdog.join();
        d.source.assertRuns(VM, digest);
        d.destination.assertGone(VM);
    }

    /**
     * A forced resume with no lock manager whose ask, before it got the job, found the destination unreachable, while
     * the job's holder (the watchdog's settlement) kept it waiting and the driver's Finish committed there: it resumed
     * the guest here on that stale answer, and the guest ran on two hosts. It asks again in the job, and hears that the
     * migration committed.
     */
    @Test(timeout = 120_000)
    public void aForcedResumeAsksAgainInTheJobAndFindsTheMigrationCommitted() throws Exception {
        TwoDaemons d = new TwoDaemons(false);
        String digest = d.source.boot(VM);
        TwoDaemons.ByHand run = d.byHand(VM).prepare().perform();
        Domain domain = d.source.domain(VM).orElseThrow();
        d.network.down(d.destination);
        FutureTask<String> resume = new FutureTask<>(() -> d.source.engine().resume(VM, true));

        d.source.domains().withJob(domain, "migration settlement", run.begun.id(), () -> {
            TwoDaemons.startWaiting(resume, "resume"); // it asked, and waits for the job
            d.network.up(d.destination);
            run.finish();
            return null;
        });

        ExecutionException refused = assertThrows(ExecutionException.class, resume::get);
        assertEquals("cannot resume vm1: the destination committed migration " + run.begun.id() + "; vm1 runs there and"
                + " its copy here was stopped", refused.getCause().getMessage());
        d.destination.assertRuns(VM, digest);
        d.source.assertGone(VM);
    }

    /**
     * A Finish holds the job after its commit (its end hook, its cookie, the guest's resume, storing what it brought)
     * while the driver that sent it lost its connection and asks: the settle waited 30 s for the job and failed
     * ("cannot acquire state change lock"), which every asker took for a destination that does not answer, and `ferry
     * resume --force` without a lock manager then ran the guest on both hosts. Its commit record answers at once.
     */
    @Test(timeout = 120_000)
    public void aSettleWhileACommittedFinishHoldsTheJobAnswersCommitted() throws Exception {
        TwoDaemons d = new TwoDaemons(false);
        String digest = d.source.boot(VM);
        TwoDaemons.ByHand run = d.byHand(VM).prepare().perform();
        Network.Hold afterCommit = new Network.Hold();
        d.destination.vm(VM).beforeResume = () -> hold(afterCommit);
        CompletableFuture<Finished> finish = CompletableFuture.supplyAsync(() -> finish(run));
        afterCommit.arrived.await();

        Fate fate = d.destination.engine().settle(run.begun.id(), run.begun.key());

        assertEquals(Outcome.COMMITTED, fate.outcome());
        afterCommit.released.countDown();
        assertEquals(VM, finish.join().domain());
        d.destination.assertRuns(VM, digest);
    }

    /**
     * Before its commit, a Finish (or a Prepare) that holds the job keeps its migration under way: the settle says so
     * rather than fail for want of the job, and aborts nothing; once the job is free, it aborts as before.
     */
    @Test(timeout = 120_000)
    public void aSettleWhileAFinishHoldsTheJobBeforeItsCommitAnswersInProgress() throws Exception {
        TwoDaemons d = new TwoDaemons(false);
        String digest = d.source.boot(VM);
        TwoDaemons.ByHand run = d.byHand(VM).prepare().perform();
        HeldJob finishing = new HeldJob(d.destination, run.begun.id());

        Fate fate = d.destination.engine().settle(run.begun.id(), run.begun.key());

        assertEquals(Outcome.IN_PROGRESS, fate.outcome());
        d.destination.assertPaused(VM);
        finishing.release();
        assertEquals(Outcome.ABORTED, d.destination.engine().settle(run.begun.id(), run.begun.key()).outcome());
        d.destination.assertGone(VM);
        run.confirm(true, null);
        d.source.assertRuns(VM, digest);
    }

    /**
     * A destination that answers "in progress" is there, not gone for good: without a lock manager, `ferry resume
     * --force` resumed the guest on that answer (while the destination's Finish could still commit it), and domjobabort
     * told the operator the destination "does not answer" and to resume once it is gone for good. Both are refused,
     * saying its Finish or Prepare holds the domain there right now (it says so: busy), and the guest stays paused.
     */
    @Test(timeout = 120_000)
    public void aForcedResumeIsRefusedWhileTheDestinationSaysTheMigrationIsUnderWay() throws Exception {
        TwoDaemons d = new TwoDaemons(false);
        d.source.boot(VM);
        TwoDaemons.ByHand run = d.byHand(VM).prepare().perform();
        HeldJob finishing = new HeldJob(d.destination, run.begun.id());

        Exception resume = assertThrows(Exception.class, () -> d.source.engine().resume(VM, true));
        Exception abort = assertThrows(Exception.class, () -> d.source.engine().abortJob(VM));

        String said = "the destination " + d.destination.uri + " answers that migration " + run.begun.id()
                + " is still under way there";
        assertTrue(resume.getMessage(), resume.getMessage().startsWith("cannot resume vm1: " + said));
        assertTrue(resume.getMessage(), resume.getMessage().contains("wait"));
        for (Exception e : new Exception[] {resume, abort}) { // nothing that cannot help: its Finish ends in a moment
            assertTrue(e.getMessage(), e.getMessage().contains(said + " (its Finish or Prepare holds the domain there"
                    + " right now)"));
            assertFalse(e.getMessage(), e.getMessage().contains("domjobabort"));
            assertFalse(e.getMessage(), e.getMessage().contains("once you know"));
            assertFalse(e.getMessage(), e.getMessage().contains("does not answer"));
            assertFalse(e.getMessage(), e.getMessage().contains("gone for good"));
        }
        d.source.assertPaused(VM);
        finishing.release();
    }

    /** A job held, as its migration's Finish would hold it, on a thread of its own until released. */
    private static final class HeldJob {
        private final Network.Hold hold = new Network.Hold();
        private final Thread holder;

        HeldJob(TestHost host, String id) throws InterruptedException {
            Domain domain = host.domain(VM).orElseThrow();
            holder = new Thread(() -> {
                try {
                    host.domains().withJob(domain, "migration finish", id, () -> {
                        hold(hold);
                        return null;
                    });
                } catch (DomainException e) {
                    throw new IllegalStateException(e);
                }
            }, "finish");
            holder.start();
            hold.arrived.await();
        }

        void release() throws InterruptedException {
            hold.released.countDown();
            holder.join();
        }
    }

    private static void hold(Network.Hold hold) {
        hold.arrived.countDown();
        try {
            hold.released.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static Finished finish(TwoDaemons.ByHand run) {
        try {
            return run.finish();
        } catch (ChannelException e) {
            throw new CompletionException(e);
        }
    }
}
