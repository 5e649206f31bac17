package io.ferry.core.migration;

import io.ferry.api.snapshot.SnapshotStore;
import io.ferry.core.snapshot.SnapshotReader;
import io.ferry.protocol.xml.HardenedXmlParser;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A snapshot store that records what migrations committed and discarded; its commit can fail like a full disk. What a
 * migration stages is its domain's once committed.
 */
final class FakeSnapshots implements SnapshotStore {
    final Set<String> committed = ConcurrentHashMap.newKeySet();
    final Set<String> discarded = ConcurrentHashMap.newKeySet();
    /** The migrations whose snapshots are staged, neither committed nor discarded. */
    final Set<String> staged = ConcurrentHashMap.newKeySet();
    volatile boolean failCommit;
    /** The snapshots each domain has here (none unless a test says). */
    final Map<UUID, List<Snapshot>> domains = new ConcurrentHashMap<>();
    private final Map<String, Map.Entry<UUID, List<Snapshot>>> stagedSnapshots = new ConcurrentHashMap<>();

    @Override
    public List<Snapshot> list(UUID domain) {
        return domains.getOrDefault(domain, List.of());
    }

    @Override
    public Optional<String> current(UUID domain) {
        return Optional.empty();
    }

    @Override
    public Snapshot read(String xml) throws IOException {
        return new SnapshotReader(HardenedXmlParser.DEFAULT_MAX_BYTES, HardenedXmlParser.DEFAULT_MAX_DEPTH).read(xml);
    }

    @Override
    public void stage(String migrationId, UUID domain, List<Snapshot> snapshots, String current) {
        staged.add(migrationId);
        stagedSnapshots.put(migrationId, Map.entry(domain, List.copyOf(snapshots)));
    }

    @Override
    public List<String> staged() {
        return List.copyOf(staged);
    }

    @Override
    public void commit(String migrationId) throws IOException {
        if (failCommit) {
            throw new IOException("No space left on device");
        }
        committed.add(migrationId);
        staged.remove(migrationId);
        Map.Entry<UUID, List<Snapshot>> arrived = stagedSnapshots.remove(migrationId);
        if (arrived != null) {
            domains.put(arrived.getKey(), arrived.getValue());
        }
    }

    @Override
    public void forget(UUID domain) {
        domains.remove(domain);
    }

    @Override
    public void discard(String migrationId) {
        discarded.add(migrationId);
        staged.remove(migrationId);
        stagedSnapshots.remove(migrationId);
    }
}
