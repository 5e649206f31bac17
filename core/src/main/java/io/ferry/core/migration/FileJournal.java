package io.ferry.core.migration;

import io.ferry.core.daemon.AtomicFiles;
import io.ferry.core.daemon.MigrationIds;
import io.ferry.protocol.ChannelException;
import io.ferry.protocol.Xml;
import io.ferry.protocol.xml.HardenedXmlParser;
import io.ferry.protocol.xml.XmlException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The journal in the state directory: one file per migration in {@code migrations/}, rewritten atomically
 * with each step; the commit point is written durably, the other steps survive the daemon's crash (see {@link
 * AtomicFiles}). The directory is the daemon's own ({@code rwx------}): entries hold the migrations' keys.
 */
public final class FileJournal implements Journal {
    private static final Logger LOG = LoggerFactory.getLogger(FileJournal.class);
    /**
     * How long the record of an ended migration stays: a source that settles late (its daemon was down, the network
     * split) still learns its fate; without a limit a host that migrates daily keeps every record for good.
     */
    static final Duration ENDED_RECORDS_KEPT = Duration.ofDays(30);
    /**
     * How often a migration's end looks for long-ended records: the look lists the whole directory, and committed
     * arrivals' records stay for good, so at every end it would cost a migration more with each one a host ever had.
     */
    static final Duration CLEAN_UP_EVERY = Duration.ofHours(1);
    /**
     * The most aborted arrivals of one peer daemon (by its certificate subject) whose records are kept, the oldest removed
     * first: each of a peer's Prepares, aborted, left a record for {@link #ENDED_RECORDS_KEPT}, so a peer that prepared
     * and aborted in a loop filled the state directory at its own rate, until no migration of any host could be recorded
     * here. Only aborted ones go: a removed one answers its source "unknown", which it takes for aborted, as it was. A
     * source that has not settled with this host while its own daemon prepared this many later ones is not expected.
     */
    static final int ABORTED_ARRIVALS_KEPT_PER_PEER = 2000;
    /** The key of the journal's {@link #identity}, beside its records. */
    static final String KEY_FILE = "journal-key";
    /**
     * The largest record written, and read back: a guest's leased disks are listed in its records (and their lease
     * state at the commit), so a guest of many disks makes a large one. A record is refused when written rather than
     * set aside as damaged when read, which left its migration unsettled for good (its source told "in progress").
     */
    static final int MAX_RECORD_BYTES = 1024 * 1024;

    private final Path directory;
    private final HardenedXmlParser parser = new HardenedXmlParser(MAX_RECORD_BYTES, 8);
    private final RecordDates dates;
    /** Syncs the directory of a record that must outlive a power cut (a test sees which). */
    private final AtomicFiles.DirectorySync sync;
    /** When a migration's end next looks for long-ended records (the monotonic clock's milliseconds). */
    private final AtomicLong nextCleanUp = new AtomicLong(Long.MIN_VALUE);
    private final JournalKey key;
    private final AbortedArrivals abortedArrivals;
    /** Reads a record's bytes (a test has a read fail, as a disk's error or a full file table does). */
    volatile RecordReader reader = Files::readAllBytes;

    @FunctionalInterface
    interface RecordReader {
        byte[] read(Path file) throws IOException;
    }

    public FileJournal(Path stateDir) throws IOException {
        this(stateDir, AtomicFiles.FSYNC, System::currentTimeMillis, () -> System.nanoTime() / 1_000_000);
    }

    /**
     * @param sync syncs a new journal directory into the state directory: the commit point is written in it
     * @param clock the wall clock, in milliseconds
     * @param monotonic a clock no step moves, in milliseconds
     */
    FileJournal(Path stateDir, AtomicFiles.DirectorySync sync, LongSupplier clock, LongSupplier monotonic)
            throws IOException {
        this.sync = sync;
        this.directory = AtomicFiles.createDirectories(stateDir.resolve("migrations"), sync);
        try {
            Files.setPosixFilePermissions(directory, PosixFilePermissions.fromString("rwx------"));
        } catch (UnsupportedOperationException e) {
            // not a POSIX file system: its own access rules apply
        }
        this.key = JournalKey.load(directory.resolve(KEY_FILE));
        this.dates = new RecordDates(directory, clock, monotonic);
        this.abortedArrivals = new AbortedArrivals(directory, ABORTED_ARRIVALS_KEPT_PER_PEER, this::parse);
    }

    @Override
    public String identity(String migrationId) {
        return key.identity(migrationId);
    }

