package io.ferry.core.migration;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.core.TestDirectories;
import io.ferry.core.daemon.AtomicFiles;
import io.ferry.protocol.MigrationFlags;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.Test;

/** The journal's steps and their order, and the file journal a restarted daemon reads back. */
public class JournalTest {
    private static final MigrationFlags LIVE = new MigrationFlags(true, false, false, false, true, false, false);

    @Test
    public void eachSideMovesOnlyForward() {
        assertEquals(List.of(Step.PERFORMING, Step.ABORTED), List.copyOf(Step.BEGUN.next()));
        assertTrue(Step.PERFORMED.next().contains(Step.CONFIRMED));
        assertFalse("nothing rolls back after the commit", Step.COMMITTED.next().contains(Step.ABORTED));
        assertFalse("a source cannot confirm before Perform", Step.BEGUN.next().contains(Step.CONFIRMED));
        assertFalse(Step.PREPARED.next().contains(Step.COMMITTED));
        for (Step end : List.of(Step.CONFIRMED, Step.FINISHED, Step.ABORTED)) {
            assertTrue(end.isFinal());
        }
        assertThrows(IllegalStateException.class, () -> Outgoing.requireMove(Step.BEGUN, Step.CONFIRMED, "m"));
        assertThrows(IllegalStateException.class, () -> Outgoing.requireMove(Step.COMMITTED, Step.ABORTED, "m"));
    }

    @Test
    public void entriesSurviveARestartWithEverythingRecoveryNeeds() throws Exception {
        Path state = TestDirectories.create("journal");
        UUID uuid = UUID.randomUUID();
        Journal.Entry entry = new Journal.Entry("m-1", Journal.Role.SOURCE, Step.PERFORMED, "vm", uuid, "ferry+tcp://h:1",
                LIVE, "a".repeat(64), "7", true).withPeerJournal(UUID.randomUUID().toString());
        new FileJournal(state).record(entry);
        new FileJournal(state).record(entry.at(Step.BEGUN).withPeer(null).withLeaseState(null));
        new FileJournal(state).record(new Journal.Entry("m-2", Journal.Role.DESTINATION, Step.ABORTED, "vm", uuid, null,
                LIVE, "b".repeat(64), null, false));
        Journal.Entry arrival = new Journal.Entry("m-3", Journal.Role.DESTINATION, Step.PREPARED, "vm", uuid, null, LIVE,
                "c".repeat(64), null, false, null, List.of("/disks/a.img", "/dev/vg/b"));
        new FileJournal(state).record(arrival);
        new FileJournal(state).record(entry);

        FileJournal reread = new FileJournal(state);
        assertEquals(entry, reread.find("m-1").orElseThrow());
        assertEquals(Set.of(entry, arrival), Set.copyOf(reread.unfinished()));
        assertEquals("the disks whose leases a restart gives back", arrival, reread.find("m-3").orElseThrow());
        assertEquals(Step.ABORTED, reread.find("m-2").orElseThrow().step());
        assertEquals("keys are the daemon's own", "rwx------",
                PosixFilePermissions.toString(Files.getPosixFilePermissions(state.resolve("migrations"))));
    }

    /**
     * A daemon rolled back to the build before the migration flag 'paused' (87ad4d9) reads the records this one wrote:
     * that build's {@code MigrationFlags.parse} refuses a flag it does not know, so a record with 'paused' among its
     * flags was set aside as damaged at its start, and its migration never settled: a committed --suspend arrival stayed
     * paused for the migration and unfinished, its source told "in progress" for good; a source's record left its guest
     * unclaimed. The flag is kept beside the flags, where that build passes over it; this build reads both forms.
     */
    @Test
    public void aPausedMigrationsRecordHasOnlyFlagsTheBuildBeforeThePausedFlagReads() throws Exception {
        Path state = TestDirectories.create("journal");
        Journal.Entry arrival = new Journal.Entry("m-1", Journal.Role.DESTINATION, Step.COMMITTED, "vm", UUID.randomUUID(),
                null, LIVE.withPaused(), "c".repeat(64), "8", false, null, List.of("/disks/a.img"));
        new FileJournal(state).record(arrival);

        assertFlagsTheBuildBeforeThePausedFlagReads(Files.readString(state.resolve("migrations").resolve("m-1.xml")));
        assertEquals("this build reads the flag back", arrival, new FileJournal(state).find("m-1").orElseThrow());
    }

