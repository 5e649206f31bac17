package io.ferry.core.snapshot;

import io.ferry.api.snapshot.SnapshotStore;
import io.ferry.core.daemon.AtomicFiles;
import io.ferry.core.daemon.Daemon;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.WeakHashMap;
import java.util.function.Function;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Snapshot metadata in the state directory, per domain {@code snapshots/UUID/}: {@code local.log} for the
 * snapshots made on this host and the current mark ({@link SnapshotLog}), {@code migrated-ID.pack} for the
 * hierarchy each migration brought ({@link SnapshotPack}), and, from before the log, {@code NAME.xml} per snapshot
 * and {@code current}, still read. A migration's snapshots wait in {@code snapshots/.staging/ID/} and are committed
 * as one pack file: one rename and one sync however many there are, and all or nothing. What the store needs to
 * refuse a name twice or say which snapshot is current (names and the mark, not the XML) it keeps in memory per
 * domain once read, so a snapshot-create-as reads nothing and syncs once, whatever the number of snapshots.
 * This class is the service and its lock: {@link SnapshotDomains} reads and appends to the domains' directories,
 * {@link SnapshotStaging} stages, commits and discards what migrations bring.
 */
@Component(service = {SnapshotStore.class, SnapshotFiles.class})
public class SnapshotFiles implements SnapshotStore {
    private static final Logger LOG = LoggerFactory.getLogger(SnapshotFiles.class);

    private final SnapshotReader reader;
    /**
     * What {@link #read} returned, by value, while its caller holds it, with the UUID text of the definition it holds:
     * {@link #stage} does not parse those again (a record is equal only to one with the same name, parent and XML, so
     * a snapshot that names itself other than its XML does is still read and refused).
     */
    private final Map<Snapshot, Optional<String>> readHere = Collections.synchronizedMap(new WeakHashMap<>());
    private final SnapshotDomains domains;
    private final SnapshotStaging staging;

    /** Makes a file's content, or a directory's entries, durable: fsync (a test sees what is synced, and when). */
    interface Sync {
        void force(Path path) throws IOException;
    }

    @Activate
    public SnapshotFiles(@Reference Daemon daemon) throws IOException {
        this(daemon.settings().stateDir(), daemon.settings().cookieMaxBytes(), daemon.settings().cookieMaxDepth());
    }

    /** A store in {@code stateDir}, reading snapshots of definitions within these cookie limits (tools and benchmarks). */
    public SnapshotFiles(Path stateDir, int cookieMaxBytes, int cookieMaxDepth) throws IOException {
        this(stateDir, cookieMaxBytes, cookieMaxDepth, SnapshotFiles::fsync);
    }

    SnapshotFiles(Path stateDir, int cookieMaxBytes, int cookieMaxDepth, Sync sync) throws IOException {
        Path root = AtomicFiles.createDirectories(stateDir.resolve("snapshots"), sync::force);
        this.reader = new SnapshotReader(cookieMaxBytes, cookieMaxDepth);
        this.domains = new SnapshotDomains(root, reader, sync);
        this.staging = new SnapshotStaging(root, reader, sync, domains, readHere);
    }

    /** Not synchronized: migrations read their snapshots at once, each parse on its own. */
    @Override
    public Snapshot read(String xml) throws IOException {
        SnapshotReader.Read read = reader.readIncoming(xml);
        readHere.put(read.snapshot(), read.domainUuid());
        return read.snapshot();
    }

    /** Those an arrival could not commit yet (a full disk) committed first if they can be, else without them. */
    @Override
    public synchronized List<Snapshot> list(UUID domain) throws IOException {
        tryCommitFirst(domain);
        return domains.list(domain);
    }

    /** As {@link #list}, the arrival's current mark first. */
    @Override
    public synchronized Optional<String> current(UUID domain) throws IOException {
        tryCommitFirst(domain);
        return Optional.ofNullable(domains.names(domain).current);
    }

    private void tryCommitFirst(UUID domain) {
        try {
            staging.commitFirst(domain);
        } catch (IOException e) {
            LOG.warn("the snapshots of domain {} are read without those an arrival brought: {}", domain,
                    e.getMessage());
        }
    }

