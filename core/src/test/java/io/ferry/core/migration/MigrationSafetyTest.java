package io.ferry.core.migration;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.api.cookie.Phase;
import io.ferry.protocol.ChannelException;
import io.ferry.protocol.Messages;
import io.ferry.protocol.Messages.Finished;
import io.ferry.protocol.Messages.Outcome;
import org.junit.Test;

/**
 * The safety contract at the engine, with two in-process daemons: a migration completes, or leaves the guest
 * running on the source; never two running copies, never none. Each test is one failure or one out-of-order
 * call, and ends with the placement check.
 */
public class MigrationSafetyTest {
    private static final String VM = "vm1";

    @Test
    public void aMigrationMovesTheGuestWithItsMemory() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);

        Finished finished = d.migrate(VM);

        assertEquals(VM, finished.domain());
        d.destination.assertRuns(VM, digest);
        d.source.assertGone(VM);
        assertEquals(Step.CONFIRMED, d.source.journal.find(finished.id()).orElseThrow().step());
        assertEquals(Step.FINISHED, d.destination.journal.find(finished.id()).orElseThrow().step());
    }

    @Test
    public void peerToPeerAndTunnelledMigrationsToo() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        d.source.engine().migrate(new Messages.Migrate(VM, d.destination.uri,
                new io.ferry.protocol.MigrationFlags(true, true, true, false, false, false, false), null, null, 0),
                io.ferry.protocol.MigrationDriver.Listener.NONE);
        d.destination.assertRuns(VM, digest);
        d.source.assertGone(VM);
    }

    /** Finding 1: trouble after the destination's commit never rolls the source back. */
    @Test
    public void troubleAfterTheCommitCompletesTheMigrationAnyway() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        d.destination.snapshots.failCommit = true;
        d.source.extraSections.add(FaultySection.healthy());
        d.destination.extraSections.add(FaultySection.failing("bake", Phase.FINISH));

        Finished finished = d.migrate(VM);

        d.destination.assertRuns(VM, digest);
        d.source.assertGone(VM);
        // both troubles happened: the snapshots are left staged, and Confirm went on without the Finish cookie
        assertNotNull("Finish said nothing of the snapshots", finished.note());
        assertTrue(finished.note(), finished.note().contains("could not be committed (No space left on device)"));
        assertNull("the Finish cookie was baked: " + finished.cookie(), finished.cookie());
    }

    /** Finding 1, the other way: Finish's reply is lost after the commit; the driver asks instead of guessing. */
    @Test
    public void aLostFinishReplyAfterTheCommitStillEndsOnTheDestination() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        d.network.loseReplyOf(d.destination, "finish");

        d.migrate(VM);

        d.destination.assertRuns(VM, digest);
        d.source.assertGone(VM);
        assertTrue(d.warnings.toString(), d.warnings.stream().anyMatch(w -> w.contains("committed")));
    }

    @Test
    public void aResumeThatFailsAfterTheCommitKeepsTheGuestPausedOnTheDestinationAndStopsTheSource() throws Exception {
        TwoDaemons d = new TwoDaemons();
        d.source.boot(VM);
        TwoDaemons.ByHand run = d.byHand(VM).prepare().perform();
        d.destination.vm(VM).resumeFailure = new IllegalStateException("QEMU died");

        Finished finished = run.finish();
        run.confirm(false, finished.cookie());

        assertTrue(finished.note(), finished.note().contains("could not resume"));
        d.destination.assertPaused(VM);
        d.source.assertGone(VM);
    }

    @Test
    public void aFailureBeforeTheCommitLeavesTheGuestRunningOnTheSource() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        d.source.extraSections.add(FaultySection.healthy());
        d.destination.extraSections.add(FaultySection.failing("eat", Phase.FINISH));

        ChannelException e = d.migrationFails(VM);

        assertTrue(e.getMessage(), e.getMessage().contains("fault injected"));
        d.source.assertRuns(VM, digest);
        d.destination.assertGone(VM);
    }

    /** Finding 2: Confirm without Perform never stops the source. */
    @Test
    public void confirmRightAfterBeginIsRefusedAndTheGuestGoesOn() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        TwoDaemons.ByHand run = d.byHand(VM);

        ChannelException e = assertThrows(ChannelException.class, () -> run.confirm(false, null));

        assertTrue(e.getMessage(), e.getMessage().contains("Confirm of migration " + run.begun.id()
                + " cannot run while it is at begun"));
        run.confirm(true, null);
        d.source.assertRuns(VM, digest);
    }

    @Test
    public void confirmOfSuccessWhileTheDestinationDidNotCommitResumesTheSource() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        TwoDaemons.ByHand run = d.byHand(VM).prepare().perform();

        ChannelException e = assertThrows(ChannelException.class, () -> run.confirm(false, null));

        assertTrue(e.getMessage(), e.getMessage().contains("did not commit"));
        d.source.assertRuns(VM, digest);
        d.destination.assertGone(VM);
    }

    @Test
    public void confirmOfCancellationAfterTheCommitStopsTheSourceInsteadOfRunningTwice() throws Exception {
        TwoDaemons d = new TwoDaemons(false); // no leases: nothing else would stop a second copy
        String digest = d.source.boot(VM);
        TwoDaemons.ByHand run = d.byHand(VM).prepare().perform();
        run.finish();

        ChannelException e = assertThrows(ChannelException.class, () -> run.confirm(true, null));

        assertTrue(e.getMessage(), e.getMessage().contains("committed"));
        d.destination.assertRuns(VM, digest);
        d.source.assertGone(VM);
    }

    /**
     * The destination already runs the domain (two hosts without a lock manager, each with its own copy): Prepare
     * refuses to start a second VM of it there, and both go on as they were.
     */
    @Test
    public void aPrepareForADomainActiveOnTheDestinationIsRefused() throws Exception {
        TwoDaemons d = new TwoDaemons(false);
        String here = d.source.boot(VM);
        String there = d.destination.boot(VM);

        ChannelException e = d.migrationFails(VM);

        assertTrue(e.getMessage(), e.getMessage().contains("Requested operation is not valid: domain '" + VM
                + "' is already active on this host"));
        d.source.assertRuns(VM, here);
        d.destination.assertRuns(VM, there);
    }

    /**
     * Back before the host it left settled its leaving (no Confirm yet: that host still holds the paused copy): the way
     * back is refused, naming the migration it waits for, and the guest runs where it arrived (RoundTripIT takes it
     * back once its first host has settled).
     */
    @Test
    public void aWayBackBeforeTheSourceSettledIsRefusedNamingTheMigration() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        TwoDaemons.ByHand away = d.byHand(VM).prepare().perform();
        away.finish();

        ChannelException e = assertThrows(ChannelException.class, () -> d.driver().run(d.peer(d.destination),
                d.peer(d.source), new Messages.Migrate(VM, d.source.uri, TwoDaemons.LIVE, null, null, 0)));

        assertTrue(e.getMessage(), e.getMessage().contains("domain " + VM + " is being migrated (migration "
                + away.begun.id() + ")"));
        d.destination.assertRuns(VM, digest);
        d.source.assertPaused(VM);
    }

    @Test
    public void everyCallNeedsTheMigrationsKey() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        TwoDaemons.ByHand run = d.byHand(VM).prepare();
        String id = run.begun.id();
        String wrong = "0".repeat(64);

        for (ThrowingCall call : new ThrowingCall[] {
            () -> d.peer(d.source).perform(new Messages.Perform(id, wrong, run.prepared.dataUri(), run.prepared.cookie(),
                    d.destination.uri, run.prepared.sections())),
            () -> d.peer(d.source).confirm(new Messages.Confirm(id, wrong, false, null)),
            () -> d.peer(d.source).confirm(new Messages.Confirm(id, wrong, true, null)),
            () -> d.peer(d.destination).finish(new Messages.Finish(id, wrong, true, null)),
            () -> d.peer(d.destination).settle(id, wrong),
            () -> d.peer(d.destination).endpoint(id, wrong),
            () -> d.peer(d.source).keepalive(id, wrong),
            () -> d.peer(d.destination).keepalive(id, wrong)}) {
            ChannelException e = assertThrows(ChannelException.class, call::run);
            assertTrue(e.getMessage(), e.getMessage().contains("the key does not match"));
        }
        assertEquals(null, d.source.engine().sideStream(id, wrong, "snapshots"));
        assertEquals(id, d.source.domain(VM).orElseThrow().migration()); // untouched: only the holder of the key ...
        run.cancel();                                                     // ... can end it
        d.source.assertRuns(VM, digest);
        d.destination.assertGone(VM);
    }

    /**
     * Once a migration ended, the record its destination keeps settles it only for the holder of its key (a peer's
     * {@code fate} call is admitted by the key at the control channel, before the engine: ChannelAccessTest).
     */
    @Test
    public void aRecordSettlesAMigrationOnlyForTheHolderOfItsKey() throws Exception {
        TwoDaemons d = new TwoDaemons();
        d.source.boot(VM);
        TwoDaemons.ByHand run = d.byHand(VM).prepare().perform();
        run.confirm(false, run.finish().cookie());
        String id = run.begun.id();
        String wrong = "0".repeat(64);

        ChannelException e = assertThrows(ChannelException.class, () -> d.peer(d.destination).settle(id, wrong));
        assertTrue(e.getMessage(), e.getMessage().contains("the key does not match"));
        assertEquals(Outcome.COMMITTED, d.peer(d.destination).settle(id, run.begun.key()).outcome());
    }

    /** A Perform cannot send the memory anywhere but where the destination itself said it goes. */
    @Test
    public void aPerformTowardADataUriTheDestinationDidNotHandOutIsRefused() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        TwoDaemons.ByHand run = d.byHand(VM).prepare();
        try (java.net.ServerSocket thief = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            String elsewhere = "tcp:127.0.0.1:" + thief.getLocalPort();

            ChannelException e = assertThrows(ChannelException.class, () -> d.peer(d.source).perform(new Messages.Perform(
                    run.begun.id(), run.begun.key(), elsewhere, run.prepared.cookie(), d.destination.uri, run.prepared.sections())));

            assertTrue(e.getMessage(), e.getMessage().contains("data URI " + elsewhere + " was not handed out by the destination"));
        }
        run.cancel();
        d.source.assertRuns(VM, digest);
        d.destination.assertGone(VM);
    }

    @Test
    public void aSecondPerformIsRefused() throws Exception {
        TwoDaemons d = new TwoDaemons();
        d.source.boot(VM);
        TwoDaemons.ByHand run = d.byHand(VM).prepare().perform();

        ChannelException e = assertThrows(ChannelException.class, run::perform);

        assertTrue(e.getMessage(), e.getMessage().contains("cannot run while it is at performed"));
    }

    @Test
    public void performFailingMidStreamRollsBackAtOnceAndTheDestinationSaysWhy() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        d.destination.hypervisor.receiveFailure = new java.io.IOException("No space left on device");

        ChannelException e = d.migrationFails(VM);

        assertTrue(e.getMessage(), e.getMessage().contains("No space left on device"));
        d.source.assertRuns(VM, digest);
        d.destination.assertGone(VM);
    }

    @Test
    public void aDestinationThatCannotBeReachedAfterPerformKeepsTheSourcePaused() throws Exception {
        TwoDaemons d = new TwoDaemons();
        d.source.boot(VM);
        TwoDaemons.ByHand run = d.byHand(VM).prepare().perform();
        d.network.down(d.destination);

        ChannelException e = assertThrows(ChannelException.class, () -> run.confirm(true, null));

        assertTrue(e.getMessage(), e.getMessage().contains("does not answer"));
        d.source.assertPaused(VM);
        assertNotNull(d.source.domain(VM).orElseThrow().migration());
        d.network.up(d.destination);
        run.confirm(true, null);
        d.source.assertRuns(VM, null);
        assertEquals(Outcome.ABORTED, d.destination.engine().fate(run.begun.id()).outcome());
    }

    @Test
    public void repeatedConfirmsGetTheSameAnswer() throws Exception {
        TwoDaemons d = new TwoDaemons();
        d.source.boot(VM);
        TwoDaemons.ByHand run = d.byHand(VM).prepare().perform();
        Finished finished = run.finish();
        run.confirm(false, finished.cookie());
        run.confirm(false, finished.cookie());
        ChannelException e = assertThrows(ChannelException.class, () -> run.confirm(true, null));
        assertTrue(e.getMessage(), e.getMessage().contains("already completed"));
        assertFalse(d.source.domain(VM).isPresent() && d.source.domain(VM).get().isActive());
    }

    /** The same for one that was cancelled: a later Confirm of success does not tell its driver the guest left. */
    @Test
    public void repeatedConfirmsOfACancelledMigrationGetTheSameAnswer() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        TwoDaemons.ByHand run = d.byHand(VM).prepare().perform();
        run.cancel();
        run.confirm(true, null);
        ChannelException e = assertThrows(ChannelException.class, () -> run.confirm(false, null));
        assertTrue(e.getMessage(), e.getMessage().contains("migration " + run.begun.id() + " was aborted: domain " + VM
                + " stays on this host"));
        d.source.assertRuns(VM, digest);
        d.destination.assertGone(VM);
    }

    /** A mandatory section Begin baked with may not silently drop out before Perform: it fails the migration. */
    @Test
    public void aMandatorySectionThatLeavesTheSourceAfterBeginFailsTheMigrationBeforeMemoryMoves() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        d.source.extraSections.add(FaultySection.healthy());
        d.destination.extraSections.add(FaultySection.healthy());
        TwoDaemons.ByHand run = d.byHand(VM).prepare();
        d.source.extraSections.clear();

        ChannelException e = assertThrows(ChannelException.class, run::perform);

        assertTrue(e.getMessage(), e.getMessage().contains("cookie section fault was removed during the migration"));
        run.cancel();
        d.source.assertRuns(VM, digest);
        d.destination.assertGone(VM);
    }

    @Test
    public void onlyTheBeginHookMayRefuse() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        d.destination.hook("[ \"$3\" = begin ] && { echo 'no room for it' >&2; exit 1; }; exit 0");

        ChannelException e = d.migrationFails(VM);

        assertTrue(e.getMessage(), e.getMessage().contains("refused the migration of vm1: no room for it"));
        d.source.assertRuns(VM, digest);
        d.destination.assertGone(VM);
    }

    /** Finding 5 and finding 1: an end hook that fails or hangs after the commit never fails the migration. */
    @Test
    public void endHooksThatFailOrHangAreOnlyLogged() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        d.destination.hook("[ \"$3\" = end ] && exec sleep 60; exit 0");
        d.source.hook("[ \"$3\" = end ] && exit 3; exit 0");

        d.migrate(VM);

        d.destination.assertRuns(VM, digest);
        d.source.assertGone(VM);
    }

    @Test
    public void aBeginHookThatHangsWithStderrOpenIsRefusedAtItsLimitAndFreesTheDomain() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        d.source.hook("[ \"$3\" = begin ] && { echo waiting >&2; exec sleep 60; }; exit 0");

        ChannelException e = d.migrationFails(VM);

        assertTrue(e.getMessage(), e.getMessage().contains("did not finish within 1 s"));
        d.source.assertRuns(VM, digest);
    }

    private interface ThrowingCall {
        void run() throws Exception;
    }
}
