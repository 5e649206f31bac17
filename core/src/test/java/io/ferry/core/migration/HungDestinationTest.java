package io.ferry.core.migration;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

import io.ferry.core.domain.Domain;
import java.util.concurrent.CompletableFuture;
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
}