    /**
     * Adds a snapshot ({@code snapshot-create-as}); it becomes the current one. All or nothing: a snapshot this
     * store could not read back is refused, and the snapshot and its mark are one append, one sync.
     */
    public synchronized void add(UUID domain, Snapshot snapshot) throws IOException {
        add(domain, snapshot.name(), parent -> snapshot);
    }

    /**
     * As {@link #add(UUID, Snapshot)}, the snapshot {@code name} made by {@code child} from its parent, the current one
     * (none for a domain's first), read once the snapshots an arrival could not commit yet are: the current one may be
     * theirs.
     */
    public synchronized void add(UUID domain, String name, Function<Optional<String>, Snapshot> child)
            throws IOException {
        SnapshotReader.requireName(name);
        staging.commitFirst(domain);
        SnapshotDomains.Names known = domains.names(domain);
        if (known.all.contains(name)) {
            throw new IOException("domain snapshot '" + name + "' already exists");
        }
        Snapshot snapshot = child.apply(Optional.ofNullable(known.current));
        if (!snapshot.name().equals(name)) {
            throw new IllegalArgumentException("snapshot '" + snapshot.name() + "' made for '" + name + "'");
        }
        reader.readBack(snapshot.xml(), "snapshot '" + snapshot.name() + "'");
        known.logBytes = domains.append(domain, known, snapshot, snapshot.name());
        known.all.add(snapshot.name());
        known.current = snapshot.name();
    }

    /**
     * How many snapshots the domain has here, those an arrival could not commit yet (a full disk) committed first: they
     * are the domain's too. Fails, naming the migration, while they cannot be.
     */
    public synchronized int count(UUID domain) throws IOException {
        staging.commitFirst(domain);
        return domains.names(domain).all.size();
    }

    /**
     * Removes the domain's snapshots ({@code undefine --snapshots-metadata}, a domain that left this host), durably,
     * with those an arrival could not commit yet.
     */
    @Override
    public synchronized void forget(UUID domain) throws IOException {
        staging.discardPendingOf(domain);
        domains.forget(domain);
    }

    /** Makes an existing snapshot the current one ({@code snapshot-current NAME SNAP}). */
    public synchronized void setCurrent(UUID domain, String name) throws IOException {
        SnapshotReader.requireName(name);
        staging.commitFirst(domain);
        SnapshotDomains.Names known = domains.names(domain);
        if (!known.all.contains(name)) {
            throw new IOException("Domain snapshot not found: no domain snapshot with matching name '" + name + "'");
        }
        known.logBytes = domains.append(domain, known, null, name);
        known.current = name;
    }

    /**
     * Checks each snapshot reads back here, under this host's limits, and names itself and its parent as the
     * caller says (the caller checked the hierarchy by those names): read again unless {@link #read} gave it.
     */
    @Override
    public synchronized void stage(String migrationId, UUID domain, List<Snapshot> snapshots, String current) throws IOException {
        staging.stage(migrationId, domain, snapshots, current);
    }

    /**
     * Moves the staged pack into place (synced, then renamed, the directory synced), drops the domain's older packs
     * it supersedes and marks its current snapshot. Safe to repeat after a crash (recovery does). Nothing staged
     * (a migration without snapshots) commits nothing; a staging with a file missing or cut short fails, naming
     * what, and commits nothing of it.
     */
    @Override
    public synchronized void commit(String migrationId) throws IOException {
        staging.commit(migrationId);
    }

    @Override
    public synchronized void discard(String migrationId) throws IOException {
        staging.discard(migrationId);
    }

    /** How many domains' names are kept in memory: what a long-running daemon holds. */
    synchronized int domainsKnown() {
        return domains.known();
    }

    @Override
    public synchronized List<String> staged() throws IOException {
        return staging.staged();
    }

    private static void fsync(Path path) throws IOException {
        if (Files.isDirectory(path)) {
            AtomicFiles.syncDirectory(path);
        } else {
            try (FileChannel file = FileChannel.open(path, StandardOpenOption.WRITE)) {
                file.force(true);
            }
        }
    }
}
