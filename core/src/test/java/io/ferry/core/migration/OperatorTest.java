package io.ferry.core.migration;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.core.domain.Domain;
import io.ferry.core.domain.DomainState;
import io.ferry.protocol.Messages;
import io.ferry.protocol.MigrationDriver;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import org.junit.Test;

/**
 * Finding 4, the operator's way out: {@code domjobabort} says what it did or fails saying why, and
 * {@code ferry resume} runs a source whose destination is gone, unless another host holds its leases.
 */
public class OperatorTest {
    private static final String VM = "vm1";

    @Test
    public void domjobabortBeforePerformLeavesTheGuestRunning() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        d.byHand(VM).prepare();

        String done = d.source.engine().abortJob(VM);

        assertTrue(done, done.contains("aborted before any memory moved"));
        d.source.assertRuns(VM, digest);
    }

    @Test
    public void domjobabortAfterPerformResumesTheSourceWhenTheDestinationHadNotCommitted() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        d.byHand(VM).prepare().perform();

        String done = d.source.engine().abortJob(VM);

        assertTrue(done, done.contains("the destination had not committed it"));
        d.source.assertRuns(VM, digest);
        d.destination.assertGone(VM);
    }

    @Test
    public void domjobabortAfterTheCommitIsTooLateAndSaysSo() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        d.byHand(VM).prepare().perform().finish();

        Exception e = assertThrows(Exception.class, () -> d.source.engine().abortJob(VM));

        assertTrue(e.getMessage(), e.getMessage().startsWith("too late to abort"));
        d.destination.assertRuns(VM, digest);
        d.source.assertGone(VM);
    }

    @Test
    public void domjobabortFailsWhileTheDestinationCannotSay() throws Exception {
        TwoDaemons d = new TwoDaemons();
        d.source.boot(VM);
        d.byHand(VM).prepare().perform();
        d.network.down(d.destination);

        Exception e = assertThrows(Exception.class, () -> d.source.engine().abortJob(VM));

        assertTrue(e.getMessage(), e.getMessage().contains("does not answer") && e.getMessage().contains("ferry resume vm1"));
        d.source.assertPaused(VM);
    }

    /**
     * On the destination, an abort that waited for the domain's job while Finish committed (Finish runs here under
     * the job it holds, as the daemon's would): too late, the guest runs there, and stays.
     */
    @Test(timeout = 60_000)
    public void domjobabortOfAnIncomingMigrationThatCommittedMeanwhileIsTooLateAndSaysSo() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        TwoDaemons.ByHand run = d.byHand(VM).prepare().perform();
        Exception refused = failureOfWhile(d.destination, run, () -> d.destination.engine().abortJob(VM), run::finish);

        assertEquals("too late to abort migration " + run.begun.id() + ": it committed, vm1 runs here",
                refused.getMessage());
        d.destination.assertRuns(VM, digest);
        run.confirm(false, null);
        d.source.assertGone(VM);
    }

    /**
     * On the source, a resume that waited for the domain's job while the migration ended (its Confirm here, the
     * watchdog's settlement alike) answers for the migration as it ended, not as it was when the resume came: it
     * committed, so the guest runs on the destination and its copy here was stopped.
     */
    @Test(timeout = 60_000)
    public void resumeThatWaitedWhileTheMigrationCommittedSaysItRunsOnTheDestination() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        TwoDaemons.ByHand run = d.byHand(VM).prepare().perform();
        run.finish();

        Exception refused = resumeWhile(d, run, () -> {
            run.confirm(false, null);
            return null;
        });

        assertEquals("cannot resume vm1: migration " + run.begun.id() + " ended while this waited for it, and vm1 runs"
                + " on its destination", refused.getMessage());
        d.destination.assertRuns(VM, digest);
        d.source.assertGone(VM);
    }

    /** ... and when it rolled back meanwhile, the guest runs here again, which the resume says. */
    @Test(timeout = 60_000)
    public void resumeThatWaitedWhileTheMigrationRolledBackSaysTheGuestRunsHere() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        TwoDaemons.ByHand run = d.byHand(VM).prepare().perform();

        Exception refused = resumeWhile(d, run, () -> d.source.engine().abortJob(VM));

        assertEquals("Requested operation is not valid: domain is already running", refused.getMessage());
        d.source.assertRuns(VM, digest);
        d.destination.assertGone(VM);
    }

    private static Exception resumeWhile(TwoDaemons d, TwoDaemons.ByHand run, Callable<?> meanwhile) throws Exception {
        return failureOfWhile(d.source, run, () -> d.source.engine().resume(VM, false), meanwhile);
    }

    /**
     * Runs {@code meanwhile} under {@code host}'s job of the migration's domain once {@code command} waits for that
     * job, and returns the command's failure, which must come.
     */
    private static Exception failureOfWhile(TestHost host, TwoDaemons.ByHand run, Callable<String> command,
            Callable<?> meanwhile) throws Exception {
        FutureTask<String> task = new FutureTask<>(command);
        host.domains().withJob(host.domains().get(VM), "migration job", run.begun.id(), () -> {
            TwoDaemons.startWaiting(task, "command"); // for this job
            return meanwhile.call();
        });
        ExecutionException e = assertThrows(ExecutionException.class, task::get);
        return (Exception) e.getCause();
    }

    @Test
    public void domjobabortOfAnIncomingMigration() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        TwoDaemons.ByHand run = d.byHand(VM).prepare();

        String done = d.destination.engine().abortJob(VM);

        assertTrue(done, done.startsWith("Incoming migration " + run.begun.id() + " of vm1 aborted"));
        d.destination.assertGone(VM);
        run.confirm(true, null);
        d.source.assertRuns(VM, digest);
    }

    @Test
    public void theSourcesCancelledFinishOfAnArrivalTheOperatorAbortedIsToldWhy() throws Exception {
        TwoDaemons d = new TwoDaemons();
        d.source.boot(VM);
        TwoDaemons.ByHand run = d.byHand(VM).prepare();
        d.destination.engine().abortJob(VM);

        // what the driver asks once the source's Perform failed, to join the destination's reason to "Broken pipe"
        Messages.Finished cancelled = d.peer(d.destination).finish(new Messages.Finish(run.begun.id(), run.begun.key(), true, null));

        assertEquals("aborted by the operator (domjobabort)", cancelled.note());
        assertEquals(null, cancelled.domain());
    }

    @Test
    public void domjobabortWithoutAMigration() throws Exception {
        TwoDaemons d = new TwoDaemons();
        d.source.boot(VM);
        Exception e = assertThrows(Exception.class, () -> d.source.engine().abortJob(VM));
        assertEquals("Requested operation is not valid: no job is active on the domain", e.getMessage());
    }

    @Test
    public void resumeAsksTheDestinationFirst() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        d.byHand(VM).prepare().perform();

        assertEquals("Domain 'vm1' resumed", d.source.engine().resume(VM, false));

        d.source.assertRuns(VM, digest);
        d.destination.assertGone(VM);
    }

    /** Once the destination committed, even with --force: the guest runs there, and its copy here is stopped. */
    @Test
    public void resumeAfterTheDestinationCommittedIsRefusedAndStopsTheSourcesCopy() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        TwoDaemons.ByHand run = d.byHand(VM).prepare().perform();
        run.finish();

        Exception e = assertThrows(Exception.class, () -> d.source.engine().resume(VM, true));

        assertEquals("cannot resume vm1: the destination committed migration " + run.begun.id()
                + "; vm1 runs there and its copy here was stopped", e.getMessage());
        d.destination.assertRuns(VM, digest);
        d.source.assertGone(VM);
    }

    @Test
    public void resumeRunsASourceWhoseDestinationIsGoneWhenNoOtherHostHoldsItsLeases() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        d.byHand(VM).prepare().perform();
        d.network.down(d.destination);

        String done = d.source.engine().resume(VM, false);

        assertTrue(done, done.startsWith("Domain 'vm1' resumed\nwarning: the destination test://destination did not say"));
        assertTrue(done, done.contains("runs it on two hosts at once"));
        d.source.assertRuns(VM, digest);
    }

    @Test
    public void resumeIsRefusedWhileAnotherHostHoldsTheLeases() throws Exception {
        TwoDaemons d = new TwoDaemons();
        d.source.boot(VM);
        d.byHand(VM).prepare().perform().finish(); // the destination took the leases and runs the guest
        d.network.down(d.destination);

        Exception e = assertThrows(Exception.class, () -> d.source.engine().resume(VM, false));

        assertTrue(e.getMessage(), e.getMessage().contains("is held by destination"));
        assertTrue(e.getMessage(), e.getMessage().contains("two hosts at once"));
        d.source.assertPaused(VM);
    }

    @Test
    public void withoutALockManagerResumeNeedsForce() throws Exception {
        TwoDaemons d = new TwoDaemons(false);
        String digest = d.source.boot(VM);
        d.byHand(VM).prepare().perform();
        d.network.down(d.destination);

        Exception e = assertThrows(Exception.class, () -> d.source.engine().resume(VM, false));
        assertTrue(e.getMessage(), e.getMessage().contains("ferry resume --force vm1"));
        d.source.assertPaused(VM);

        d.source.engine().resume(VM, true);
        d.source.assertRuns(VM, digest);
    }

    @Test
    public void resumeOfADomainNoMigrationHolds() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        var domain = d.source.domain(VM).orElseThrow();
        domain.vm().pause();
        d.source.domains().setState(domain, DomainState.PAUSED, DomainState.Reason.USER);

        assertEquals("Domain 'vm1' resumed", d.source.engine().resume(VM, false));
        d.source.assertRuns(VM, digest);
        Exception e = assertThrows(Exception.class, () -> d.source.engine().resume(VM, false));
        assertTrue(e.getMessage(), e.getMessage().contains("already running"));
    }

    /**
     * {@code ferry migrate vm1 URI} naming the source daemon itself (a wrong -c, a copied URI) is refused, as virsh
     * refuses it, saying so, not with an id the operator never gave; the guest runs on.
     */
    @Test
    public void migratingToTheSameDaemonIsRefusedSayingSoAndTheGuestRunsOn() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        String sameHost = "Attempt to migrate guest to the same host " + d.source.hostUuid;

        Exception driven = assertThrows(Exception.class, () -> d.driver().run(d.peer(d.source), d.peer(d.source),
                new Messages.Migrate(VM, d.source.uri, TwoDaemons.LIVE, null, null, 0)));
        assertEquals(sameHost, driven.getMessage());
        d.source.assertRuns(VM, digest);

        Exception p2p = assertThrows(Exception.class, () -> d.source.engine().migrate(
                new Messages.Migrate(VM, d.source.uri, TwoDaemons.P2P, null, null, 0), MigrationDriver.Listener.NONE));
        assertEquals(sameHost, p2p.getMessage());
        d.source.assertRuns(VM, digest);
    }

    /**
     * A source restarted while its guest waits, paused, on a migration whose destination does not answer: domjobinfo
     * shows the job that domjobabort then acts on, as before the restart, not "None".
     */
    @Test
    public void aMigrationTakenInHandAfterARestartIsTheDomainsJob() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        d.byHand(VM).prepare().perform();
        d.network.down(d.destination);

        d.source.restart();
        d.network.passes(1_000, d.source); // its recovery takes the migration in hand

        d.source.assertPaused(VM);
        LiveJob job = d.source.engine().jobs().active(VM).orElseThrow(() -> new AssertionError("domjobinfo says None"));
        assertEquals("Outgoing migration", job.operation());
        d.network.up(d.destination);
        String done = d.source.engine().abortJob(VM);
        assertTrue(done, done.contains("the destination had not committed it"));
        d.source.assertRuns(VM, digest);
        assertEquals(java.util.Optional.empty(), d.source.engine().jobs().active(VM));
        assertEquals("Outgoing migration", d.source.engine().jobs().lastEnded(VM).orElseThrow().operation());
    }

    /**
     * ferry resume while the migration may still roll back alone (at Begin; a Perform holds the domain's job, so a
     * resume waits for it) is refused: here its operator suspended the guest after Begin. The refusal said only
     * "domjobabort stops it"; it now says the migration rolls back by itself, when, and that the guest then runs here
     * again. And it does, with no operator: its driver falls silent and the watchdog rolls it back.
     */
    @Test
    public void aResumeRefusedBeforePerformSaysTheRollbackComesByItselfAndItComes() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        d.byHand(VM).prepare();
        d.source.engine().suspend(VM, null);

        Exception refused = assertThrows(MigrationException.class, () -> d.source.engine().resume(VM, false));

        assertTrue(refused.getMessage(), refused.getMessage().endsWith("; domjobabort stops it, and so does a failure of its"
                + " Prepare or its driver's silence for 8 s: it then rolls back here at once and vm1 runs here again by"
                + " itself; if it completes, vm1 runs on the destination"));
        d.network.passes(9_000, d.source, d.destination);
        d.source.assertRuns(VM, digest);
    }

    /** A guest paused before its migration began stays paused when it rolls back: the refusal says so, and who runs it. */
    @Test
    public void aResumeRefusedOfAGuestPausedBeforeBeginSaysItStaysPausedAfterTheRollback() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        d.source.engine().suspend(VM, null);
        d.byHand(VM).prepare();

        Exception refused = assertThrows(MigrationException.class, () -> d.source.engine().resume(VM, false));

        assertTrue(refused.getMessage(), refused.getMessage().endsWith("it then rolls back here at once and vm1, paused"
                + " before the migration began, stays paused here (ferry resume vm1 runs it then); if it completes, vm1"
                + " arrives paused on the destination"));
        d.network.passes(9_000, d.source, d.destination);
        d.source.assertPausedByItsOperator(VM);
        assertEquals("Domain 'vm1' resumed", d.source.engine().resume(VM, false));
        d.source.assertRuns(VM, digest);
    }

    /**
     * A source restarted mid-Perform (the guest paused at its switch-over) whose lock manager comes late: recovery claims
     * the domain but takes the migration in hand only with it. ferry resume said only "is being migrated (migration ID)";
     * it now says what the migration waits for and that it then rolls back by itself, which it does once the lock
     * manager is there.
     */
    @Test
    public void aResumeRefusedBeforeRecoveryTookTheMigrationInHandSaysWhatItWaitsFor() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        TwoDaemons.ByHand run = d.sourceKilledAtTheSwitchOver(VM);
        d.source.lockManagerLate = true;
        d.source.restart();
        d.source.engine().tick();

        Exception refused = assertThrows(Exception.class, () -> d.source.engine().resume(VM, false));

        assertEquals("Requested operation is not valid: domain vm1 is being migrated (migration " + run.begun.id() + "),"
                + " which is taken in hand again after the daemon's restart once its VM is re-attached and its lock manager"
                + " is there (see the log): it then rolls back by itself, and vm1 runs here again", refused.getMessage());
        d.source.registerLockManager();
        d.source.engine().tick();
        d.source.assertRuns(VM, digest);
    }
}