    /**
     * The records the builds from 1daf737 until the flag moved wrote with 'paused' among the flags are rewritten at the
     * next start, their date (their end, for the clean-up) kept, ended ones too: left so, a rollback set them aside.
     */
    @Test
    public void aRecordWithThePausedFlagAmongItsFlagsIsRewrittenWhereTheBuildBeforeItReadsIt() throws Exception {
        Path state = TestDirectories.create("journal");
        Path migrations = Files.createDirectories(state.resolve("migrations"));
        String written = committedByAnEarlierBuild();
        Files.writeString(migrations.resolve("m-upgrade.xml"), written);
        Files.writeString(migrations.resolve("m-ended.xml"), written.replace("m-upgrade", "m-ended")
                .replace("step='committed'", "step='finished'"));
        FileTime ended = FileTime.from(Instant.now().minus(Duration.ofDays(3)));
        Files.setLastModifiedTime(migrations.resolve("m-ended.xml"), ended);

        Journal.Entry committed = new FileJournal(state).unfinished().get(0);

        assertTrue(committed.flags().paused());
        assertEquals(List.of("/disks/vm1.img"), committed.disks());
        assertFlagsTheBuildBeforeThePausedFlagReads(Files.readString(migrations.resolve("m-upgrade.xml")));
        assertFlagsTheBuildBeforeThePausedFlagReads(Files.readString(migrations.resolve("m-ended.xml")));
        assertEquals(committed, new FileJournal(state).find("m-upgrade").orElseThrow());
        assertTrue(new FileJournal(state).find("m-ended").orElseThrow().flags().paused());
        assertEquals("its end's date", ended, Files.getLastModifiedTime(migrations.resolve("m-ended.xml")));
    }