    @Override
    public void record(Entry entry) throws IOException {
        write(file(entry.id()), entry);
        dates.dated(file(entry.id()));
        LOG.info("journal: {} {} of {} at {}", Xml.keyword(entry.role()), entry.id(), entry.domain(),
                entry.step().display());
        if (AbortedArrivals.counted(entry)) {
            abortedArrivals.recorded(entry);
        }
        long now = dates.monotonicMillis();
        long due = nextCleanUp.get();
        if (entry.step().isFinal() && now >= due && nextCleanUp.compareAndSet(due, now + CLEAN_UP_EVERY.toMillis())) {
            removeLongEnded(); // a file's date per record, and parsing only the old ones
        }
    }

    private void write(Path file, Entry entry) throws IOException {
        byte[] bytes = JournalRecordXml.write(entry).getBytes(StandardCharsets.UTF_8);
        if (bytes.length > MAX_RECORD_BYTES) {
            throw new IOException("the journal record of migration " + entry.id() + " at " + entry.step().display()
                    + " would be " + bytes.length + " bytes (its guest has " + entry.disks().size() + " leased disks),"
                    + " over the " + MAX_RECORD_BYTES + " this daemon reads back: not recorded");
        }
        if (outlivesThePower(entry)) {
            AtomicFiles.write(file, bytes, sync);
        } else {
            // the other steps only matter while the VMs live, and they die with the host
            AtomicFiles.replace(file, bytes);
        }
    }

    /**
     * A record that the builds from 1daf737 until this one wrote with {@code paused} among its flags, rewritten with the
     * flag beside them ({@link JournalRecordXml#ARRIVES_PAUSED}), so that a daemon rolled back to a build before the flag reads it rather
     * than set it aside unsettled. Its date stays: it is when the migration ended, for {@link #removeLongEnded}.
     */
    private void rewriteForEarlierBuilds(Path file, Entry entry) {
        try {
            Xml record = Xml.of(parser.parse(reader.read(file), "migration journal").getDocumentElement());
            if (!JournalRecordXml.keepsPausedAmongFlags(record)) {
                return;
            }
            FileTime ended = Files.getLastModifiedTime(file);
            write(file, entry);
            Files.setLastModifiedTime(file, ended);
            LOG.info("journal: record of {} {} rewritten with its flag 'paused' where earlier builds read it",
                    Xml.keyword(entry.role()), entry.id());
        } catch (IOException | XmlException e) {
            LOG.warn("cannot rewrite migration journal {} with its flag 'paused' where earlier builds read it: {}", file,
                    e.getMessage());
        }
    }

    /**
     * Removes the records of the migrations that ended more than {@link #ENDED_RECORDS_KEPT} ago, but for committed
     * arrivals ({@link Step#FINISHED}): a source asks a destination the fate of a migration it has not settled, however
     * late (its daemon down, its guest paused), and takes "unknown" for aborted, which would resume its copy of a
     * guest that runs here. Every other ended record answers as "unknown" does. None goes while the wall clock,
     * which dates them, stepped since the start ({@link RecordDates}).
     */
    private void removeLongEnded() {
        OptionalLong cutoff = dates.endedBefore(ENDED_RECORDS_KEPT);
        if (cutoff.isEmpty()) {
            return;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(directory, "*.xml")) {
            for (Path file : files) {
                removeIfLongEnded(file, cutoff.getAsLong());
            }
        } catch (IOException e) {
            LOG.warn("cannot list the migration journal {} for records of long-ended migrations: {}", directory,
                    AtomicFiles.reason(e));
        }
    }

    /** A record last written before {@code cutoffMillis} (its end, if it ended) of a migration that ended. */
    private void removeIfLongEnded(Path file, long cutoffMillis) {
        try {
            if (Files.getLastModifiedTime(file).toMillis() >= cutoffMillis) {
                return;
            }
            Entry entry = parse(file);
            if (entry.step().isFinal() && entry.step() != Step.FINISHED) {
                Files.delete(file);
                abortedArrivals.removed(entry);
                LOG.info("journal: record of {} {} of {}, {} more than {} days ago, removed", Xml.keyword(entry.role()),
                        entry.id(), entry.domain(), entry.step().display(), ENDED_RECORDS_KEPT.toDays());
            }
        } catch (IOException | XmlException | ChannelException | IllegalArgumentException e) {
            // unreadable or gone: a start sets an unreadable one aside, and it is not this pass's to judge
        }
    }

