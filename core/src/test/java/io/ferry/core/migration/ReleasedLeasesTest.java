package io.ferry.core.migration;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.api.lock.Lease;
import io.ferry.api.lock.LeaseRequest;
import io.ferry.core.domain.Domain;
import io.ferry.core.domain.DomainState;
import java.util.List;
import java.util.UUID;
import java.util.function.Consumer;
import org.junit.Test;

/**
 * A paused VM that gave its disk leases back at a migration's switch-over keeps the state they were released
 * with, across daemon restarts, and runs again only if they are taken back with it: never once another host held
 * them (and may have written its disks), however free they are by then.
 */
public class ReleasedLeasesTest {
    private static final String VM = "vm1";
    private static final String DISK = "/disks/" + VM + ".img";
    private static final long SILENCE = 9_000; // beyond the driver timeout

    /** Switch-over, then another host runs a VM on the disk and stops it, then the migration is cancelled. */
    private static TwoDaemons.ByHand rollbackRefusedAfterAnotherHostUsedTheDisk(TwoDaemons d) throws Exception {
        d.source.boot(VM);
        TwoDaemons.ByHand run = d.byHand(VM).prepare().perform();
        d.leases.takenBy("intruder", DISK).release();
        run.cancel();
        assertEquals(Step.ABORTED, d.source.journal.find(run.begun.id()).orElseThrow().step());
        d.source.assertPaused(VM);
        return run;
    }

    private static void assertResumeRefused(TwoDaemons d) {
        assertResumeRefused(d, "its disks may have been written by another host since");
    }

    private static void assertResumeRefused(TwoDaemons d, String says) {
        Exception e = assertThrows(Exception.class, () -> d.source.engine().resume(VM, false));
        assertTrue(e.getMessage(), e.getMessage().startsWith("cannot resume vm1: "));
        assertTrue(e.getMessage(), e.getMessage().contains(DISK) && e.getMessage().contains(says));
        d.source.assertPaused(VM);
        assertNull("no lease was taken", d.leases.holder(DISK));
    }

    /** A resume says why the guest waits, without telling to destroy it; it stays paused as the watchdog looks. */
    private static void assertResumeWaits(TwoDaemons d, String says) {
        Exception refused = assertThrows(Exception.class, () -> d.source.engine().resume(VM, false));
        assertTrue(refused.getMessage(), refused.getMessage().contains(says));
        assertFalse(refused.getMessage(), refused.getMessage().contains("destroy"));
        d.network.passes(1_000, d.source);
        d.source.assertPaused(VM);
    }

    @Test
    public void aResumeAfterARollbackThatCouldNotTakeTheLeasesBackIsRefused() throws Exception {
        TwoDaemons d = new TwoDaemons();
        rollbackRefusedAfterAnotherHostUsedTheDisk(d);

        assertResumeRefused(d);
        assertResumeRefused(d); // and again: the state is kept
    }

    /** The destination, asked first, did not commit; the rollback could not take the leases back: said, not "resumed". */
    @Test
    public void resumeOfAnUnsettledSourceSaysWhenItsRollbackCouldNotTakeTheLeasesBack() throws Exception {
        TwoDaemons d = new TwoDaemons();
        d.source.boot(VM);
        d.byHand(VM).prepare().perform();
        d.leases.takenBy("intruder", DISK).release();

        assertResumeRefused(d);
        d.destination.assertGone(VM);
    }

    @Test
    public void aRestartedDaemonTakesNoLeasesForAVmThatGaveThemBackAndItsResumeIsStillRefused() throws Exception {
        TwoDaemons d = new TwoDaemons();
        rollbackRefusedAfterAnotherHostUsedTheDisk(d);

        d.source.restart();
        d.network.passes(SILENCE, d.source);

        d.source.assertPaused(VM);
        assertNull("no lease taken at re-attach", d.leases.holder(DISK));
        assertNull(d.source.domains().leases().state(VM));
        assertResumeRefused(d);
        d.source.restart(); // a refused resume keeps it so
        assertResumeRefused(d);
    }

    @Test
    public void aRollbackThatTakesTheLeasesBackForgetsTheirStateAndARestartRetakesThem() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        d.byHand(VM).prepare().perform().cancel();
        d.source.assertRuns(VM, digest);

