package io.ferry.core.migration;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.protocol.ChannelException;
import io.ferry.protocol.Messages;
import io.ferry.protocol.Messages.Outcome;
import org.junit.Test;

/**
 * A source takes a destination's "no record of that migration" for "never prepared, so aborted", and resumes its
 * copy. Only the journal that prepared the migration may say so: a daemon at the destination's address whose
 * journal is another (its state directory wiped or replaced while the guest it committed runs on, another daemon
 * listening there) has forgotten, and its word would run the guest on two hosts.
 */
public class ForgetfulDestinationTest {
    private static final String VM = "vm1";
    private static final long SILENCE = 9_000; // beyond the 8 s driver timeout

    @Test
    public void aDestinationThatLostItsJournalAfterItCommittedDoesNotHaveTheSourcesCopyResumed() throws Exception {
        TwoDaemons d = new TwoDaemons(false); // no lock manager: nothing else keeps the source's copy from running
        String digest = d.source.boot(VM);
        committedWithoutConfirm(d);
        d.destination.restartWithAnotherJournal();

        d.network.passes(SILENCE, d.source, d.destination);

        d.destination.assertRuns(VM, digest);
        d.source.assertPaused(VM);
    }

    @Test
    public void resumeOfASourceWhoseDestinationForgotSaysSoAndNeedsForce() throws Exception {
        TwoDaemons d = new TwoDaemons(false);
        String digest = d.source.boot(VM);
        committedWithoutConfirm(d);
        d.destination.restartWithAnotherJournal();

        Exception e = assertThrows(Exception.class, () -> d.source.engine().resume(VM, false));
        assertTrue(e.getMessage(), e.getMessage().contains("no longer knows migration"));
        assertTrue(e.getMessage(), e.getMessage().contains("ferry resume --force vm1"));
        d.source.assertPaused(VM);
        d.destination.assertRuns(VM, digest);
    }

    @Test
    public void domjobabortOfASourceWhoseDestinationForgotSaysSoAndLeavesItPaused() throws Exception {
        TwoDaemons d = new TwoDaemons(false);
        String digest = d.source.boot(VM);
        TwoDaemons.ByHand run = committedWithoutConfirm(d);
        d.destination.restartWithAnotherJournal();
        d.network.passes(SILENCE, d.source, d.destination);

        Exception e = assertThrows(Exception.class, () -> d.source.engine().abortJob(VM));
        assertTrue(e.getMessage(), e.getMessage().contains("cannot abort migration " + run.begun.id() + ": the destination "
                + d.destination.uri + " no longer knows migration " + run.begun.id()));
        assertTrue(e.getMessage(), e.getMessage().contains("vm1 stays paused here"));
        d.source.assertPaused(VM);
        d.destination.assertRuns(VM, digest);
    }

    /**
     * Nor may a journal whose record of the migration is damaged: it may have been the commit point. It answers "in
     * progress", and the source's operator is told so by domjobabort and resume, not that the destination "does not
     * answer", the words of a host gone for good (the case for resume --force).
     */
    @Test
    public void aDestinationWhoseRecordIsDamagedDoesNotHaveTheSourcesCopyResumed() throws Exception {
        TwoDaemons d = new TwoDaemons(false);
        String digest = d.source.boot(VM);
        TwoDaemons.ByHand run = committedWithoutConfirm(d);
        d.destination.journal.damage(run.begun.id());

        d.network.passes(SILENCE, d.source, d.destination);
        Exception abort = assertThrows(Exception.class, () -> d.source.engine().abortJob(VM));
        Exception resume = assertThrows(Exception.class, () -> d.source.engine().resume(VM, false));

        d.destination.assertRuns(VM, digest);
        d.source.assertPaused(VM);
        String said = "the destination " + d.destination.uri + " answers that migration " + run.begun.id()
                + " is still under way there and cannot say yet whether it runs ";
        assertTrue(abort.getMessage(), abort.getMessage().contains(said + "domain vm1"));
        assertTrue(abort.getMessage(), abort.getMessage().contains(
                "once you know it does not run on the destination host,"
                + " ferry resume vm1 runs it here"));
        assertTrue(resume.getMessage(), resume.getMessage().contains(said + "it"));
        assertFalse(resume.getMessage(), resume.getMessage().contains("does not answer"));
    }

    /**
     * A damaged record answers "in progress" for as long as it stays damaged, so the source's operator decides: once
     * they know the guest does not run on the destination, resume --force runs it here. It was refused as for a
     * destination whose Finish holds the domain right now ("this host asks again by itself"), and the migration could
     * be neither resumed nor given up.
     */
    @Test
    public void aForcedResumeRunsTheGuestHereThoughTheDestinationsRecordIsDamaged() throws Exception {
        TwoDaemons d = new TwoDaemons(false);
        String digest = d.source.boot(VM);
        TwoDaemons.ByHand run = d.byHand(VM).prepare().perform();
        d.destination.engine().abortJob(VM); // its operator dropped the arrival there
        d.destination.journal.damage(run.begun.id());

        Exception refused = assertThrows(Exception.class, () -> d.source.engine().resume(VM, false));
        String resumed = d.source.engine().resume(VM, true);

        assertTrue(refused.getMessage(), refused.getMessage().contains("ferry resume --force vm1"));
        assertTrue(resumed, resumed.startsWith("Domain 'vm1' resumed\nwarning: "));
        d.source.assertRuns(VM, digest);
        d.destination.assertGone(VM);
    }

