package io.ferry.api.snapshot;

import java.io.IOException;
import java.util.List;
import java.util.Optional;
import org.osgi.annotation.versioning.ProviderType;

/**
 * The core's snapshot metadata, one {@code <domainsnapshot>} XML document per snapshot, by domain UUID.
 * Incoming snapshots are staged per migration and committed or discarded as a whole.
 */
@ProviderType
public interface SnapshotStore {
    /** A snapshot's metadata: its name, its parent's name (null for a root) and its whole XML. */
    record Snapshot(String name, String parent, String xml) {
    }

    /** The domain's snapshots, parents before children. */
    List<Snapshot> list(java.util.UUID domain) throws IOException;

    Optional<String> current(java.util.UUID domain) throws IOException;

    /**
     * Reads an incoming snapshot document as {@link #stage} checks it, under this host's limits: its name and its
     * parent's (null for a root) as its XML says them. Refuses, on one line, a document that is malformed, not a
     * {@code <domainsnapshot>} with a {@code <name>}, with a {@code <parent>} without one, or with a name this
     * store cannot keep. Thread-safe; {@link #stage} does not parse again what this returned.
     *
     * @since 1.1
     */
    Snapshot read(String xml) throws IOException;

    /** Stages a migration's incoming snapshots; nothing is visible until {@link #commit}. */
    void stage(String migrationId, java.util.UUID domain, List<Snapshot> snapshots, String current) throws IOException;

    /** Makes staged snapshots the domain's own (parents first), keeping the staged current snapshot. */
    void commit(String migrationId) throws IOException;

    /** Forgets what a migration staged. Idempotent. */
    void discard(String migrationId) throws IOException;

    /**
     * The migrations whose snapshots are staged, neither committed nor discarded: at a start, the core discards
     * those its journal has no record of (a power cut took it).
     *
     * @since 1.2
     */
    default List<String> staged() throws IOException {
        return List.of();
    }

    /**
     * Removes the domain's snapshots, durably: the domain left this host for good (a migration that undefined it
     * here, or a transient one's), and its snapshots went with it. Left behind, they would be those of the next
     * domain given its UUID here, and refuse its own when it comes back with others of the same names. A store that
     * does not override this keeps them, as before.
     *
     * @since 1.3
     */
    default void forget(java.util.UUID domain) throws IOException {
    }
}
