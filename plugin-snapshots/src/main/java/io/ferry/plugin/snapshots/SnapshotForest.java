package io.ferry.plugin.snapshots;

import io.ferry.api.cookie.CookieException;
import io.ferry.api.snapshot.SnapshotStore;
import io.ferry.api.snapshot.SnapshotStore.Snapshot;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Incoming {@code <domainsnapshot>} documents checked as a hierarchy: each parent present, no cycle. Each is read by
 * the core's store ({@link SnapshotStore#read}: this host's limits, its name and its parent's), which then stages
 * what it read without parsing it again.
 */
final class SnapshotForest {
    private SnapshotForest() {
    }

    /** The checked hierarchy: snapshots parents first, each naming its parent as its XML says, and the current one's name. */
    record Forest(List<Snapshot> parentsFirst, String current) {
    }

    /** The hierarchy of what the stream carried. */
    static Forest of(SnapshotStream.Contents contents, SnapshotStore reader) throws CookieException {
        Map<String, Snapshot> byName = new LinkedHashMap<>();
        String current = null;
        for (int i = 0; i < contents.xmls().size(); i++) {
            Snapshot snapshot;
            try {
                snapshot = reader.read(contents.xmls().get(i));
            } catch (IOException e) { // the store reads from memory: what it refuses is the peer's
                throw new CookieException("snapshots stream: snapshot " + (i + 1) + ": " + e.getMessage(), e);
            }
            if (byName.put(snapshot.name(), snapshot) != null) {
                throw new CookieException("snapshots stream carries snapshot '" + snapshot.name() + "' twice");
            }
            if (i == contents.current()) {
                current = snapshot.name();
            }
        }
        return new Forest(parentsFirst(byName), current);
    }

    private static List<Snapshot> parentsFirst(Map<String, Snapshot> byName) throws CookieException {
        Map<String, List<Snapshot>> children = new HashMap<>();
        List<Snapshot> roots = new ArrayList<>();
        for (Snapshot snapshot : byName.values()) {
            if (snapshot.parent() == null) {
                roots.add(snapshot);
            } else if (!byName.containsKey(snapshot.parent())) {
                throw new CookieException("snapshot '" + snapshot.name() + "' has parent '" + snapshot.parent()
                        + "', which the snapshots stream does not carry");
            } else {
                children.computeIfAbsent(snapshot.parent(), p -> new ArrayList<>()).add(snapshot);
            }
        }
        List<Snapshot> ordered = new ArrayList<>(byName.size());
        Set<String> reached = new HashSet<>();
        Deque<Snapshot> pending = new ArrayDeque<>(roots);
        while (!pending.isEmpty()) { // breadth first from the roots: iterative, so a 10,000-deep chain is fine
            Snapshot snapshot = pending.removeFirst();
            ordered.add(snapshot);
            reached.add(snapshot.name());
            pending.addAll(children.getOrDefault(snapshot.name(), List.of()));
        }
        if (ordered.size() != byName.size()) { // what no root reaches hangs in a cycle
            String stuck = byName.values().stream().filter(s -> !reached.contains(s.name())).map(Snapshot::name).sorted()
                    .findFirst().orElseThrow();
            throw new CookieException("snapshot '" + stuck + "' is part of a parent cycle in the snapshots stream");
        }
        return ordered;
    }
}
