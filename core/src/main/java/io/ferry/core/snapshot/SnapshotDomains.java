package io.ferry.core.snapshot;

import io.ferry.api.snapshot.SnapshotStore.Snapshot;
import io.ferry.core.daemon.AtomicFiles;
import io.ferry.core.daemon.FileTrees;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * The domains' directories {@code snapshots/UUID/}: their snapshots listed, and their names and current mark read once
 * and kept. Not thread-safe: {@link SnapshotFiles} calls it under its lock.
 */
final class SnapshotDomains {
    static final String CURRENT = "current";
    static final String PACK_PREFIX = "migrated-";
    static final String PACK_SUFFIX = ".pack";

    private final Path root;
    private final SnapshotReader reader;
    private final SnapshotFiles.Sync sync;
    /** Per domain: the snapshot names, the current mark and the log's sound length, as read once. */
    private final Map<UUID, Names> names = new HashMap<>();

    static final class Names {
        final Set<String> all = new HashSet<>();
        String current;
        long logBytes;
    }

    SnapshotDomains(Path root, SnapshotReader reader, SnapshotFiles.Sync sync) {
        this.root = root;
        this.reader = reader;
        this.sync = sync;
    }

    List<Snapshot> list(UUID domain) throws IOException {
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

    /** Removes the domain's snapshots ({@code undefine --snapshots-metadata}), durably. */
    void forget(UUID domain) throws IOException {
        Path dir = root.resolve(domain.toString());
        names.remove(domain);
        if (Files.exists(dir)) {
            try {
                FileTrees.delete(dir);
                sync.force(root);
            } catch (IOException e) {
                throw new IOException("cannot remove " + dir + ": " + e.getMessage(), e);
            }
        }
    }

    /** Drops what was read of the domain: it is read anew at its next use. */
    void reread(UUID domain) {
        names.remove(domain);
    }

    /** Appends to the domain's log; returns its new sound length. Forgets what it knew on failure: the log is read anew. */
    long append(UUID domain, Names known, Snapshot snapshot, String current) throws IOException {
        Path dir = domainDirectory(domain);
        try {
            SnapshotLog.append(dir.resolve(SnapshotLog.FILE), known.logBytes, snapshot, current, sync);
            return Files.size(dir.resolve(SnapshotLog.FILE));
        } catch (IOException e) {
            names.remove(domain);
            throw e;
        }
    }

    /**
     * The domain's directory, made if it is new, and then its name synced into the store: what is synced inside it
     * (a first snapshot's log, a first arrival's pack) would not outlive a power cut that took the directory's name.
     */
    Path domainDirectory(UUID domain) throws IOException {
        Path dir = root.resolve(domain.toString());
        if (!Files.isDirectory(dir)) {
            AtomicFiles.createDirectories(dir, sync::force);
        }
        return dir;
    }

    /**
     * The domain's names and current mark, read once: file names, pack headers and the log, no XML parsed but old packs'.
     * Kept only for a domain that has a directory here: each arrival whose snapshots were checked against this host's
     * (of a domain with none here) and that failed left its domain's empty names in memory for good.
     */
    Names names(UUID domain) throws IOException {
        Names cached = names.get(domain);
        if (cached != null) {
            return cached;
        }
        Names known = new Names();
        Path dir = root.resolve(domain.toString());
        if (!Files.isDirectory(dir)) {
            return known; // nothing to read: what is added makes the directory, and is read from it next time
        }
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
        names.put(domain, known);
        return known;
    }

    /** How many domains' names are kept. */
    int known() {
        return names.size();
    }

    static List<Path> packs(Path dir) throws IOException {
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
}