        d.source.restart();
        d.source.assertRuns(VM, digest);
        assertNotNull("the running VM's leases are held again", d.source.domains().leases().state(VM));
        pause(d.source);
        assertEquals("Domain 'vm1' resumed", d.source.engine().resume(VM, false));
        d.source.assertRuns(VM, digest);
    }

    /** A domain paused with its leases (they are held while it is paused) resumes, after a restart too. */
    @Test
    public void aPausedDomainThatKeptItsLeasesResumesAfterARestart() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        pause(d.source);

        d.source.restart();
        d.source.assertPaused(VM);
        assertNotNull("its leases are held again", d.source.domains().leases().state(VM));

        assertEquals("Domain 'vm1' resumed", d.source.engine().resume(VM, false));
        d.source.assertRuns(VM, digest);
    }

    /**
     * Killed as the switch-over gives the leases back, before the release took effect: its status already says
     * they are away, with the state they were held with, which takes them back since they are still this host's.
     */
    @Test
    public void aSourceKilledJustBeforeTheSwitchOverReleaseTakesItsLeasesBackOnRestart() throws Exception {
        TwoDaemons d = new TwoDaemons();
        d.leases.crashBeforeRelease = true;
        assertResumedAfterItsDaemonWasKilledGivingTheLeasesBack(d);
    }

    /**
     * Killed right after the switch-over gave the leases back, before it knew their state: the lock manager finds them
     * free and advanced exactly once since the state they were held with, by this host's own release, so nobody held
     * them since and the rollback takes them back with the state that release returned.
     */
    @Test
    public void aSourceKilledBetweenTheReleaseAndItsRecordTakesItsLeasesBackOnRestart() throws Exception {
        TwoDaemons d = new TwoDaemons();
        d.leases.crashAfterRelease = true;
        assertResumedAfterItsDaemonWasKilledGivingTheLeasesBack(d);
    }

    /**
     * As above, the daemon restarted with leases off (lockManager none): no lock manager holds leases for anyone, and
     * the guest runs on at the source. Its unconfirmed release was asked of the lock manager there is none of, and the
     * rollback failed on it.
     */
    @Test
    public void aSourceKilledBetweenTheReleaseAndItsRecordResumesWhenRestartedWithLeasesOff() throws Exception {
        TwoDaemons d = new TwoDaemons();
        d.leases.crashAfterRelease = true;
        d.source.leasesOff = true;
        assertResumedAfterItsDaemonWasKilledGivingTheLeasesBack(d);
    }

    private static void assertResumedAfterItsDaemonWasKilledGivingTheLeasesBack(TwoDaemons d) throws Exception {
        String digest = d.source.boot(VM);
        killedGivingTheLeasesBackThenRestarted(d);

        d.source.assertRuns(VM, digest);
        d.destination.assertGone(VM);
    }

    /**
     * As above, and another host ran a VM on the disk before the source's daemon came back: nothing proves the guest's
     * disks are as it left them, so it stays paused rather than take free leases (the operator destroys it).
     */
    @Test
    public void aSourceKilledBetweenTheReleaseAndItsRecordStaysPausedRatherThanTakeFreeLeases() throws Exception {
        TwoDaemons d = new TwoDaemons();
        d.source.boot(VM);
        d.leases.crashAfterRelease = true;
        TwoDaemons.ByHand run = d.byHand(VM).prepare();
        assertThrows(Crash.class, run::perform);
        d.leases.takenBy("intruder", DISK).release();
        d.source.restart();
        d.network.passes(SILENCE, d.source, d.destination);

        assertEquals(Step.ABORTED, d.source.journal.find(run.begun.id()).orElseThrow().step());
        d.source.assertPaused(VM);
        assertResumeRefused(d);
        d.source.domains().destroy(VM);
        d.source.domains().start(VM);
        assertEquals("source", d.leases.holder(DISK));
    }

    /**
     * Another host took the leases while the source's daemon was down (an operator who took the host for gone gave
     * its leases back): the re-attached VM is paused, and stays so once they are free again, after another restart too.
     */
    @Test
    public void aVmWhoseLeasesAnotherHostHeldWhenItsDaemonRestartedNeverTakesThemFree() throws Exception {
        TwoDaemons d = new TwoDaemons();
        pausedAtRestartWhileAnotherHostHoldsTheLeases(d).release();

        String says = "another host held the disk leases of vm1 when this daemon re-attached its VM, which it paused";
        assertResumeRefused(d, says);
        d.source.restart();
        assertNull("no lease taken at re-attach", d.source.domains().leases().state(VM));
        assertResumeRefused(d, says);
        d.source.domains().destroy(VM); // the way out: its copy here goes, and a fresh boot takes free leases
        d.source.domains().start(VM);
        assertEquals("source", d.leases.holder(DISK));
    }

    /**
     * The lease store out of reach as the restarted daemon re-attaches a running VM (ZooKeeper away, a hung NFS lease
     * directory): the VM is paused, since nothing can tell whether another host holds its leases, but that says nothing
     * of the disks. It was marked lost, its resume refused for good as if another host had held them; it now keeps the
     * state they were held with, which its resume presents once the store answers.
     */
    @Test
    public void aVmReattachedWhileTheLeaseStoreIsOutOfReachResumesOnceItAnswers() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        d.leases.unreachableFrom = "source";

        d.source.restart();

        d.source.assertPaused(VM);
        Exception away = assertThrows(Exception.class, () -> d.source.engine().resume(VM, false));
        assertTrue(away.getMessage(), away.getMessage().contains("the lock manager cannot reach its lease store"));
        d.leases.unreachableFrom = null;
        d.source.restart(); // the kept state outlives a restart
        d.source.assertPaused(VM);
        assertEquals("Domain 'vm1' resumed", d.source.engine().resume(VM, false));
        d.source.assertRuns(VM, digest);
    }

    /** As above, but another host held the leases meanwhile: the state kept is refused, and the VM stays paused. */
    @Test
    public void aVmReattachedWhileTheLeaseStoreIsOutOfReachStaysPausedIfAnotherHostHeldItsLeasesSince() throws Exception {
        TwoDaemons d = new TwoDaemons();
        d.source.boot(VM);
        d.leases.unreachableFrom = "source";
        d.source.restart();
        d.leases.unreachableFrom = null;
        d.leases.forgetHolder(DISK);
        d.leases.takenBy("intruder", DISK).release();

        assertResumeRefused(d);
    }

    /**
     * As above, but the other host gave the leases back before the source's daemon restarted: free again, they say
     * nothing of the disks, which it may have written. The re-attached VM presents the state its leases were held
     * with, which the lock manager refuses, and it is paused: never does it run on over disks another host wrote.
     */
    @Test
    public void aVmWhoseLeasesAnotherHostHeldAndGaveBackWhileItsDaemonWasDownIsPausedAtReattach() throws Exception {
        TwoDaemons d = new TwoDaemons();
        d.source.boot(VM);
        d.leases.forgetHolder(DISK);
        d.leases.takenBy("intruder", DISK).release();

        d.source.restart();

        d.source.assertPaused(VM);
        assertResumeRefused(d, "another host held the disk leases of vm1 when this daemon re-attached its VM, which it paused");
    }

    /**
     * The source's host went down with its VM; an operator gave its leases back and the domain ran on elsewhere, whose
     * migration's switch-over has just given them back. Restarted, the source's daemon finds its VM gone: it may give
     * back only what its host still holds. Taking the free lease to release it again would make the state that
     * migration's destination (or its rollback) presents stale, and leave the guest paused there for good.
     */
    @Test
    public void aRestartedDaemonWhoseVmIsGoneLeavesAFreeLeaseOfAnotherHostsSwitchOverAsItIs() throws Exception {
        TwoDaemons d = new TwoDaemons();
        d.source.boot(VM);
        d.source.vm(VM).destroy(); // the host went down with it
        d.leases.forgetHolder(DISK);
        String switchedOver = d.leases.takenBy("elsewhere", DISK).release();

        d.source.restart();

        assertNull(d.source.domain(VM).map(Domain::vm).orElse(null));
        assertSwitchOverStateStillGood(d, switchedOver);
    }

    /** As above, for a VM paused at an earlier re-attach because another host held its leases: it holds none to give back. */
    @Test
    public void aRestartedDaemonWhoseVmThatLostItsLeasesIsGoneLeavesAFreeLeaseOfAnotherHostsSwitchOverAsItIs() throws Exception {
        TwoDaemons d = new TwoDaemons();
        Lease elsewhere = pausedAtRestartWhileAnotherHostHoldsTheLeases(d);
        d.source.vm(VM).destroy(); // then the host went down with it
        String switchedOver = elsewhere.release();

        d.source.restart();

        assertSwitchOverStateStillGood(d, switchedOver);
    }

    /**
     * An operator who took the source's host for gone gave its leases back and another host took them; the source's
     * daemon, restarted, paused its VM. Returns the other host's leases.
     */
    private static Lease pausedAtRestartWhileAnotherHostHoldsTheLeases(TwoDaemons d) throws Exception {
        d.source.boot(VM);
        d.leases.forgetHolder(DISK);
        Lease other = d.leases.takenBy("intruder", DISK);
        d.source.restart();
        d.source.assertPaused(VM);
        return other;
    }

    /** The destination of the other host's migration takes the leases with the state its switch-over released. */
    private static void assertSwitchOverStateStillGood(TwoDaemons d, String switchedOver) throws Exception {
        d.leases.acquire(new LeaseRequest(VM, TestHost.uuid(VM), List.of(DISK), "elsewhere-destination", UUID.randomUUID()),
                switchedOver);
    }

    /**
     * The destination killed right after its commit record, before it resumed the guest; while its daemon is down an
     * operator gives its leases back, and another host runs the domain and stops it. Restarted, the destination takes
     * the leases with the state its Finish took them with, which the lock manager refuses: the guest stays paused,
     * never resumed over disks another host wrote.
     */
    @Test
    public void aDestinationKilledAfterTheCommitDoesNotResumeOverDisksAnotherHostUsedMeanwhile() throws Exception {
        TwoDaemons d = new TwoDaemons();
        d.source.boot(VM);
        TwoDaemons.ByHand run = d.byHand(VM).prepare().perform();
        d.destination.journal.crashAfter = Step.COMMITTED;
        assertThrows(Crash.class, run::finish);
        d.leases.forgetHolder(DISK);
        d.leases.takenBy("elsewhere", DISK).release();

        d.destination.restart();
        d.network.passes(1_000, d.destination);

        d.destination.assertPaused(VM);
        Exception refused = assertThrows(Exception.class, () -> d.destination.engine().resume(VM, false));
        assertTrue(refused.getMessage(), refused.getMessage().contains("its disks may have been written by another host since"));
        d.destination.assertPaused(VM);
        assertNull("no lease taken", d.leases.holder(DISK));
    }

    /**
     * A VM destroyed while its host cannot reach the lease store (ZooKeeper away, the lease directory not writable):
     * its leases stay its host's, as the store says, and are given back once the store answers, after a restart of the
     * daemon too. They were forgotten: no host could start the domain until an operator gave them back by hand.
     */
    @Test
    public void theLeasesOfAVmDestroyedWhileTheLockManagerIsAwayAreGivenBackOnceItIsBack() throws Exception {
        TwoDaemons d = new TwoDaemons();
        d.source.boot(VM);
        d.leases.releasesFailOn = "source";
        d.source.domains().destroy(VM);
        d.source.restart();
        d.network.passes(1_000, d.source);
        assertEquals("source", d.leases.holder(DISK));

        d.leases.releasesFailOn = null;
        d.network.passes(1_000, d.source);

        assertNull(d.leases.holder(DISK));
        d.destination.domains().define(TestHost.definition(VM));
        d.destination.domains().start(VM);
        assertEquals("destination", d.leases.holder(DISK));
    }

    /**
     * The destination did not commit, and the source's rollback cannot take the leases back because its host cannot
     * reach the lease store just then: the guest stays paused (nothing proves yet that nobody took them), a resume
     * says why without telling the operator to destroy a guest nothing is wrong with, and the guest runs on by itself
     * once the store answers. It stayed paused until someone resumed it, told its copy must not run.
     */
    @Test
    public void aRollbackThatCannotReachTheLeaseStoreResumesTheGuestOnceItCan() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        cancelledWhileTheSourceCannotReachTheLeaseStore(d);
        d.source.assertPaused(VM);

        assertResumedOnceTheLeaseStoreAnswers(d, digest);
    }

    /** The guest waits for its leases while its source cannot reach the lease store, and runs there once it can. */
    private static void assertResumedOnceTheLeaseStoreAnswers(TwoDaemons d, String digest) {
        assertResumeWaits(d, "cannot reach its lease store");

        d.leases.unreachableFrom = null;
        d.network.passes(1_000, d.source);

        d.source.assertRuns(VM, digest);
        d.destination.assertGone(VM);
    }

    /**
     * The source's lock manager goes as the migration is cancelled after its switch-over (its bundle updated or stopped
     * meanwhile): that says nothing of the disks, so the guest stays paused until the lock manager is there, a resume
     * says so without telling the operator to destroy it, and it runs on by itself once the lock manager is back. It
     * was taken for another host's use of the disks: the guest stayed paused for good, its resume told to destroy it.
     */
    @Test
    public void aRollbackWhileTheLockManagerIsAwayResumesTheGuestOnceItIsBack() throws Exception {
        resumedOnceTheLockManagerIsBack(TestHost::unregisterLockManager);
    }

    /** As above, the lock manager registered but its service not to be got (its component cannot activate). */
    @Test
    public void aRollbackWhileTheLockManagerCannotBeGotResumesTheGuestOnceItCan() throws Exception {
        resumedOnceTheLockManagerIsBack(TestHost::lockManagerCannotBeGot);
    }

    private static void resumedOnceTheLockManagerIsBack(Consumer<TestHost> away) throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        TwoDaemons.ByHand run = d.byHand(VM).prepare().perform();
        away.accept(d.source);
        run.cancel();
        d.source.assertPaused(VM);

        assertResumeWaits(d, "lock manager 'file' is not available");
        assertNull("no lease taken", d.leases.holder(DISK));

        d.source.registerLockManager();
        d.network.passes(1_000, d.source);

        d.source.assertRuns(VM, digest);
        d.destination.assertGone(VM);
    }

    /**
     * As above, and the source's daemon is restarted while its rollback waits for the lease store (an operator trying to
     * unstick things): the restarted daemon finds the guest its rolled back migration left paused without its leases
     * and goes on trying, resuming it once the store answers. It forgot the retry: the guest stayed paused until
     * someone ran ferry resume.
     */
    @Test
    public void aRollbackWaitingForTheLeaseStoreStillResumesTheGuestAfterItsDaemonRestarts() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        TwoDaemons.ByHand run = cancelledWhileTheSourceCannotReachTheLeaseStore(d);
        assertEquals(Step.ABORTED, d.source.journal.find(run.begun.id()).orElseThrow().step());

        d.source.restart();
        d.network.passes(1_000, d.source);
        d.source.assertPaused(VM);
        assertNull("no lease taken", d.leases.holder(DISK));

        d.leases.unreachableFrom = null;
        d.network.passes(1_000, d.source);

        d.source.assertRuns(VM, digest);
        d.destination.assertGone(VM);
    }

    /** As above, the daemon restarted before its driver's bundle: the guest resumes once its VM is re-attached. */
    @Test
    public void aRollbackWaitingForTheLeaseStoreResumesTheGuestOnceADriverLateAfterTheRestartReattachedIt() throws Exception {
        resumedOnceWhatTheRestartLackedComes(true);
    }

    /** As above, the daemon restarted before its lock manager's bundle: the guest resumes once it is there. */
    @Test
    public void aRollbackWaitingForTheLeaseStoreResumesTheGuestOnceALockManagerLateAfterTheRestartIsThere() throws Exception {
        resumedOnceWhatTheRestartLackedComes(false);
    }

    /** @param driver whether the restarted daemon lacks its driver (true) or its lock manager (false) for a while */
    private static void resumedOnceWhatTheRestartLackedComes(boolean driver) throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        cancelledWhileTheSourceCannotReachTheLeaseStore(d);
        d.source.hypervisorLate = driver;
        d.source.lockManagerLate = !driver;
        d.source.restart();
        d.leases.unreachableFrom = null;
        d.network.passes(1_000, d.source);
        assertNull("no lease taken", d.leases.holder(DISK));

        if (driver) {
            d.source.registerHypervisor();
        } else {
            d.source.registerLockManager();
        }
        d.network.passes(1_000, d.source);

        d.source.assertRuns(VM, digest);
        d.destination.assertGone(VM);
    }

    /**
     * A rollback left the guest paused until its source can reach the lease store, and its operator migrates it
     * meanwhile: it ran before the rollback paused it, so it migrates as running and runs on the destination once
     * Finish took its leases there; its source forgets it. It arrived paused as if its operator had paused it
     * (paused='yes'), and stayed so for good.
     */
    @Test
    public void aRolledBackGuestWaitingForItsLeasesRunsOnTheDestinationItMigratesTo() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = waitingForTheLeaseStoreAfterARollback(d);

        d.migrate(VM);

        d.destination.assertRuns(VM, digest);
        d.leases.unreachableFrom = null;
        d.network.passes(1_000, d.source, d.destination);
        d.source.assertGone(VM);
        d.destination.assertRuns(VM, digest);
        assertEquals("destination", d.leases.holder(DISK));
    }

    /**
     * As above, but that migration fails too (the destination cannot write its commit record once Finish took the
     * leases): the guest waits for its leases again, and runs on its source once the store answers. It was taken for
     * a guest paused before the migration began: paused (user), resumed by nobody.
     */
    @Test
    public void aRolledBackGuestWaitingForItsLeasesWhoseNextMigrationFailsRunsOnItsSourceOnceItCan() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = waitingForTheLeaseStoreAfterARollback(d);
        d.destination.journal.failAt = Step.COMMITTED;

        d.migrationFails(VM);

        assertResumedOnceTheLeaseStoreAnswers(d, digest);
    }

    /**
     * A guest its operator paused before migrating it is not resumed by the rollback, nor by a restarted daemon
     * that finds it paused by that migration without its leases: it was not running when the migration began.
     */
    @Test
    public void aGuestPausedBeforeItsRolledBackMigrationStaysPausedAfterARestart() throws Exception {
        TwoDaemons d = new TwoDaemons();
        d.source.boot(VM);
        pause(d.source);
        cancelledWhileTheSourceCannotReachTheLeaseStore(d);

        d.source.restart();
        d.leases.unreachableFrom = null;
        d.network.passes(1_000, d.source);
        d.network.passes(1_000, d.source);

        d.source.assertPaused(VM);
        assertNull("no lease taken", d.leases.holder(DISK));
    }

    /**
     * The switch-over's give-back of the leases went through, but its answer was lost (ZooKeeper out of reach right
     * after it committed it): Perform fails and rolls back, and the leases, free since this host's own give-back and
     * held by nobody since, are taken back and the guest resumed.
     */
    @Test
    public void aSwitchOverWhoseGiveBackWentThroughUnansweredRollsBackAndResumesTheGuest() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        TwoDaemons.ByHand run = d.byHand(VM).prepare();
        d.leases.releaseAnswersLostOn = "source";
        assertThrows(Exception.class, run::perform);
        d.leases.releaseAnswersLostOn = null;
        d.network.passes(SILENCE, d.source, d.destination);

        d.source.assertRuns(VM, digest);
        d.destination.assertGone(VM);
    }

    /** Switch-over, then the driver cancels while the source's host cannot reach the lease store. */
    private static TwoDaemons.ByHand cancelledWhileTheSourceCannotReachTheLeaseStore(TwoDaemons d) throws Exception {
        TwoDaemons.ByHand run = d.byHand(VM).prepare().perform();
        d.leases.unreachableFrom = "source";
        run.cancel();
        return run;
    }

    /** The guest booted, then {@link #cancelledWhileTheSourceCannotReachTheLeaseStore}: it waits paused. Its digest. */
    static String waitingForTheLeaseStoreAfterARollback(TwoDaemons d) throws Exception {
        String digest = d.source.boot(VM);
        cancelledWhileTheSourceCannotReachTheLeaseStore(d);
        d.source.assertPaused(VM);
        return digest;
    }

    /** Perform, the source daemon killed as its switch-over gives the leases back; restarted, it settles. */
    private static TwoDaemons.ByHand killedGivingTheLeasesBackThenRestarted(TwoDaemons d) throws Exception {
        TwoDaemons.ByHand run = d.byHand(VM).prepare();
        assertThrows(Crash.class, run::perform);
        d.source.restart();
        d.network.passes(SILENCE, d.source, d.destination);
        return run;
    }

    private static void pause(TestHost host) throws Exception {
        Domain domain = host.domain(VM).orElseThrow();
        domain.vm().pause();
        host.domains().setState(domain, DomainState.PAUSED, DomainState.Reason.USER);
    }
}
