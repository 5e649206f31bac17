package io.ferry.core.migration;

import io.ferry.api.snapshot.SnapshotStore;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/** A snapshot store that records what migrations committed and discarded; its commit can fail like a full disk. */
final class FakeSnapshots implements SnapshotStore {
    final Set<String> committed = ConcurrentHashMap.newKeySet();
    final Set<String> discarded = ConcurrentHashMap.newKeySet();
    /** The migrations whose snapshots are staged, neither committed nor discarded. */
    final Set<String> staged = ConcurrentHashMap.newKeySet();
    volatile boolean failCommit;
    /** The snapshots each domain has here (none unless a test says). */
    final Map<UUID, List<Snapshot>> domains = new ConcurrentHashMap<>();

    @Override
    public List<Snapshot> list(UUID domain) {
        return domains.getOrDefault(domain, List.of());
    }

    @Override
    public Optional<String> current(UUID domain) {
        return Optional.empty();
    }

    @Override
    public Snapshot read(String xml) {
        throw new UnsupportedOperationException("the engine reads no snapshot");
    }

    @Override
    public void stage(String migrationId, UUID domain, List<Snapshot> snapshots, String current) {
        staged.add(migrationId);
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
    }

    @Override
    public void forget(UUID domain) {
        domains.remove(domain);
    }

    @Override
    public void discard(String migrationId) {
        discarded.add(migrationId);
        staged.remove(migrationId);
    }
}
