package io.ferry.plugin.snapshots;

import io.ferry.api.snapshot.SnapshotStore;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/** A snapshot store in memory: what a domain has, and what each migration staged. */
final class FakeStore implements SnapshotStore {
    final Map<UUID, List<Snapshot>> snapshots = new HashMap<>();
    final Map<UUID, String> current = new HashMap<>();
    final Map<String, List<Snapshot>> staged = new HashMap<>();
    final Map<String, String> stagedCurrent = new HashMap<>();

    @Override
    public List<Snapshot> list(UUID domain) {
        return snapshots.getOrDefault(domain, List.of());
    }

    @Override
    public Optional<String> current(UUID domain) {
        return Optional.ofNullable(current.get(domain));
    }

    @Override
    public void stage(String migrationId, UUID domain, List<Snapshot> list, String currentName) {
        staged.put(migrationId, new ArrayList<>(list));
        stagedCurrent.put(migrationId, currentName);
    }

    @Override
    public void commit(String migrationId) {
    }

    @Override
    public void discard(String migrationId) {
        staged.remove(migrationId);
    }
}