    /**
     * The commit point must outlive a power cut: the destination resumes the guest right after, and a source told
     * otherwise would resume its own older copy over disks the destination's guest wrote. So must the step written
     * over it (FINISHED): a rename whose data a power cut lost leaves an empty file, which reads as no record at all.
     * And so must a destination's PREPARED, on which its Finish takes the disk leases, durably: emptied, it was removed
     * at the next start, nothing gave back the leases the incoming VM (gone with the host) held, and the source, told
     * "unknown", presented the leases' released state, was refused and kept its guest paused for good. And so must the
     * ABORTED record written over that PREPARED one: it carries the state the abort released the leases with, which the
     * source presents to run its guest again; emptied, it was the same "unknown".
     */
    static boolean outlivesThePower(Entry entry) {
        Step step = entry.step();
        return step.isCommitted() || step == Step.PREPARED
                || step == Step.ABORTED && entry.role() == Journal.Role.DESTINATION;
    }

    @Override
    public Optional<Entry> find(String id) throws IOException {
        if (!MigrationIds.isValid(id)) {
            return Optional.empty();
        }
        Path file = file(id);
        try {
            return Optional.of(parse(file));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (XmlException | ChannelException | IllegalArgumentException e) {
            LOG.error("unreadable migration journal {}: {}", file, e.getMessage());
            return Optional.empty(); // damaged: what damaged(id) answers
        } catch (IOException e) {
            if (Files.notExists(file, LinkOption.NOFOLLOW_LINKS)) {
                return Optional.empty(); // a full file table fails the open before the path is looked up
            }
            throw new IOException("cannot read the journal record of migration " + id + ": " + AtomicFiles.reason(e),
                    e);
        }
    }

    /** No file, or one of nothing but NUL bytes (a file system may keep a renamed file's length and not its data). */
    @Override
    public boolean lost(String id) {
        if (!MigrationIds.isValid(id)) {
            return false;
        }
        if (Files.exists(setAside(file(id)))) {
            return false; // a damaged record: the operator's to judge
        }
        try {
            return blank(reader.read(file(id))); // otherwise a record, readable or damaged
        } catch (NoSuchFileException e) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    public boolean damaged(String id) {
        if (!MigrationIds.isValid(id)) {
            return false;
        }
        Path file = file(id);
        if (Files.exists(setAside(file))) {
            return true;
        }
        try {
            byte[] content = reader.read(file);
            if (blank(content)) {
                return false; // emptied by a power cut: written without a sync, never the commit point
            }
            parse(file);
            return false;
        } catch (NoSuchFileException e) {
            return false;
        } catch (IOException | XmlException | ChannelException | IllegalArgumentException e) {
            return true;
        }
    }

    private static boolean blank(byte[] content) {
        for (byte b : content) {
            if (b != 0) {
                return false;
            }
        }
        return true;
    }

    @Override
    public List<Entry> unfinished() throws IOException {
        nextCleanUp.set(dates.monotonicMillis() + CLEAN_UP_EVERY.toMillis());
        removeLongEnded();
        List<Entry> entries = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(directory, "*.xml")) {
            for (Path file : files) {
                try {
                    Entry entry = parse(file);
                    if (entry.flags().paused()) {
                        rewriteForEarlierBuilds(file, entry);
                    }
                    if (!entry.step().isFinal()) {
                        entries.add(entry);
                    }
                } catch (XmlException | ChannelException | IllegalArgumentException e) {
                    setAside(file, e.getMessage());
                } catch (IOException e) {
                    LOG.error("unreadable migration journal {}: {}", file, AtomicFiles.reason(e));
                }
            }
        }
        return entries;
    }

    /**
     * A record no start can read: one a power cut emptied goes (it was written without a sync, so no commit point);
     * a damaged one is reported once and kept for the operator under another name, not reported at every start.
     */
    private void setAside(Path file, String reason) {
        try {
            if (blank(reader.read(file))) {
                Files.delete(file);
                LOG.warn("migration journal {} was emptied by a power cut (a step recorded without a sync): removed", file);
            } else {
                Files.move(file, setAside(file));
                LOG.error("damaged migration journal {} ({}): its migration is not settled here; the record is kept as {}"
                        + " for the operator", file, reason, setAside(file));
            }
        } catch (IOException e) {
            LOG.error("unreadable migration journal {} ({}), and it cannot be set aside: {}", file, reason, AtomicFiles.reason(e));
        }
    }

    private static Path setAside(Path file) {
        return file.resolveSibling(file.getFileName() + ".damaged");
    }

    private Entry parse(Path file) throws IOException, XmlException, ChannelException {
        Xml x = Xml.of(parser.parse(reader.read(file), "migration journal").getDocumentElement());
        return JournalRecordXml.read(x, file);
    }

    private Path file(String id) {
        return directory.resolve(id + ".xml");
    }
}
