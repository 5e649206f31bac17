package io.ferry.core.snapshot;

import io.ferry.api.snapshot.SnapshotStore.Snapshot;
import io.ferry.core.daemon.FileTrees;
import io.ferry.core.daemon.LatestIds;
import io.ferry.core.daemon.MigrationIds;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * A migration's snapshots in {@code snapshots/.staging/ID/}: staged, then committed into the domain's directory as one
 * pack, or discarded. Not thread-safe: {@link SnapshotFiles} calls it under its lock.
 */
final class SnapshotStaging {
    private static final String CURRENT = SnapshotDomains.CURRENT;
    private static final String DOMAIN = "domain";
    private static final String PACK = "snapshots.pack";

    private final Path root;
    private final SnapshotReader reader;
    private final SnapshotFiles.Sync sync;
    private final SnapshotDomains domains;
    /** What {@link SnapshotFiles#read} returned, and the UUID text of its definition, kept by {@link SnapshotFiles}. */
    private final Map<Snapshot, Optional<String>> readHere;
    /**
     * The latest migrations whose staging was discarded: a section call that outlived its time limit may stage after
     * its migration failed and was cleaned up, which would leave a pack no commit ever takes. Ids are never reused.
     */
    private final LatestIds discarded = new LatestIds(4096);

    /**
     * By domain, the migration whose commit failed (a full disk): committed past its commit point, its snapshots come
     * before any change made here, which would otherwise take a name, or the current mark, from under them.
     */
    private final Map<UUID, String> committing = new HashMap<>();

    SnapshotStaging(Path root, SnapshotReader reader, SnapshotFiles.Sync sync, SnapshotDomains domains,
            Map<Snapshot, Optional<String>> readHere) {
        this.root = root;
        this.reader = reader;
        this.sync = sync;
        this.domains = domains;
        this.readHere = readHere;
    }

    void commitFirst(UUID domain) throws IOException {
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

    void stage(String migrationId, UUID domain, List<Snapshot> snapshots, String current) throws IOException {
        Path dir = staging(migrationId);
        if (discarded.contains(migrationId)) {
            throw new IOException("migration " + migrationId + " has ended and its staging was discarded: its snapshots are not staged");
        }
        for (Snapshot snapshot : snapshots) {
            String where = "snapshot '" + snapshot.name() + "' of migration " + migrationId;
            Optional<String> definitionOf = readHere.get(snapshot);
            if (definitionOf == null) { // what a peer sends must read back here, under this host's limits
                reader.requireAsClaimed(snapshot, domain, where);
            } else {
                SnapshotReader.requireOfDomain(definitionOf, domain, where);
            }
        }
        requireNoneUnlikeHere(migrationId, domain, snapshots);
        FileTrees.delete(dir);
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
        Set<String> here = domains.names(domain).all;
        if (arriving.stream().noneMatch(s -> here.contains(s.name()))) {
            return;
        }
        Map<String, Snapshot> byName = new HashMap<>();
        domains.list(domain).forEach(s -> byName.put(s.name(), s));
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

    void commit(String migrationId) throws IOException {
        Path dir = staging(migrationId);
        if (!Files.exists(dir.resolve(DOMAIN)) && isEmptyOrAbsent(dir)) {
            FileTrees.delete(dir); // nothing staged, or a commit cut after it deleted the domain file, its last: done
            return;
        }
        UUID domain = stagedDomain(migrationId, dir);
        committing.put(domain, migrationId); // until it is done
        String current = stagedCurrent(migrationId, dir);
        Path target = domains.domainDirectory(domain);
        Path pack = target.resolve(SnapshotDomains.PACK_PREFIX + migrationId + SnapshotDomains.PACK_SUFFIX);
        List<String> arrived = null;
        if (Files.exists(dir.resolve(PACK))) { // else moved before a crash
            arrived = requireWhole(migrationId, dir.resolve(PACK)); // synced when staged
            Files.move(dir.resolve(PACK), pack, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            sync.force(target);
        } else if (!Files.exists(pack)) {
            throw incomplete(migrationId, dir.resolve(PACK) + " is missing");
        }
        dropSupersededPacks(target, pack, arrived);
        domains.reread(domain); // read anew, the pack's names with it
        if (current != null) {
            SnapshotDomains.Names known = domains.names(domain);
            known.logBytes = domains.append(domain, known, null, current);
            known.current = current;
        }
        Files.deleteIfExists(dir.resolve(CURRENT));
        Files.deleteIfExists(dir.resolve(DOMAIN)); // the last of the files: a repeat finds it, or nothing left to do
        FileTrees.delete(dir);
        committing.remove(domain, migrationId);
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
        List<Path> older = SnapshotDomains.packs(dir).stream().filter(pack -> !pack.equals(newest)).toList();
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
            sync.force(dir);
        }
    }

    /**
     * Discards, durably, what an arrival of {@code domain} committed past its commit point could not commit yet (a full
     * disk): the domain leaves this host with its snapshots, and those would be committed under its UUID later, for the
     * next domain given it (its first snapshot-create-as, its Begin, the next start).
     */
    void discardPendingOf(UUID domain) throws IOException {
        String pending = committing.get(domain);
        if (pending != null) {
            discard(pending);
            sync.force(root.resolve(".staging"));
        }
    }

    void discard(String migrationId) throws IOException {
        Path dir = staging(migrationId);
        discarded.add(migrationId);
        committing.values().remove(migrationId);
        FileTrees.delete(dir);
    }

    List<String> staged() throws IOException {
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
}
