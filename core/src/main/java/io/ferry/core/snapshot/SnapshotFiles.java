package io.ferry.core.snapshot;

import io.ferry.api.snapshot.SnapshotStore;
import io.ferry.core.daemon.AtomicFiles;
import io.ferry.core.daemon.Daemon;
import io.ferry.core.daemon.MigrationIds;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.WeakHashMap;
import java.util.stream.Stream;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * Snapshot metadata in the state directory, per domain {@code snapshots/UUID/}: {@code local.log} for the
 * snapshots made on this host and the current mark ({@link SnapshotLog}), {@code migrated-ID.pack} for the
 * hierarchy each migration brought ({@link SnapshotPack}), and, from before the log, {@code NAME.xml} per snapshot
 * and {@code current}, still read. A migration's snapshots wait in {@code snapshots/.staging/ID/} and are committed
 * as one pack file: one rename and one sync however many there are, and all or nothing. What the store needs to
 * refuse a name twice or say which snapshot is current (names and the mark, not the XML) it keeps in memory per
 * domain once read, so a snapshot-create-as reads nothing and syncs once, whatever the number of snapshots.
 */
@Component(service = {SnapshotStore.class, SnapshotFiles.class})
public class SnapshotFiles implements SnapshotStore {
    private static final String CURRENT = "current";
    private static final String DOMAIN = "domain";
    private static final String PACK = "snapshots.pack";
    private static final String PACK_PREFIX = "migrated-";
    private static final String PACK_SUFFIX = ".pack";

