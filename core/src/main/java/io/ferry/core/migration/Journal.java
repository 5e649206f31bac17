package io.ferry.core.migration;

import io.ferry.protocol.MigrationFlags;
import java.io.IOException;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import java.util.UUID;

/**
 * The migration journal: every step of every migration is recorded <em>before</em> it takes effect, so that a
 * restarted daemon knows where each migration stood and settles it by the failure matrix ({@link Recovery}).
 */
public interface Journal {
    enum Role { SOURCE, DESTINATION }

    /**
     * @param domain the domain's name on this host
     * @param peer the other daemon's URI, once known
     * @param key the migration's secret, which every call of the migration must present
     * @param leaseState source: the lease state its switch-over released (what a rollback takes the leases back
     *        with); destination, ABORTED: the state its release of the leases Finish took returned (what the source
     *        takes them back with instead); destination, COMMITTED and after: the state Finish took them with (what
     *        a restarted daemon takes them again with); null when none
     * @param wasRunning source: the domain ran when the migration began, so a rollback resumes it
     * @param peerJournal source: the destination journal's word for the migration ({@link #identity}), as it said when
     *        this side asked where the memory goes;
     *        null before, for an offline migration, or from a destination before it said
     * @param disks destination: the sources of the incoming domain's disks, whose leases its Finish takes: what a
     *        restarted daemon gives back by when nothing else names them (the incoming domain's status went with it, its
     *        record of owed leases was lost); empty otherwise
     * @param preparedBy destination: the certificate subject of the peer daemon whose Prepare began it (what its journal
     *        keeps of that peer's aborted arrivals is bounded, {@link FileJournal#ABORTED_ARRIVALS_KEPT_PER_PEER}); null
     *        for an operator's, on a source, or in a record written before
     * @param mandatory destination, COMMITTED and after: the features the arrival carried as mandatory, sorted (what
     *        the domain needs from now on, {@link MandatorySections#replace}), recorded with the commit so that a
     *        restart before the arrival's end remembers them too; null before the commit, on a source, or in a record
     *        written before
     */
    record Entry(String id, Role role, Step step, String domain, UUID uuid, String peer, MigrationFlags flags,
            String key, String leaseState, boolean wasRunning, String peerJournal, List<String> disks,
            String preparedBy, List<String> mandatory) {
        public Entry {
            disks = disks == null ? List.of() : List.copyOf(disks);
            mandatory = mandatory == null ? null : List.copyOf(new TreeSet<>(mandatory));
        }

        public Entry(String id, Role role, Step step, String domain, UUID uuid, String peer, MigrationFlags flags,
                String key, String leaseState, boolean wasRunning, String peerJournal, List<String> disks,
                String preparedBy) {
            this(id, role, step, domain, uuid, peer, flags, key, leaseState, wasRunning, peerJournal, disks, preparedBy,
                    null);
        }

        public Entry(String id, Role role, Step step, String domain, UUID uuid, String peer, MigrationFlags flags,
                String key, String leaseState, boolean wasRunning, String peerJournal, List<String> disks) {
            this(id, role, step, domain, uuid, peer, flags, key, leaseState, wasRunning, peerJournal, disks, null);
        }

        public Entry(String id, Role role, Step step, String domain, UUID uuid, String peer, MigrationFlags flags,
                String key, String leaseState, boolean wasRunning, String peerJournal) {
            this(id, role, step, domain, uuid, peer, flags, key, leaseState, wasRunning, peerJournal, List.of());
        }

        public Entry(String id, Role role, Step step, String domain, UUID uuid, String peer, MigrationFlags flags,
                String key, String leaseState, boolean wasRunning) {
            this(id, role, step, domain, uuid, peer, flags, key, leaseState, wasRunning, null);
        }

        public Entry at(Step next) {
            return new Entry(id, role, next, domain, uuid, peer, flags, key, leaseState, wasRunning, peerJournal, disks,
                    preparedBy, mandatory);
        }

        public Entry withPeer(String uri) {
            return new Entry(id, role, step, domain, uuid, uri, flags, key, leaseState, wasRunning, peerJournal, disks,
                    preparedBy, mandatory);
        }

        public Entry withLeaseState(String state) {
            return new Entry(id, role, step, domain, uuid, peer, flags, key, state, wasRunning, peerJournal, disks,
                    preparedBy, mandatory);
        }

        public Entry withPreparedBy(String subject) {
            return new Entry(id, role, step, domain, uuid, peer, flags, key, leaseState, wasRunning, peerJournal, disks,
                    subject, mandatory);
        }

        public Entry withPeerJournal(String journal) {
            return new Entry(id, role, step, domain, uuid, peer, flags, key, leaseState, wasRunning, journal, disks,
                    preparedBy, mandatory);
        }

        public Entry withMandatory(Collection<String> features) {
            return new Entry(id, role, step, domain, uuid, peer, flags, key, leaseState, wasRunning, peerJournal, disks,
                    preparedBy, List.copyOf(features));
        }
    }

    /**
     * This journal's word for migration {@code migrationId}: a MAC of the id under a random key made with the journal,
     * which tells a source that the daemon answering for its migration's destination is the one that recorded it,
     * not one whose state directory was wiped or replaced since, nor another daemon at that address, whose "no record
     * of it" says nothing; and which nobody without the key can make for a migration it was not told of.
     */
    String identity(String migrationId);

    /**
     * Records the entry; returns once it would survive the daemon's crash, and for the commit point ({@link
     * Step#COMMITTED}) the host's.
     */
    void record(Entry entry) throws IOException;

    /**
     * The record of migration {@code id}; empty when this journal has none, or only a damaged one ({@link #damaged}).
     *
     * @throws IOException when the record cannot be read now (a disk's error, a full file table): it may be the commit
     *         point, so nothing may be decided as if there were none
     */
    Optional<Entry> find(String id) throws IOException;

    /** {@link #find}, for a step that is refused while the record cannot be read. */
    default Optional<Entry> findOrRefuse(String id) throws MigrationException {
        try {
            return find(id);
        } catch (IOException e) {
            throw new MigrationException(e.getMessage(), e);
        }
    }

    /**
     * Whether this journal has no record of migration {@code id}, or one a power cut emptied: a step recorded without
     * a sync, so never the commit point. What such a migration staged is never to be committed.
     */
    boolean lost(String id);

    /**
     * Whether this journal has a record of migration {@code id} it cannot read (damaged, or set aside as damaged at a
     * start): it may have been the commit point, so nobody may be told there is no record of it.
     */
    boolean damaged(String id);

    /** Every migration that had not reached its end when the daemon stopped. */
    List<Entry> unfinished() throws IOException;
}
