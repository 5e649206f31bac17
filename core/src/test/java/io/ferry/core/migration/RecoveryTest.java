package io.ferry.core.migration;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.core.domain.Domain;
import io.ferry.core.domain.DomainState;
import io.ferry.protocol.ChannelException;
import io.ferry.protocol.Messages.Finish;
import io.ferry.protocol.Messages.Finished;
import io.ferry.protocol.Messages.Outcome;
import io.ferry.protocol.MigrationFlags;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.Test;

/** Recovery's table: a daemon killed at each step of a migration and restarted settles its side by the failure matrix. */
public class RecoveryTest {
    private static final String VM = "vm1";
    private static final long SILENCE = 9_000; // beyond the driver timeout
    private static final MigrationFlags OFFLINE = new MigrationFlags(false, false, false, true, true, false, false);

    /** Finding 3: killed in Perform's final paused round, the source reports the guest paused, then resumes it. */
    @Test
    public void sourceKilledDuringTheSwitchOverResumesTheGuestOnRestart() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        TwoDaemons.ByHand run = d.sourceKilledAtTheSwitchOver(VM);

        d.source.restart();
        assertEquals("the driver's word, not the stale status", DomainState.PAUSED, d.source.domain(VM).orElseThrow().state());
        d.network.passes(SILENCE, d.source, d.destination);