    private final Path root;
    private final SnapshotReader reader;
    private final Sync sync;
    /**
     * What {@link #read} returned, by value, while its caller holds it: {@link #stage} does not parse those again
     * (a record is equal only to one with the same name, parent and XML, so a snapshot that names itself other than
     * its XML does is still read and refused).
     */
    private final Set<Snapshot> readHere = Collections.synchronizedSet(Collections.newSetFromMap(new WeakHashMap<>()));
    /** Per domain: the snapshot names, the current mark and the log's sound length, as read once. */
    private final Map<UUID, Names> names = new HashMap<>();
    /**
     * The latest migrations whose staging was discarded: a section call that outlived its time limit may stage after
     * its migration failed and was cleaned up, which would leave a pack no commit ever takes. Ids are never reused.
     */
    private final Set<String> discarded = Collections.newSetFromMap(new LinkedHashMap<>(16, 0.75f, false) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
            return size() > 4096;
        }
    });

    /**
     * By domain, the migration whose commit failed (a full disk): committed past its commit point, its snapshots come
     * before any change made here, which would otherwise take a name, or the current mark, from under them.
     */
    private final Map<UUID, String> committing = new HashMap<>();

    private static final class Names {
        final Set<String> all = new HashSet<>();
        String current;
        long logBytes;
    }

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
        this.root = AtomicFiles.createDirectories(stateDir.resolve("snapshots"), sync::force);
        this.reader = new SnapshotReader(cookieMaxBytes, cookieMaxDepth);
        this.sync = sync;
    }

    /** Not synchronized: migrations read their snapshots at once, each parse on its own. */
    @Override
    public Snapshot read(String xml) throws IOException {
        Snapshot snapshot = reader.read(xml);
        readHere.add(snapshot);
        return snapshot;
    }

    @Override
    public synchronized List<Snapshot> list(UUID domain) throws IOException {
        Path dir = root.resolve(domain.toString());
        Map<String, Snapshot> byName = new HashMap<>();
        if (Files.isDirectory(dir)) {
            try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*.xml")) {
                for (Path file : files) {
                    put(byName, reader.readBack(readUtf8(file), file.toString()));
                }
            }
            for (Path pack : packs(dir)) {
                for (Snapshot snapshot : SnapshotPack.read(Files.readAllBytes(pack), pack, reader::readBack)) {
                    put(byName, snapshot);
                }
            }
            for (Snapshot snapshot : SnapshotLog.read(dir.resolve(SnapshotLog.FILE)).snapshots()) {
                put(byName, snapshot);
            }
        }
        List<Snapshot> ordered = new ArrayList<>(byName.size());
        Set<String> added = new HashSet<>();
        for (Snapshot snapshot : byName.values().stream().sorted(Comparator.comparing(Snapshot::name)).toList()) {
            addParentFirst(snapshot, byName, added, ordered);
        }
        return ordered;
    }

    @Override
    public synchronized Optional<String> current(UUID domain) throws IOException {
        return Optional.ofNullable(names(domain).current);
    }

    /**
     * Adds a snapshot ({@code snapshot-create-as}); it becomes the current one. All or nothing: a snapshot this
     * store could not read back is refused, and the snapshot and its mark are one append, one sync.
     */
    public synchronized void add(UUID domain, Snapshot snapshot) throws IOException {
        SnapshotReader.requireName(snapshot.name());
        commitFirst(domain);
        Names known = names(domain);
        if (known.all.contains(snapshot.name())) {
            throw new IOException("domain snapshot '" + snapshot.name() + "' already exists");
        }
        reader.readBack(snapshot.xml(), "snapshot '" + snapshot.name() + "'");
        known.logBytes = append(domain, known, snapshot, snapshot.name());
        known.all.add(snapshot.name());
        known.current = snapshot.name();
    }

    /** How many snapshots the domain has here. */
    public synchronized int count(UUID domain) throws IOException {
        return names(domain).all.size();
    }

    /** Removes the domain's snapshots ({@code undefine --snapshots-metadata}), durably. */
    public synchronized void forget(UUID domain) throws IOException {
        Path dir = root.resolve(domain.toString());
        names.remove(domain);
        if (Files.exists(dir)) {
            delete(dir);
            sync.force(root);
        }
    }

    /** Makes an existing snapshot the current one ({@code snapshot-current NAME SNAP}). */
    public synchronized void setCurrent(UUID domain, String name) throws IOException {
        SnapshotReader.requireName(name);
        commitFirst(domain);
        Names known = names(domain);
        if (!known.all.contains(name)) {
            throw new IOException("Domain snapshot not found: no domain snapshot with matching name '" + name + "'");
        }
        known.logBytes = append(domain, known, null, name);
        known.current = name;
    }

    private void commitFirst(UUID domain) throws IOException {
        String pending = committing.get(domain);
        if (pending == null) {
            return;
        }
        try {
            commit(pending);
        } catch (IOException e) {
            throw new IOException("the snapshots migration " + pending + " brought are not committed yet, and come first: "
                    + e.getMessage(), e);
        }
    }

    /** Appends to the domain's log; returns its new sound length. Forgets what it knew on failure: the log is read anew. */
    private long append(UUID domain, Names known, Snapshot snapshot, String current) throws IOException {
        Path dir = domainDirectory(domain);
        try {
            SnapshotLog.append(dir.resolve(SnapshotLog.FILE), known.logBytes, snapshot, current);
            return Files.size(dir.resolve(SnapshotLog.FILE));
        } catch (IOException e) {
            names.remove(domain);
            throw e;
        }
    }

    /**
     * Checks each snapshot reads back here, under this host's limits, and names itself and its parent as the
     * caller says (the caller checked the hierarchy by those names): read again unless {@link #read} gave it.
     */
    @Override
    public synchronized void stage(String migrationId, UUID domain, List<Snapshot> snapshots, String current) throws IOException {
        Path dir = staging(migrationId);
        if (discarded.contains(migrationId)) {
            throw new IOException("migration " + migrationId + " has ended and its staging was discarded: its snapshots are not staged");
        }
        for (Snapshot snapshot : snapshots) {
            if (!readHere.contains(snapshot)) { // what a peer sends must read back here, under this host's limits
                reader.requireAsClaimed(snapshot, "snapshot '" + snapshot.name() + "' of migration " + migrationId);
            }
        }
        requireNoneUnlikeHere(migrationId, domain, snapshots);
        delete(dir);
        Files.createDirectories(dir);
        // synced, files then directories: the destination's commit point comes before the snapshots' commit, and a
        // power cut between them must find the staging whole (staged at Prepare: the guest's downtime does not wait)
        writeSynced(dir.resolve(PACK), SnapshotPack.write(snapshots));
        writeSynced(dir.resolve(DOMAIN), domain.toString().getBytes(StandardCharsets.UTF_8));
        if (current != null) {
            writeSynced(dir.resolve(CURRENT), current.getBytes(StandardCharsets.UTF_8));
        }
        sync.force(dir);
        sync.force(dir.getParent());
        sync.force(root); // which holds .staging, new at a host's first staging
    }

    /**
     * Refuses a snapshot that has a name this host's snapshots of the domain have, but is not that snapshot (made on
     * each host while the domain was defined on both): listed by one name, one of them would be lost. The same
     * snapshot coming back is none. What is here is read only when a name is shared.
     */
    private void requireNoneUnlikeHere(String migrationId, UUID domain, List<Snapshot> arriving) throws IOException {
        Set<String> here = names(domain).all;
        if (arriving.stream().noneMatch(s -> here.contains(s.name()))) {
            return;
        }
        Map<String, Snapshot> byName = new HashMap<>();
        list(domain).forEach(s -> byName.put(s.name(), s));
        for (Snapshot snapshot : arriving) {
            Snapshot mine = byName.get(snapshot.name());
            if (mine != null && !mine.equals(snapshot)) {
                throw new IOException("domain snapshot '" + snapshot.name() + "' that migration " + migrationId + " brings is"
                        + " not the snapshot '" + snapshot.name() + "' this host has of the domain: committing it would lose one of them");
            }
        }
    }

    private void writeSynced(Path file, byte[] content) throws IOException {
        Files.write(file, content);
        sync.force(file);
    }

    /**
     * Moves the staged pack into place (synced, then renamed, the directory synced), drops the domain's older packs
     * it supersedes and marks its current snapshot. Safe to repeat after a crash (recovery does). Nothing staged
     * (a migration without snapshots) commits nothing; a staging with a file missing or cut short fails, naming
     * what, and commits nothing of it.
     */
    @Override
    public synchronized void commit(String migrationId) throws IOException {
        Path dir = staging(migrationId);
        if (!Files.exists(dir.resolve(DOMAIN)) && isEmptyOrAbsent(dir)) {
            delete(dir); // nothing staged, or a commit cut after it deleted the domain file, its last: done
            return;
        }
        UUID domain = stagedDomain(migrationId, dir);
        committing.put(domain, migrationId); // until it is done
        String current = stagedCurrent(migrationId, dir);
        Path target = domainDirectory(domain);
        Path pack = target.resolve(PACK_PREFIX + migrationId + PACK_SUFFIX);
        List<String> arrived = null;
        if (Files.exists(dir.resolve(PACK))) { // else moved before a crash
            arrived = requireWhole(migrationId, dir.resolve(PACK)); // synced when staged
            Files.move(dir.resolve(PACK), pack, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            sync.force(target);
        } else if (!Files.exists(pack)) {
            throw incomplete(migrationId, dir.resolve(PACK) + " is missing");
        }
        dropSupersededPacks(target, pack, arrived);
        names.remove(domain); // read anew, the pack's names with it
        if (current != null) {
            Names known = names(domain);
            known.logBytes = append(domain, known, null, current);
            known.current = current;
        }
        Files.deleteIfExists(dir.resolve(CURRENT));
        Files.deleteIfExists(dir.resolve(DOMAIN)); // the last of the files: a repeat finds it, or nothing left to do
        delete(dir);
        committing.remove(domain, migrationId);
    }

    /**
     * The domain's directory, made if it is new, and then its name synced into the store: what is synced inside it
     * (a first snapshot's log, a first arrival's pack) would not outlive a power cut that took the directory's name.
     */
    private Path domainDirectory(UUID domain) throws IOException {
        Path dir = root.resolve(domain.toString());
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir);
            sync.force(root);
        }
        return dir;
    }

    private static UUID stagedDomain(String migrationId, Path dir) throws IOException {
        Path file = dir.resolve(DOMAIN);
        if (!Files.exists(file)) {
            throw incomplete(migrationId, file + " is missing");
        }
        String text = Files.readString(file, StandardCharsets.UTF_8).trim();
        try {
            return UUID.fromString(text);
        } catch (IllegalArgumentException e) {
            throw incomplete(migrationId, file + " names no domain ('" + text + "')");
        }
    }

    /** The staged current snapshot's name; null when none was staged (or a repeated commit marked it already). */
    private static String stagedCurrent(String migrationId, Path dir) throws IOException {
        Path file = dir.resolve(CURRENT);
        if (!Files.exists(file)) {
            return null;
        }
        String current = Files.readString(file, StandardCharsets.UTF_8).trim();
        if (current.isEmpty()) {
            throw incomplete(migrationId, file + " is empty");
        }
        return current;
    }

    /** The staged pack's names, its CRC checked: a pack cut short would commit part of a hierarchy. */
    private List<String> requireWhole(String migrationId, Path staged) throws IOException {
        try {
            return SnapshotPack.names(Files.readAllBytes(staged), staged, reader::readBack);
        } catch (IOException e) {
            throw incomplete(migrationId, e.getMessage());
        }
    }

    private static IOException incomplete(String migrationId, String what) {
        return new IOException("the staged snapshots of migration " + migrationId + " are incomplete, none of them is"
                + " committed: " + what);
    }

    private static boolean isEmptyOrAbsent(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return true;
        }
        try (Stream<Path> entries = Files.list(dir)) {
            return entries.findAny().isEmpty();
        }
    }

    /**
     * Deletes the domain's older packs whose every snapshot {@code newest} holds too (the source's hierarchy as it is
     * now): a VM migrating back and forth would otherwise leave a pack on a host at each arrival, each read again to
     * list. Called once {@code newest} is durable; a pack that cannot be read is left as it is.
     *
     * @param newestNames the names in {@code newest} if read already, else null
     */
    private void dropSupersededPacks(Path dir, Path newest, List<String> newestNames) throws IOException {
        List<Path> older = packs(dir).stream().filter(pack -> !pack.equals(newest)).toList();
        if (older.isEmpty()) { // a first arrival: nothing to read
            return;
        }
        Set<String> arrived = new HashSet<>(newestNames != null ? newestNames
                : SnapshotPack.names(Files.readAllBytes(newest), newest, reader::readBack));
        boolean dropped = false;
        for (Path pack : older) {
            try {
                if (arrived.containsAll(SnapshotPack.names(Files.readAllBytes(pack), pack, reader::readBack))) {
                    Files.delete(pack);
                    dropped = true;
                }
            } catch (IOException e) {
                // a damaged pack is listed as an error, as before; nothing of it is lost here
            }
        }
        if (dropped) {
            syncDirectory(dir);
        }
    }

    private static void syncDirectory(Path dir) {
        try (FileChannel directory = FileChannel.open(dir, StandardOpenOption.READ)) {
            directory.force(true);
        } catch (IOException e) {
            // some file systems cannot sync a directory; a rename or a delete is atomic all the same
        }
    }

    private static void fsync(Path path) throws IOException {
        if (Files.isDirectory(path)) {
            syncDirectory(path);
        } else {
            try (FileChannel file = FileChannel.open(path, StandardOpenOption.WRITE)) {
                file.force(true);
            }
        }
    }

    @Override
    public synchronized void discard(String migrationId) throws IOException {
        Path dir = staging(migrationId);
        discarded.add(migrationId);
        committing.values().remove(migrationId);
        delete(dir);
    }

    @Override
    public synchronized List<String> staged() throws IOException {
        Path stagings = root.resolve(".staging");
        if (!Files.isDirectory(stagings)) {
            return List.of();
        }
        try (Stream<Path> dirs = Files.list(stagings)) {
            return dirs.map(dir -> dir.getFileName().toString()).filter(MigrationIds::isValid).sorted().toList();
        }
    }

    private Path staging(String migrationId) {
        if (!MigrationIds.isValid(migrationId)) {
            throw new IllegalArgumentException("invalid migration id " + migrationId);
        }
        return root.resolve(".staging").resolve(migrationId);
    }

    /** The domain's names and current mark, read once: file names, pack headers and the log, no XML parsed but old packs'. */
    private Names names(UUID domain) throws IOException {
        Names cached = names.get(domain);
        if (cached != null) {
            return cached;
        }
        Names known = new Names();
        Path dir = root.resolve(domain.toString());
        if (Files.isDirectory(dir)) {
            try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*.xml")) {
                for (Path file : files) {
                    String name = file.getFileName().toString();
                    known.all.add(name.substring(0, name.length() - ".xml".length()));
                }
            }
            for (Path pack : packs(dir)) {
                known.all.addAll(SnapshotPack.names(Files.readAllBytes(pack), pack, reader::readBack));
            }
            SnapshotLog.Contents log = SnapshotLog.read(dir.resolve(SnapshotLog.FILE));
            log.snapshots().forEach(s -> known.all.add(s.name()));
            known.logBytes = log.soundBytes();
            Path legacy = dir.resolve(CURRENT);
            known.current = log.current() != null ? log.current()
                    : Files.exists(legacy) ? Files.readString(legacy, StandardCharsets.UTF_8).trim() : null;
        }
        names.put(domain, known);
        return known;
    }

    private static List<Path> packs(Path dir) throws IOException {
        List<Path> packs = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, PACK_PREFIX + "*" + PACK_SUFFIX)) {
            files.forEach(packs::add);
        }
        return packs;
    }

    private static void put(Map<String, Snapshot> byName, Snapshot snapshot) {
        byName.put(snapshot.name(), snapshot);
    }

    private static String readUtf8(Path file) throws IOException {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new IOException(file + " is not UTF-8 text", e);
        }
    }

    /** Adds the not yet added ancestors of {@code snapshot}, root first, then it; iterative: chains can be 10,000 deep. */
    private static void addParentFirst(Snapshot snapshot, Map<String, Snapshot> byName, Set<String> added, List<Snapshot> ordered) {
        Deque<Snapshot> lineage = new ArrayDeque<>();
        Set<String> seen = new HashSet<>(); // a cycle (a damaged store) ends the walk
        for (Snapshot s = snapshot; s != null && !added.contains(s.name()) && seen.add(s.name());
                s = s.parent() == null ? null : byName.get(s.parent())) {
            lineage.push(s);
        }
        while (!lineage.isEmpty()) {
            Snapshot s = lineage.pop();
            added.add(s.name());
            ordered.add(s);
        }
    }

    private static void delete(Path dir) throws IOException {
        if (Files.exists(dir)) {
            try (Stream<Path> paths = Files.walk(dir)) {
                for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(path);
                }
            }
        }
    }
}