    @Test
    public void aDestinationRestartedWithItsJournalStillSaysItCommitted() throws Exception {
        TwoDaemons d = new TwoDaemons(false);
        String digest = d.source.boot(VM);
        committedWithoutConfirm(d);
        d.destination.restart();

        d.network.passes(SILENCE, d.source, d.destination);

        d.destination.assertRuns(VM, digest);
        d.source.assertGone(VM);
    }

    /**
     * Nor may a journal that cannot read the record this once (a full file table, a disk's error): Confirm's settle
     * found no record and the damaged check after it read the record well, so the source heard "unknown", took it for
     * aborted and resumed its copy of the guest that runs on. It hears "in progress", and the watchdog's settle after
     * it hears the commit.
     */
    @Test
    public void aConfirmWhoseSettleCannotReadTheRecordOnceDoesNotResumeTheSourcesCopy() throws Exception {
        TwoDaemons d = withTheDestinationsJournalOnDisk();
        String digest = d.source.boot(VM);
        TwoDaemons.ByHand run = d.byHand(VM).prepare().perform();
        Messages.Finished finished = run.finish();

        TestHost.failsNextRead(d.destination.fileJournal());
        Exception confirm = assertThrows(ChannelException.class, () -> run.confirm(false, finished.cookie()));
        d.network.passes(SILENCE, d.source, d.destination);

        assertTrue(confirm.getMessage(), confirm.getMessage().contains("answers that migration " + run.begun.id()
                + " is still under way there"));
        d.destination.assertRuns(VM, digest);
        d.source.assertGone(VM);
    }

    /** What the destination answers and admits of a committed arrival whose record it cannot read this once. */
    @Test
    public void aRecordThatCannotBeReadNowIsNeitherNoneNorOpenToAnotherParty() throws Exception {
        TwoDaemons d = withTheDestinationsJournalOnDisk();
        String digest = d.source.boot(VM);
        TwoDaemons.ByHand run = committedWithoutConfirm(d);
        String id = run.begun.id();
        FileJournal journal = d.destination.fileJournal();

        TestHost.failsNextRead(journal);
        assertEquals(Outcome.IN_PROGRESS, d.destination.engine().fate(id).outcome());
        TestHost.failsNextRead(journal);
        Exception admits = assertThrows(Exception.class,
                () -> d.destination.engine().admits(id, "another party's key"));
        TestHost.failsNextRead(journal);
        Exception prepare = assertThrows(Exception.class, run::prepare);

        String unreadable = "cannot read the journal record of migration " + id + ": Too many open files";
        assertTrue(admits.getMessage(), admits.getMessage().contains(unreadable));
        assertTrue(prepare.getMessage(), prepare.getMessage().contains(unreadable));
        assertEquals(Outcome.COMMITTED, d.destination.engine().fate(id).outcome());
        d.destination.assertRuns(VM, digest);
    }

    /**
     * A peer's call on a migration in hand is admitted by its key in memory: a record's read that failed at admission
     * answered the call with a refusal the engine never gave (a protocol-2 driver took its Finish for dropped there,
     * and the domain for gone from both hosts).
     */
    @Test
    public void aMigrationInHandIsAdmittedByItsKeyThoughItsRecordCannotBeRead() throws Exception {
        TwoDaemons d = withTheDestinationsJournalOnDisk();
        d.source.boot(VM);
        TwoDaemons.ByHand run = d.byHand(VM).prepare();
        FileJournal journal = d.destination.fileJournal();

        TestHost.failsNextRead(journal);
        assertTrue(d.destination.engine().admits(run.begun.id(), run.begun.key()));
        assertFalse(d.destination.engine().admits(run.begun.id(), "another party's key"));
    }

    /** Two daemons with no lock manager, the destination's journal in its state directory. */
    private static TwoDaemons withTheDestinationsJournalOnDisk() throws Exception {
        TwoDaemons d = new TwoDaemons(false);
        d.destination.useFileJournal();
        return d;
    }

    /** Begin, Prepare, Perform and Finish: the guest runs on the destination, committed; no Confirm comes. */
    private static TwoDaemons.ByHand committedWithoutConfirm(TwoDaemons d) throws Exception {
        TwoDaemons.ByHand run = d.byHand(VM).prepare().perform();
        run.finish();
        return run;
    }
}