    /** The record of a committed arrival as cec2632 wrote it (as m-upgrade, in {@code earlier-records/}). */
    private static String committedByAnEarlierBuild() throws java.io.IOException {
        String name = "earlier-records/cec2632/destination-committed-paused.xml";
        try (var in = JournalTest.class.getResourceAsStream(name)) {
            return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
    }

    /**
     * A committed arrival's record keeps the features it carried as mandatory, none kept as none: what a restart before
     * its end remembers for the domain. A record of a build before reads as not saying, and the restart leaves what the
     * host remembers of the domain as it was.
     */
    @Test
    public void aCommittedArrivalKeepsTheSectionsItCarriedAsMandatoryAndAnEarlierBuildsRecordSaysNothing()
            throws Exception {
        Path state = TestDirectories.create("journal");
        UUID uuid = UUID.randomUUID();
        Journal.Entry carried = new Journal.Entry("m-1", Journal.Role.DESTINATION, Step.COMMITTED, "vm", uuid, null,
                LIVE, "c".repeat(64), "8", false, null, List.of("/disks/a.img"))
                .withMandatory(Set.of("tpm", "lockstate"));
        Journal.Entry none = new Journal.Entry("m-2", Journal.Role.DESTINATION, Step.COMMITTED, "vm", uuid, null,
                LIVE, "d".repeat(64), null, false).withMandatory(Set.of());
        new FileJournal(state).record(carried);
        new FileJournal(state).record(none);
        Files.writeString(state.resolve("migrations").resolve("m-upgrade.xml"), committedByAnEarlierBuild());

        FileJournal reread = new FileJournal(state);
        assertEquals(carried, reread.find("m-1").orElseThrow());
        assertEquals(List.of("lockstate", "tpm"), reread.find("m-1").orElseThrow().mandatory());
        assertEquals(List.of(), reread.find("m-2").orElseThrow().mandatory());
        assertNull(reread.find("m-upgrade").orElseThrow().mandatory());
        assertEquals("its end keeps them", carried.mandatory(), carried.at(Step.FINISHED).mandatory());
    }

    /** 87ad4d9's MigrationFlags.parse accepted these flags and refused any other, and the record with it. */
    private static void assertFlagsTheBuildBeforeThePausedFlagReads(String record) {
        java.util.regex.Matcher flags = java.util.regex.Pattern.compile(" flags='([^']*)'").matcher(record);
        assertTrue(record, flags.find());
        List<String> known = List.of("live", "p2p", "tunnelled", "offline", "persistent", "undefinesource", "v2", "unsafe");
        for (String flag : flags.group(1).split(",")) {
            assertTrue("flag '" + flag + "' in " + record, known.contains(flag));
        }
    }

    /**
     * A journal keeps its word for a migration across restarts (a source tells by it that the daemon answering for its
     * destination is the one that recorded the migration); its word for another migration is another, another state
     * directory's journal has another, and so has one whose key was made afresh when its file could not be read.
     */
    @Test
    public void aJournalKeepsItsIdentityAndAnotherHasAnother() throws Exception {
        Path state = TestDirectories.create("journal");
        String word = new FileJournal(state).identity("m-1");
        assertEquals(word, new FileJournal(state).identity("m-1"));
        assertFalse(word.equals(new FileJournal(state).identity("m-2")));
        assertFalse(word.equals(new FileJournal(TestDirectories.create("journal")).identity("m-1")));
        assertEquals("the key is the daemon's own", "rw-------", PosixFilePermissions.toString(
                Files.getPosixFilePermissions(state.resolve("migrations").resolve(FileJournal.KEY_FILE))));

        Files.writeString(state.resolve("migrations").resolve(FileJournal.KEY_FILE), "not a key");
        String made = new FileJournal(state).identity("m-1");
        assertFalse(word.equals(made));
        assertEquals(made, new FileJournal(state).identity("m-1"));
    }

    /** The journal's directory, new at a host's first start, is synced into the state directory: the commit point is in it. */
    @Test
    public void theJournalsNewDirectoryIsSyncedIntoTheStateDirectoryOnce() throws Exception {
        Path state = TestDirectories.create("journal");
        List<Path> synced = new ArrayList<>();
        new FileJournal(state, synced::add, System::currentTimeMillis, JournalTest::monotonic);
        assertEquals(List.of(state), synced);

        synced.clear();
        new FileJournal(state, synced::add, System::currentTimeMillis, JournalTest::monotonic);
        assertEquals("nothing new in the state directory", List.of(), synced);
    }

    /**
     * A record a power cut emptied, or kept the length of but not the data, is lost: recorded without a sync, it was
     * no commit point. A damaged one is not the journal's to judge, and one it reads is not lost.
     */
    @Test
    public void aRecordAPowerCutEmptiedIsLostAndADamagedOneIsNot() throws Exception {
        Path state = TestDirectories.create("journal");
        FileJournal journal = new FileJournal(state);
        journal.record(new Journal.Entry("m-1", Journal.Role.DESTINATION, Step.PREPARED, "vm", UUID.randomUUID(), null,
                LIVE, "a".repeat(64), null, false));
        Files.write(state.resolve("migrations/m-empty.xml"), new byte[0]);
        Files.write(state.resolve("migrations/m-zeros.xml"), new byte[180]);
        Files.writeString(state.resolve("migrations/m-half.xml"), "<migration id='m-half' role='destination' st");

        assertTrue(journal.lost("m-none"));
        assertTrue(journal.lost("m-empty"));
        assertTrue(journal.lost("m-zeros"));
        assertFalse(journal.lost("m-half"));
        assertFalse(journal.lost("m-1"));
        assertFalse("no file name", journal.lost("../m-1"));

        assertTrue("a record it cannot read", journal.damaged("m-half"));
        assertFalse(journal.damaged("m-1"));
        assertFalse(journal.damaged("m-none"));
        assertFalse("a power cut's, never the commit point", journal.damaged("m-zeros"));
        Files.writeString(state.resolve("m-half.xml"), "<migration id='m-half' role='destination' st");
        assertFalse("no file name, even one naming a damaged file outside the journal", journal.damaged("../m-half"));
    }

    /**
     * A start reports a damaged record once and sets it aside for the operator, rather than reporting it at every
     * start for good; it stays "not lost" (what its migration staged is kept). A record a power cut emptied goes.
     */
    @Test
    public void aStartSetsADamagedRecordAsideOnceAndDropsAnEmptiedOne() throws Exception {
        Path state = TestDirectories.create("journal");
        FileJournal journal = new FileJournal(state);
        Path migrations = state.resolve("migrations");
        Files.writeString(migrations.resolve("m-half.xml"), "<migration id='m-half' role='destination' st");
        Files.write(migrations.resolve("m-zeros.xml"), new byte[180]);

        assertTrue(journal.unfinished().isEmpty());
        assertEquals(List.of("m-half.xml.damaged"), names(migrations));
        assertEquals("<migration id='m-half' role='destination' st", Files.readString(migrations.resolve("m-half.xml.damaged")));
        assertFalse(journal.lost("m-half"));
        assertTrue("set aside, still damaged", journal.damaged("m-half"));
        assertTrue(journal.lost("m-zeros"));
        assertTrue(journal.find("m-half").isEmpty());
    }

    /**
     * A record whose read fails (a full file table, a disk's error) may be the commit point: it is not taken for none,
     * which a settling source hears as "aborted", nor for damaged once the read after it reads it.
     */
    @Test
    public void aRecordThatCannotBeReadNowIsNotTakenForNone() throws Exception {
        FileJournal journal = new FileJournal(TestDirectories.create("journal"));
        Journal.Entry finished = entry(Journal.Role.DESTINATION, Step.FINISHED);
        journal.record(finished);

        TestHost.failsNextRead(journal);
        IOException e = assertThrows(IOException.class, () -> journal.find(finished.id()));

        assertTrue(e.getMessage(), e.getMessage().contains("cannot read the journal record of migration "
                + finished.id() + ": Too many open files"));
        assertEquals(Optional.of(finished), journal.find(finished.id()));
        assertFalse(journal.damaged(finished.id()));
        assertEquals("no record at all", Optional.empty(), journal.find("m-none"));
        TestHost.failsNextRead(journal);
        assertEquals("no record at all, the open failing before its path is looked up", Optional.empty(),
                journal.find("m-none"));
    }

    @Test
    public void anUnreadableOrHostileEntryIsIgnored() throws Exception {
        Path state = TestDirectories.create("journal");
        FileJournal journal = new FileJournal(state);
        Files.writeString(state.resolve("migrations/half.xml"), "<migration id='half' role='source' st");
        assertTrue(journal.unfinished().isEmpty());
        assertTrue(journal.find("../../etc/passwd").isEmpty());
        assertTrue(journal.find("half").isEmpty());
        journal.record(new Journal.Entry("m-out", Journal.Role.SOURCE, Step.BEGUN, "vm", UUID.randomUUID(), null,
                LIVE, "a".repeat(64), null, false));
        Files.move(state.resolve("migrations/m-out.xml"), state.resolve("m-out.xml"));
        assertTrue("a record outside the journal", journal.find("../m-out").isEmpty());
    }

    @Test
    public void theCommitPointAndWhatIsWrittenOverItOutliveAPowerCut() {
        assertTrue(FileJournal.outlivesThePower(entry(Journal.Role.DESTINATION, Step.COMMITTED)));
        assertTrue("FINISHED replaces COMMITTED's file", FileJournal.outlivesThePower(entry(Journal.Role.DESTINATION,
                Step.FINISHED)));
        assertFalse("the source's guest dies with its host", FileJournal.outlivesThePower(entry(Journal.Role.SOURCE,
                Step.PERFORMED)));
        assertFalse("nothing else holds the source's leases", FileJournal.outlivesThePower(entry(Journal.Role.SOURCE,
                Step.ABORTED)));
    }

    private static Journal.Entry entry(Journal.Role role, Step step) {
        return new Journal.Entry("m-1", role, step, "vm", UUID.randomUUID(), null, LIVE, "a".repeat(64), null, false);
    }

    /**
     * A destination's Finish takes the disk leases durably on its PREPARED record: recorded without a sync, a power
     * cut could empty it (removed at the next start), and nothing gave back the leases of the incoming VM gone with the
     * host; its source, told "unknown", presented the switch-over's state, was refused and kept the guest paused for good.
     */
    @Test
    public void aPreparedRecordOutlivesAPowerCut() throws Exception {
        Path state = TestDirectories.create("journal");
        List<Path> synced = new ArrayList<>();
        FileJournal journal = new FileJournal(state, synced::add, System::currentTimeMillis, JournalTest::monotonic);
        synced.clear();
        journal.record(new Journal.Entry("m-1", Journal.Role.DESTINATION, Step.PREPARED, "vm", UUID.randomUUID(), null,
                LIVE, "a".repeat(64), null, false));
        assertEquals(List.of(state.resolve("migrations")), synced);
    }

    /**
     * The abort of an arrival whose Finish took the disk leases records, over its PREPARED record, the state it gave
     * them back with: emptied by a power cut, the record was removed at the next start, the source was told "unknown",
     * presented its switch-over's state (two takes and a release old) and kept its guest paused for good.
     */
    @Test
    public void anAbortedArrivalsRecordOutlivesAPowerCut() throws Exception {
        Path state = TestDirectories.create("journal");
        List<Path> synced = new ArrayList<>();
        FileJournal journal = new FileJournal(state, synced::add, System::currentTimeMillis, JournalTest::monotonic);
        Journal.Entry prepared = entry(Journal.Role.DESTINATION, Step.PREPARED);
        journal.record(prepared);
        synced.clear();
        journal.record(prepared.at(Step.ABORTED).withLeaseState("released-state"));
        assertEquals(List.of(state.resolve("migrations")), synced);
    }

    /**
     * A host that migrates every day for months must not keep every migration's record for good (each start reads them
     * all): a record of a migration that ended more than 30 days ago goes, at a start
     * or when another migration ends; unfinished ones, recently ended ones and committed arrivals (a source that
     * comes back late still asks their fate, and takes "unknown" for aborted) stay.
     */
    @Test
    public void recordsOfMigrationsThatEndedLongAgoAreRemoved() throws Exception {
        Path state = TestDirectories.create("journal");
        FileJournal journal = new FileJournal(state);
        UUID uuid = UUID.randomUUID();
        String key = "a".repeat(64);
        for (Step end : List.of(Step.CONFIRMED, Step.ABORTED)) {
            journal.record(new Journal.Entry("old-" + end.display(), Journal.Role.SOURCE, end, "vm", uuid, null, LIVE, key, null, true));
        }
        journal.record(new Journal.Entry("old-finished", Journal.Role.DESTINATION, Step.FINISHED, "vm", uuid, null, LIVE, key, null, false));
        Journal.Entry stuck = new Journal.Entry("old-performed", Journal.Role.SOURCE, Step.PERFORMED, "vm", uuid, "ferry+tcp://h:1",
                LIVE, key, "7", true);
        journal.record(stuck);
        journal.record(new Journal.Entry("recent", Journal.Role.SOURCE, Step.CONFIRMED, "vm", uuid, null, LIVE, key, null, true));
        Path migrations = state.resolve("migrations");
        FileTime longAgo = FileTime.from(Instant.now().minus(Duration.ofDays(31))); // records of ended migrations are kept 30 days
        for (String id : List.of("old-confirmed", "old-aborted", "old-finished", "old-performed")) {
            Files.setLastModifiedTime(migrations.resolve(id + ".xml"), longAgo);
        }

        AtomicLong clock = new AtomicLong(System.currentTimeMillis());
        FileJournal restarted = new FileJournal(state, AtomicFiles.FSYNC, clock::get, clock::get);
        assertEquals(List.of(stuck), restarted.unfinished());
        assertEquals("a committed arrival stays: its source may ask its fate whenever it comes back",
                List.of("old-finished.xml", "old-performed.xml", "recent.xml"), names(migrations));

        // a daemon that runs for months: a migration that ends removes what ended long before it, an hour after the last look
        Files.setLastModifiedTime(migrations.resolve("recent.xml"), longAgo);
        restarted.record(new Journal.Entry("newer", Journal.Role.SOURCE, Step.ABORTED, "vm", uuid, null, LIVE, key, null, true));
        assertEquals("within the hour of the start's look, not listed again",
                List.of("newer.xml", "old-finished.xml", "old-performed.xml", "recent.xml"), names(migrations));
        clock.addAndGet(FileJournal.CLEAN_UP_EVERY.toMillis());
        restarted.record(new Journal.Entry("newest", Journal.Role.SOURCE, Step.ABORTED, "vm", uuid, null, LIVE, key, null, true));
        assertEquals(List.of("newer.xml", "newest.xml", "old-finished.xml", "old-performed.xml"), names(migrations));
        assertEquals(Step.PERFORMED, restarted.find("old-performed").orElseThrow().step());
    }

    /**
     * A record is the same in every locale: in a Turkish one "destination" upper-cased to "DESTİNATİON", so a daemon
     * started there set aside as damaged the records written in another (a committed arrival's too), and wrote
     * "commıtted" itself. What an earlier build wrote there reads back.
     */
    @Test
    public void aRecordIsTheSameInATurkishLocale() throws Exception {
        Path state = TestDirectories.create("journal");
        Path file = state.resolve("migrations").resolve("m-1.xml");
        Journal.Entry arrival = new Journal.Entry("m-1", Journal.Role.DESTINATION, Step.COMMITTED, "vm",
                UUID.randomUUID(), null, LIVE, "c".repeat(64), "8", false, null, List.of("/disks/a.img"));
        new FileJournal(state).record(arrival);
        String written = Files.readString(file);
        Locale before = Locale.getDefault();
        Locale.setDefault(Locale.forLanguageTag("tr-TR"));
        try {
            assertEquals("what a daemon in another locale wrote", arrival,
                    new FileJournal(state).find("m-1").orElseThrow());
            new FileJournal(state).record(arrival);
            assertEquals(written, Files.readString(file));
        } finally {
            Locale.setDefault(before);
        }
        String earlierInTurkish = written.replace("'destination'", "'dest\u0131nat\u0131on'")
                .replace("'committed'", "'comm\u0131tted'");
        assertTrue(earlierInTurkish.contains("'comm\u0131tted'"));
        Files.writeString(file, earlierInTurkish);
        assertEquals(arrival, new FileJournal(state).find("m-1").orElseThrow());
    }

    /**
     * The wall clock stepped forward while the daemon ran ({@code date -s} with a wrong year, a host resumed after a
     * long suspend): judged by it, the record of an arrival aborted minutes before looked over 30 days old and went at
     * the next migration's end; its source, told "unknown", took the leases back with its own released state, which the
     * lock manager refused (the destination's Finish had moved them on), and kept its guest paused. Records are not
     * judged by a wall clock that moved against the monotonic one since the start; both moving 31 days, they are.
     */
    @Test
    public void aWallClockSteppedForwardRemovesNoRecordButTimeThatPassedDoes() throws Exception {
        for (boolean stepped : List.of(true, false)) {
            Path state = TestDirectories.create("journal");
            AtomicLong wall = new AtomicLong(System.currentTimeMillis());
            AtomicLong monotonic = new AtomicLong();
            FileJournal journal = new FileJournal(state, AtomicFiles.FSYNC, wall::get, monotonic::get);
            Journal.Entry aborted = entry(Journal.Role.DESTINATION, Step.ABORTED).withLeaseState("released-state");
            journal.record(aborted);
            long monthLater = Duration.ofDays(31).toMillis();
            wall.addAndGet(monthLater);
            monotonic.addAndGet(stepped ? FileJournal.CLEAN_UP_EVERY.toMillis() : monthLater);
            journal.record(ended("m-2", Step.FINISHED));

            assertEquals(stepped ? Optional.of(aborted) : Optional.empty(), journal.find("m-1"));
            assertTrue(journal.find("m-2").isPresent());
        }
    }

    /**
     * A host that booted with its clock behind (a bad RTC, until chrony stepped it) dated the records it wrote then in
     * the past; once the clock was right, the next start removed them as long ended. A record is dated no earlier than
     * the newest the journal holds, and one dated in the future of the clock is never removed.
     */
    @Test
    public void aRecordWrittenWhileTheClockWasBehindIsDatedNoEarlierThanTheNewestBeforeIt() throws Exception {
        Path state = TestDirectories.create("journal");
        long behind = System.currentTimeMillis(); // the test's own clock plays the host's clock at boot
        long right = behind + Duration.ofDays(365).toMillis();
        new FileJournal(state).record(ended("m-0", Step.ABORTED));
        Path before = state.resolve("migrations").resolve("m-0.xml");
        Files.setLastModifiedTime(before, FileTime.fromMillis(right - Duration.ofDays(1).toMillis()));

        FileJournal booted = new FileJournal(state, AtomicFiles.FSYNC, () -> behind, JournalTest::monotonic);
        booted.unfinished();
        Journal.Entry aborted = entry(Journal.Role.DESTINATION, Step.ABORTED).withLeaseState("released-state");
        booted.record(aborted);
        assertTrue("in the future of the clock: kept", Files.exists(before));

        FileJournal restarted = new FileJournal(state, AtomicFiles.FSYNC, () -> right, JournalTest::monotonic);
        restarted.unfinished();
        assertEquals(aborted, restarted.find("m-1").orElseThrow());
        assertTrue(restarted.find("m-0").isPresent());
    }

    private static Journal.Entry ended(String id, Step step) {
        return new Journal.Entry(id, Journal.Role.DESTINATION, step, "vm", UUID.randomUUID(), null, LIVE,
                "b".repeat(64), null, false);
    }

    private static long monotonic() {
        return System.nanoTime() / 1_000_000;
    }

    /** The records in the journal's directory, beside its identity. */
    private static List<String> names(Path directory) throws Exception {
        try (var files = Files.list(directory)) {
            return files.map(file -> file.getFileName().toString()).filter(name -> !name.equals(FileJournal.KEY_FILE))
                    .sorted().toList();
        }
    }
}