        d.source.assertRuns(VM, digest);
        d.destination.assertGone(VM);
        assertEquals(Step.ABORTED, d.source.journal.find(run.begun.id()).orElseThrow().step());
    }

    /**
     * As above, with the driver's bundle registering after the restart: recovery waits for it to re-attach the VM
     * before it settles the migration, and the guest then runs on where it was.
     */
    @Test
    public void sourceRestartedBeforeItsDriverWaitsForTheVmBeforeItSettles() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        TwoDaemons.ByHand run = d.sourceKilledAtTheSwitchOver(VM);

        d.source.hypervisorLate = true;
        d.source.restart();
        d.network.passes(SILENCE, d.source, d.destination);
        assertEquals("not settled without its VM", Step.PERFORMING, d.source.journal.find(run.begun.id()).orElseThrow().step());
        d.source.registerHypervisor();
        d.network.passes(SILENCE, d.source, d.destination);

        d.source.assertRuns(VM, digest);
        d.destination.assertGone(VM);
        assertEquals(Step.ABORTED, d.source.journal.find(run.begun.id()).orElseThrow().step());
    }

    @Test
    public void sourceKilledAfterBeginReleasesTheDomainOnRestart() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        d.byHand(VM);

        d.source.restart();
        d.network.passes(1_000, d.source);

        d.source.assertRuns(VM, digest);
    }

    @Test
    public void sourceKilledAfterPerformCompletesWhenTheDestinationCommitted() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        TwoDaemons.ByHand run = d.byHand(VM).prepare().perform();
        d.source.restart();
        run.finish();

        d.network.passes(1_000, d.source);
        d.source.assertPaused(VM); // its driver may still come back with Confirm
        d.network.passes(SILENCE, d.source);

        d.destination.assertRuns(VM, digest);
        d.source.assertGone(VM);
    }

    @Test
    public void sourceKilledAfterPerformResumesWhenTheDestinationDidNotCommit() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        d.byHand(VM).prepare().perform();
        d.source.restart();

        d.network.passes(1_000, d.source); // taken in hand: its driver may still come back
        d.network.passes(SILENCE, d.source);

        d.source.assertRuns(VM, digest);
        d.destination.assertGone(VM);
    }

    @Test
    public void sourceKilledAfterPerformStaysPausedWhileTheDestinationIsUnreachable() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        d.byHand(VM).prepare().perform();
        d.source.restart();
        d.network.down(d.destination);

        d.network.passes(SILENCE, d.source);
        d.network.passes(SILENCE, d.source);
        d.source.assertPaused(VM);

        d.network.up(d.destination);
        d.network.passes(1_000, d.source);
        d.source.assertRuns(VM, digest);
        d.destination.assertGone(VM);
    }

    @Test
    public void destinationKilledBeforeTheCommitDropsTheIncomingGuestOnRestart() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        TwoDaemons.ByHand run = d.byHand(VM).prepare().perform();
        d.destination.restart();
        d.network.passes(1_000, d.destination);
        d.destination.assertGone(VM);

        ChannelException e = assertThrows(ChannelException.class, run::finish);
        assertTrue(e.getMessage(), e.getMessage().contains("aborted"));
        run.confirm(true, null);
        d.source.assertRuns(VM, digest);
    }

    @Test
    public void destinationKilledRightAfterTheCommitRunsTheGuestOnRestart() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        TwoDaemons.ByHand run = destinationKilledRightAfterTheCommit(d, TwoDaemons.LIVE);
        d.network.passes(1_000, d.destination);
        d.destination.assertRuns(VM, digest);

        Finished again = run.finish(); // the driver, trying again, learns it committed
        assertEquals(VM, again.domain());
        run.confirm(false, null);
        d.source.assertGone(VM);
        assertEquals(Step.FINISHED, d.destination.journal.find(run.begun.id()).orElseThrow().step());
    }

    @Test
    public void destinationKilledAfterTheCommitIsFoundByTheSourceWatchdog() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        TwoDaemons.ByHand run = d.byHand(VM).prepare().perform();
        d.destination.journal.crashAfter = Step.COMMITTED;
        assertThrows(Crash.class, run::finish);
        d.network.down(d.destination);

        d.network.passes(SILENCE, d.source);
        d.source.assertPaused(VM); // nobody can say: never resume here

        d.destination.restart();
        d.network.up(d.destination);
        d.network.passes(1_000, d.destination, d.source);
        d.destination.assertRuns(VM, digest);
        d.source.assertGone(VM);
    }
    /**
     * Killed after Finish took the leases, before its commit record: the restarted destination no longer knows it
     * holds them, and gives them back all the same (the lease file still names it), so the source can run.
     */
    @Test
    public void destinationKilledBetweenTakingTheLeasesAndCommittingLeavesTheGuestRunningOnTheSource() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        TwoDaemons.ByHand run = d.byHand(VM).prepare().perform();
        d.destination.journal.crashBefore = Step.COMMITTED;
        assertThrows(Crash.class, run::finish);
        assertEquals("the destination took the leases", "destination", d.leases.holder("/disks/" + VM + ".img"));

        d.destination.restart();
        d.network.passes(1_000, d.destination);
        d.destination.assertGone(VM);
        d.network.passes(SILENCE, d.source, d.destination); // the source's watchdog asks: aborted

        d.source.assertRuns(VM, digest);
        assertEquals(Step.ABORTED, d.source.journal.find(run.begun.id()).orElseThrow().step());
    }

    /** --persistent, killed right after the commit: the definition it brought is stored when it restarts. */
    @Test
    public void aPersistentMigrationWhoseDestinationIsKilledRightAfterTheCommitKeepsItsDefinition() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        destinationKilledRightAfterTheCommit(d, TwoDaemons.PERSISTENT);
        d.network.passes(1_000, d.destination);

        d.destination.assertRuns(VM, digest);
        assertEquals(VM, d.destination.domain(VM).orElseThrow().persistent().name());
        d.destination.restart(); // and it was stored, not only known
        assertEquals(VM, d.destination.domain(VM).orElseThrow().persistent().name());
    }

    /** --persistent, killed before the commit: the definition it brought is not left behind. */
    @Test
    public void aPersistentMigrationWhoseDestinationIsKilledBeforeTheCommitLeavesNoDefinition() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        TwoDaemons.ByHand run = d.byHand(VM, TwoDaemons.PERSISTENT).prepare().perform();
        d.destination.journal.crashBefore = Step.COMMITTED;
        assertThrows(Crash.class, run::finish);

        d.destination.restart();
        d.network.passes(1_000, d.destination);
        d.network.passes(SILENCE, d.source, d.destination);

        assertTrue("vm1 is known on the destination, where it never arrived", d.destination.domain(VM).isEmpty());
        d.destination.restart();
        assertTrue("vm1 is defined on the destination, where it never arrived", d.destination.domain(VM).isEmpty());
        d.source.assertRuns(VM, digest);
    }

    /**
     * --persistent, the destination's power cut before the commit, after it staged the definition and the snapshots
     * (each synced) but while its PREPARED record, written without a sync, was not yet on disk: the next start found
     * no record of the migration, so nothing ever discarded what it had staged, kept for good.
     */
    @Test
    public void whatAnArrivalStagedIsDiscardedAtTheNextStartWhenAPowerCutLostItsRecord() throws Exception {
        TwoDaemons d = new TwoDaemons(false); // the leases Finish took die with the host's lock manager: none here
        String digest = d.source.boot(VM);
        TwoDaemons.ByHand run = d.byHand(VM, TwoDaemons.PERSISTENT).prepare().perform();
        String id = run.begun.id();
        d.destination.snapshots.stage(id, TestHost.uuid(VM), List.of(), null); // as the snapshots section does at Prepare
        d.destination.journal.crashBefore = Step.COMMITTED;
        assertThrows(Crash.class, run::finish);
        Path staged = d.destination.stateDir.resolve("incoming").resolve(id + ".xml");
        assertTrue(Files.exists(staged));
        d.destination.journal.lose(id);
        d.destination.vm(VM).destroy(); // the power cut took the incoming VM too

        d.destination.restart();

        assertFalse("the staged definition is left", Files.exists(staged));
        assertEquals("the staged snapshots are left", Set.of(), d.destination.snapshots.staged);
        assertTrue(d.destination.domain(VM).isEmpty());
        d.network.passes(1_000, d.destination);
        d.network.passes(SILENCE, d.source, d.destination);
        d.source.assertRuns(VM, digest);
    }

    /**
     * Offline, killed right after the commit: the domain, which lived only in the destination's memory until its
     * definition was stored, is defined there when it restarts.
     */
    @Test
    public void anOfflineMigrationWhoseDestinationIsKilledRightAfterTheCommitIsDefinedThereOnRestart() throws Exception {
        TwoDaemons d = new TwoDaemons();
        d.source.domains().define(TestHost.definition(VM));
        TwoDaemons.ByHand run = d.byHand(VM, OFFLINE).prepare().perform();
        d.destination.journal.crashAfter = Step.COMMITTED;
        assertThrows(Crash.class, run::finish);

        d.destination.restart();
        d.network.passes(1_000, d.destination);

        assertEquals(VM, d.destination.domain(VM).orElseThrow().persistent().name());
        assertEquals(Step.FINISHED, d.destination.journal.find(run.begun.id()).orElseThrow().step());
        d.destination.restart();
        assertEquals(VM, d.destination.domain(VM).orElseThrow().persistent().name());
    }

    /**
     * As above, while a power cut emptied the status of another, transient, domain there: unreadable at the restart,
     * its UUID unknown. The committed arrival's UUID was admitted at Prepare, against that domain's then known: its
     * definition was still refused, staged, and the domain defined on neither host (its source told it is kept here).
     */
    @Test
    public void anOfflineArrivalCommittedBeforeTheRestartIsDefinedWhileAnotherDomainIsUnreadable() throws Exception {
        TwoDaemons d = new TwoDaemons();
        d.destination.boot("vm2");
        d.destination.domains().undefine("vm2");
        d.source.domains().define(TestHost.definition(VM));
        TwoDaemons.ByHand run = d.byHand(VM, OFFLINE).prepare().perform();
        d.destination.journal.crashAfter = Step.COMMITTED;
        assertThrows(Crash.class, run::finish);
        Path status = d.destination.stateDir.resolve("status/vm2.xml");
        Files.write(status, new byte[(int) Files.size(status)]); // as a power cut leaves it

        d.destination.restart();
        d.network.passes(1_000, d.destination);

        assertTrue("vm2 unreadable", d.destination.domain("vm2").orElseThrow().problem() != null);
        assertEquals(VM, d.destination.domain(VM).orElseThrow().persistent().name());
        assertEquals(Step.FINISHED, d.destination.journal.find(run.begun.id()).orElseThrow().step());
    }

    /** An offline arrival lives in its destination's memory until Finish: restarted before it, the daemon records it aborted. */
    @Test
    public void anOfflineArrivalWhoseDestinationRestartedBeforeFinishIsRecordedAborted() throws Exception {
        TwoDaemons d = new TwoDaemons();
        d.source.domains().define(TestHost.definition(VM));
        TwoDaemons.ByHand run = d.byHand(VM, OFFLINE).prepare();

        d.destination.restart();
        d.network.passes(1_000, d.destination);

        assertEquals(Step.ABORTED, d.destination.journal.find(run.begun.id()).orElseThrow().step());
        assertEquals(Optional.empty(), d.destination.domain(VM));
        d.network.passes(SILENCE, d.source, d.destination); // the driver is gone: the source settles with the destination
        assertEquals(Step.ABORTED, d.source.journal.find(run.begun.id()).orElseThrow().step());
    }

    /**
     * --undefinesource, the source killed in Confirm's clean-up after it stopped and undefined the domain, before
     * its record: the domain is gone when it restarts, and the migration completed (the destination committed it),
     * which is what the journal says and a repeated Confirm is told, not "aborted".
     */
    @Test
    public void sourceKilledAfterConfirmUndefinedTheDomainRecordsTheMigrationCompleted() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        TwoDaemons.ByHand run = d.byHand(VM, new MigrationFlags(true, false, false, false, false, true, false)).prepare().perform();
        Finished finished = run.finish();
        d.source.journal.crashBefore = Step.CONFIRMED;
        assertThrows(Crash.class, () -> run.confirm(false, finished.cookie()));

        d.source.restart();
        d.network.passes(1_000, d.source);

        assertTrue("undefined on the source", d.source.domain(VM).isEmpty());
        assertEquals(Step.CONFIRMED, d.source.journal.find(run.begun.id()).orElseThrow().step());
        assertEquals(Outcome.COMMITTED, d.source.engine().fate(run.begun.id()).outcome());
        run.confirm(false, finished.cookie()); // the driver, trying again, is told it completed
        d.destination.assertRuns(VM, digest);
    }

    /**
     * As above, with the lock manager's bundle registering after the restart: recovery waits for it, since the
     * leases Finish took can only be given back through it, and the source could not take them back otherwise.
     */
    @Test
    public void aDestinationRestartedBeforeItsLockManagerWaitsForItToGiveTheLeasesBack() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        TwoDaemons.ByHand run = d.byHand(VM).prepare().perform();
        d.destination.journal.crashBefore = Step.COMMITTED;
        assertThrows(Crash.class, run::finish);

        d.destination.lockManagerLate = true;
        d.destination.restart();
        d.network.passes(1_000, d.destination);
        assertEquals("not settled without its lock manager", Step.PREPARED,
                d.destination.journal.find(run.begun.id()).orElseThrow().step());
        d.destination.registerLockManager();
        d.network.passes(1_000, d.destination);
        d.network.passes(SILENCE, d.source, d.destination);

        d.destination.assertGone(VM);
        d.source.assertRuns(VM, digest);
    }

    /**
     * Killed right after the commit: its recovery takes the migration in hand, and a cancelling Finish (a buggy or
     * hostile driver's, out of order) gets the domain's job before recovery does (here: the test holds the job, and
     * the Finish runs in it). The guest committed there runs there: its source stops its copy on that word.
     */
    @Test
    public void aCancellingFinishThatOvertakesRecoveryLeavesTheCommittedGuestRunning() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        TwoDaemons.ByHand run = destinationKilledRightAfterTheCommit(d, TwoDaemons.PERSISTENT);
        String id = run.begun.id();
        Domain domain = d.destination.domain(VM).orElseThrow();

        Thread recovery = new Thread(() -> d.network.passes(1_000, d.destination));
        Finished cancelled = d.destination.domains().withJob(domain, "a job recovery waits for", id, () -> {
            recovery.start();
            while (d.destination.engine().incoming(id).isEmpty() && recovery.isAlive()) {
                Thread.sleep(1); // until recovery has taken the migration in hand and waits for the job
            }
            return d.peer(d.destination).finish(new Finish(id, run.begun.key(), true, null));
        });
        recovery.join();

        d.destination.assertRuns(VM, digest);
        assertEquals("the cancelling Finish is told the migration committed", VM, cancelled.domain());
        assertTrue("the definition it brought is kept", d.destination.domain(VM).orElseThrow().persistent() != null);
        assertEquals(Step.FINISHED, d.destination.journal.find(id).orElseThrow().step());
    }

    /**
     * A destination restarted on a full disk: the abort of an offline arrival whose domain is gone cannot be
     * recorded. That one failure ended the reading of the whole journal, so the migrations after it were never taken
     * in hand: vm2's incoming VM was never dropped and its source, told "in progress" for ever, kept the guest paused:
     * it ran on neither host.
     */
    @Test
    public void anAbortThatCannotBeRecordedAtTheRestartDoesNotKeepTheOtherMigrationsFromBeingSettled() throws Exception {
        TwoDaemons d = new TwoDaemons();
        d.source.boot(VM);
        String digest = d.source.boot("vm2");
        d.byHand(VM, OFFLINE).prepare(); // its domain lives in the destination's memory only
        d.byHand("vm2").prepare().perform();
        d.destination.journal.failAt = Step.ABORTED;

        d.destination.restart();
        d.network.passes(1_000, d.destination);
        d.network.passes(SILENCE, d.source); // the driver is gone: the source settles with the destination

        d.source.assertRuns("vm2", digest);
        d.destination.assertGone("vm2");
    }

    /** Begin, Prepare and Perform; the destination killed right after its commit record, and restarted. */
    private static TwoDaemons.ByHand destinationKilledRightAfterTheCommit(TwoDaemons d, MigrationFlags flags) throws Exception {
        TwoDaemons.ByHand run = d.byHand(VM, flags).prepare().perform();
        d.destination.journal.crashAfter = Step.COMMITTED;
        assertThrows(Crash.class, run::finish);
        d.destination.restart();
        return run;
    }
}
