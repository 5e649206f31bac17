package io.ferry.testkit;

import io.ferry.api.snapshot.SnapshotStore;
import io.ferry.core.snapshot.SnapshotReader;
import io.ferry.protocol.xml.HardenedXmlParser;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * A snapshot store kept in memory that reads snapshots as a daemon's store does (the core's reader, the daemon's
 * default limits): what a domain has and what each migration staged, for a test to set and look at. Staging checks
 * each snapshot reads back, names itself and its parent as the caller says, holds no other domain's definition and is
 * not another snapshot under the name of one the domain has here; a migration whose staging was discarded stages
 * nothing: as the daemon's store does. Nothing is the domain's before {@link #commit}. Not thread-safe.
 */
public class InMemorySnapshotStore implements SnapshotStore {
    private static final SnapshotReader READER = new SnapshotReader(HardenedXmlParser.DEFAULT_MAX_BYTES,
            HardenedXmlParser.DEFAULT_MAX_DEPTH);

    /** Each domain's snapshots, parents first, as {@link #list} gives them. */
    public final Map<UUID, List<Snapshot>> snapshots = new HashMap<>();
    /** Each domain's current snapshot. */
    public final Map<UUID, String> current = new HashMap<>();
    /** What each migration staged and not discarded, by migration id. */
    public final Map<String, List<Snapshot>> staged = new HashMap<>();
    /** The current snapshot each migration staged, by migration id. */
    public final Map<String, String> stagedCurrent = new HashMap<>();
    private final Map<String, UUID> stagedDomain = new HashMap<>();
    /** The migrations whose staging was discarded: a section call that outlived its migration stages nothing. */
    private final Set<String> discarded = new HashSet<>();

    @Override
    public List<Snapshot> list(UUID domain) {
        return snapshots.getOrDefault(domain, List.of());
    }

    @Override
    public Optional<String> current(UUID domain) {
        return Optional.ofNullable(current.get(domain));
    }

    @Override
    public Snapshot read(String xml) throws IOException {
        return READER.read(xml);
    }

    @Override
    public void stage(String migrationId, UUID domain, List<Snapshot> list, String currentName) throws IOException {
        if (discarded.contains(migrationId)) {
            throw new IOException("migration " + migrationId + " has ended and its staging was discarded: its snapshots"
                    + " are not staged");
        }
        for (Snapshot snapshot : list) {
            READER.requireAsClaimed(snapshot, domain, "snapshot '" + snapshot.name() + "' of migration " + migrationId);
        }
        requireNoneUnlikeHere(migrationId, domain, list);
        staged.put(migrationId, new ArrayList<>(list));
        stagedCurrent.put(migrationId, currentName);
        stagedDomain.put(migrationId, domain);
    }

    /**
     * The daemon's rule (its store's staging, private to the core's file store, so mirrored here): a snapshot with the
     * name of one the domain has here but another snapshot (made on each host while the domain was defined on both)
     * is refused, since listed by one name one of them would be lost. The same snapshot coming back is none.
     */
    private void requireNoneUnlikeHere(String migrationId, UUID domain, List<Snapshot> arriving) throws IOException {
        Map<String, Snapshot> here = new HashMap<>();
        list(domain).forEach(s -> here.put(s.name(), s));
        for (Snapshot snapshot : arriving) {
            Snapshot mine = here.get(snapshot.name());
            if (mine != null && !mine.equals(snapshot)) {
                throw new IOException("domain snapshot '" + snapshot.name() + "' that migration " + migrationId
                        + " brings is not the snapshot '" + snapshot.name() + "' this host has of the domain:"
                        + " committing it would lose one of them");
            }
        }
    }

    /**
     * The domain that staged the snapshots gets them, after those it had (one it had by the same name, the same
     * snapshot as staging requires, gives way), and their current one if there is one.
     */
    @Override
    public void commit(String migrationId) {
        UUID domain = stagedDomain.remove(migrationId);
        if (domain != null) {
            List<Snapshot> arriving = staged.remove(migrationId);
            Set<String> names = new HashSet<>();
            arriving.forEach(s -> names.add(s.name()));
            List<Snapshot> all = new ArrayList<>(list(domain).stream().filter(s -> !names.contains(s.name())).toList());
            all.addAll(arriving);
            snapshots.put(domain, all);
            String mark = stagedCurrent.remove(migrationId);
            if (mark != null) {
                current.put(domain, mark);
            }
        }
    }

    @Override
    public void forget(UUID domain) {
        snapshots.remove(domain);
        current.remove(domain);
    }

    @Override
    public void discard(String migrationId) {
        discarded.add(migrationId);
        staged.remove(migrationId);
        stagedCurrent.remove(migrationId);
        stagedDomain.remove(migrationId);
    }
}
