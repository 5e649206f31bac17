package io.ferry.core.migration;

import io.ferry.core.domain.DomainException;
import io.ferry.core.domain.Leases;
import io.ferry.core.section.MigrationLog;
import io.ferry.protocol.Messages.Fate;
import io.ferry.protocol.Messages.Finish;
import io.ferry.protocol.Messages.Finished;
import io.ferry.protocol.Messages.Outcome;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a destination answers of the migrations it no longer has in hand, from its journal: their fate for a source
 * that settles, a repeated or late Finish. An abort that could not be recorded (a full disk) is kept here and
 * answered as recorded, since the incoming guest was dropped all the same; it is written at the next question that
 * finds room, and a restart drops it as PREPARED anyway. An abort whose leases could not be given back is answered
 * "in progress" until they are ({@link #abortedOwingLeases}).
 */
final class IncomingRecords {
    private static final Logger LOG = LoggerFactory.getLogger(IncomingRecords.class);

    private final Journal journal;
    private final Leases leases;
    private final Map<String, Journal.Entry> abortedUnrecorded = new ConcurrentHashMap<>();
    /** Aborts whose incoming VM went, but whose leases (taken at Finish) could not be given back yet. */
    private final Map<String, Journal.Entry> leasesOwed = new ConcurrentHashMap<>();
    /** Migrations whose damaged record a fate call found: each reported once. */
    private final Set<String> reportedDamaged = ConcurrentHashMap.newKeySet();
    private final Predicate<Journal.Entry> definitionLost;

    /** @param definitionLost whether a committed arrival's definition is lost here ({@link #keepsDefinition}) */
    IncomingRecords(Journal journal, Leases leases, Predicate<Journal.Entry> definitionLost) {
        this.journal = journal;
        this.leases = leases;
        this.definitionLost = definitionLost;
    }

    /**
     * Records the abort with the state the release of the leases returned: Finish may have taken them with the
     * state the source's switch-over released, which this release made stale, so the source takes them back with
     * this one.
     */
    void aborted(Incoming in, String releasedLeases) {
        recordAbort(in.abortInMemory(releasedLeases));
    }

    /**
     * Records an arrival's abort; one that cannot be recorded (a full disk) is kept here, answered as recorded, and
     * written at the next question that finds room. The domain migrates again only once it is
     * ({@link #requireAbortsRecorded}).
     */
    void recordAbort(Journal.Entry aborted) {
        try {
            journal.record(aborted);
        } catch (IOException e) {
            abortedUnrecorded.put(aborted.id(), aborted);
            LOG.error("cannot record the abort of migration {} (its source is told when it asks): {}", aborted.id(),
                    e.getMessage());
        }
    }

    /**
     * Records the abort of a migration whose leases, taken at Finish, could not be given back (ZooKeeper unreachable,
     * the lease directory unwritable). They stay this host's, and the state the source's switch-over released is stale:
     * told "aborted" now, the source's rollback would be refused and its guest stay paused for good. So its source hears
     * "in progress" (it keeps the guest paused and asks again) until the watchdog, trying every second, has given them
     * back, and then "aborted" with the state their release returned.
     */
    void abortedOwingLeases(Incoming in) {
        // its record stays PREPARED (synced), naming the disks, until they are given back: should their record in
        // leases-owed/ be lost (deleted, damaged), a restart still gives them back ({@link #abortedGone})
        leasesOwed.put(in.id, in.abortInMemory(null));
        LOG.warn("migration {} aborted, but the leases its Finish took for {} could not be given back yet: its source keeps"
                + " the guest paused until they are", in.id, in.spec.name());
    }

    /**
     * Whether the migration's abort waits for the leases its Finish took to be given back: their record names them
     * (read again after a restart), and the watchdog gives them back.
     */
    boolean owesLeasesOf(String id) {
        return leasesOwed.containsKey(id);
    }

    /** Whether an aborted migration still waits for its leases to be given back before it is recorded. */
    boolean abortsAwaitLeases() {
        return !leasesOwed.isEmpty();
    }

    /** Tries again to give back the leases of aborted migrations that could not: the watchdog's part. */
    void giveBackOwedLeases() {
        for (String id : leasesOwed.keySet()) {
            try (var tag = MigrationLog.tag(id)) {
                giveBackOwed(id);
            }
        }
    }

    /**
     * After a restart: the aborts whose leases this host still owes (its lease records name their migrations) are
     * answered "in progress" again until they are given back. A record left at an earlier step (the daemon died before
     * the abort's) is settled as aborted all the same.
     */
    void adoptOwedLeases() {
        for (String id : leases.owed().owedForMigrations()) {
            try {
                journal.find(id).filter(e -> e.role() == Journal.Role.DESTINATION && !e.step().isCommitted())
                        .ifPresent(e -> leasesOwed.put(id, e.at(Step.ABORTED)));
            } catch (IOException e) {
                LOG.error("{}: the disk leases this host owes for it wait for the next start", e.getMessage());
            }
        }
    }

    /**
     * After a restart: an arrival that had not committed and whose domain this host no longer knows (its incoming VM
     * went, and its status with it). The leases its Finish may have taken are given back by the disks its record names,
     * free or still this host's: nothing else may name them (a power cut kept the PREPARED record, synced, and not the
     * abort's; or their record in leases-owed/ was deleted or damaged), and unreturned, its source, told "aborted" with
     * no state, was refused them and kept its guest paused for good. The abort is recorded with the state their release
     * returned; while they cannot be given back (the lock manager cannot reach its store) its source hears "in
     * progress", as for any owed leases.
     */
    void abortedGone(Journal.Entry entry, Supplier<String> giveBack) throws IOException {
        if (owesLeasesOf(entry.id())) {
            return; // their record names them: the watchdog gives them back
        }
        String released = entry.disks().isEmpty() ? null : giveBack.get();
        if (leases.owed().owes(entry.uuid())) {
            leasesOwed.put(entry.id(), entry.at(Step.ABORTED));
            LOG.warn("migration {} aborted, but the leases its Finish may have taken for {} cannot be given back yet: its"
                    + " source keeps the guest paused until they are", entry.id(), entry.domain());
            return;
        }
        journal.record(entry.withLeaseState(released).at(Step.ABORTED));
    }

    /** Gives back the migration's owed leases if it can now, then records its abort with the state their release returned. */
    private void giveBackOwed(String id) {
        Journal.Entry aborted = leasesOwed.get(id);
        if (aborted == null) {
            return;
        }
        synchronized (aborted) {
            if (leasesOwed.get(id) != aborted) {
                return; // settled by another caller meanwhile
            }
            Optional<String> released;
            try {
                released = leases.owed().giveBackOwed(aborted.uuid());
            } catch (DomainException e) {
                // tried every second by the watchdog: the first failure was logged as an error
                LOG.debug("the leases of {} that aborted migration {} took still cannot be given back: {}", aborted.domain(), id,
                        e.getMessage());
                return;
            }
            // empty, none left to give back (this host took them again for a new VM of the domain, or another host holds
            // them): the source must not take them, and presents the switch-over's state, which the lock manager refuses
            recordAbort(aborted.withLeaseState(released.orElse(null)));
            leasesOwed.remove(id, aborted);
        }
    }

    /**
     * Before the domain migrates again (a Begin or a Prepare of it here): the aborts of its earlier arrivals that could
     * not be recorded are written now, and the migration is refused while they cannot be. Left PREPARED in the
     * journal, such an arrival would be taken for unfinished by a restart, which would drop whatever VM of the domain
     * a later migration left here as its incoming VM (a source's copy paused at its switch-over among them). An abort
     * whose leases are owed no more (a new VM of the domain took them over since the watchdog's last look) is recorded
     * here and now rather than at its next; one still owing is not tried here, as a try waits on an unreachable store.
     */
    void requireAbortsRecorded(String domain, UUID uuid) throws MigrationException {
        for (Journal.Entry owing : List.copyOf(leasesOwed.values())) {
            if (!owing.uuid().equals(uuid)) {
                continue;
            }
            if (!leases.owed().owes(uuid)) {
                try (var tag = MigrationLog.tag(owing.id())) {
                    giveBackOwed(owing.id());
                }
            }
            if (leasesOwed.containsKey(owing.id())) {
                throw new MigrationException("cannot migrate domain " + domain + " before the disk leases that aborted"
                        + " migration " + owing.id() + " took on this host are given back (tried every second)");
            }
        }
        for (Journal.Entry aborted : abortedUnrecorded.values()) {
            if (!aborted.domain().equals(domain)) {
                continue;
            }
            try {
                journal.record(aborted);
                abortedUnrecorded.remove(aborted.id(), aborted);
            } catch (IOException e) {
                throw new MigrationException("cannot migrate domain " + domain + " before the abort of migration "
                        + aborted.id() + " is recorded on this host: " + e.getMessage());
            }
        }
    }

    /** The migration's fate, for the party that presents its key; with the leases' state when it was aborted. */
    Fate fate(String id, String key) throws MigrationException {
        Journal.Entry owing = leasesOwed.get(id);
        if (owing != null && Migrations.keyMatches(owing.key(), key)) {
            // the watchdog tries to give them back every second; a try here could hold the caller for as long as the
            // lock manager's client takes to give up on its store
            return new Fate(id, Outcome.IN_PROGRESS);
        }
        Optional<Journal.Entry> entry;
        try {
            entry = find(id);
        } catch (IOException e) {
            LOG.error("{}: its source is told it is in progress (it keeps its copy paused) and asks again",
                    e.getMessage());
            return new Fate(id, Outcome.IN_PROGRESS);
        }
        if (entry.isEmpty() && journal.damaged(id)) {
            if (reportedDamaged.add(id)) {
                LOG.error("the record of migration {} is damaged: its source is told nothing (it keeps its copy paused)"
                        + " until the operator decides where the guest runs", id);
            }
            return new Fate(id, Outcome.IN_PROGRESS);
        }
        if (entry.isEmpty() || entry.get().role() != Journal.Role.DESTINATION) {
            return new Fate(id, Outcome.UNKNOWN);
        }
        if (!Migrations.keyMatches(entry.get().key(), key)) {
            throw new MigrationException("migration " + id + " belongs to another party: the key does not match");
        }
        Step step = entry.get().step();
        return step.isCommitted() ? new Fate(id, Outcome.COMMITTED, null, keepsDefinition(entry.get()))
                : step == Step.ABORTED ? new Fate(id, Outcome.ABORTED, entry.get().leaseState()) : new Fate(id, Outcome.IN_PROGRESS);
    }

    /**
     * Whether the definition a migration brought stays here once it committed: what its source may undefine. Not one
     * whose staged definition was lost here (a disk's error) with nothing else to define the domain by.
     */
    private boolean keepsDefinition(Journal.Entry entry) {
        if (!CommittedArrival.bringsDefinition(entry.flags())) {
            return false;
        }
        if (definitionLost.test(entry)) {
            LOG.error("migration {} committed here, but the definition it brought for {} is lost here (see above): its source"
                    + " is told to keep its own", entry.id(), entry.domain());
            return false;
        }
        return true;
    }

    /** A Finish for a migration this host no longer has in hand. */
    Finished settledFinish(Finish request) throws MigrationException {
        Optional<Journal.Entry> entry;
        try {
            entry = find(request.id());
        } catch (IOException e) {
            throw new MigrationException(e.getMessage(), e);
        }
        if (entry.isPresent() && entry.get().role() == Journal.Role.DESTINATION
                && Migrations.keyMatches(entry.get().key(), request.key())) {
            if (entry.get().step().isCommitted()) {
                return new Finished(request.id(), entry.get().domain(), null, null);
            }
            if (entry.get().step() == Step.ABORTED) {
                if (request.cancelled()) {
                    return new Finished(request.id(), null, null, null);
                }
                throw new MigrationException("migration " + request.id() + " was aborted on this host");
            }
        }
        throw new MigrationException("no incoming migration " + request.id() + " on this host");
    }

    /** The domain of the migration {@code id} as this host's journal has it. */
    Optional<String> domainOf(String id) {
        try {
            return find(id).map(Journal.Entry::domain);
        } catch (IOException e) {
            return Optional.empty(); // only for a note: the Finish's answer stands without it
        }
    }

    /** The journal's entry, or the abort it does not have yet (written again now if it can be). */
    private Optional<Journal.Entry> find(String id) throws IOException {
        Journal.Entry owing = leasesOwed.get(id);
        if (owing != null) {
            return Optional.of(owing); // aborted; its record stays PREPARED until the leases are given back
        }
        Journal.Entry aborted = abortedUnrecorded.get(id);
        if (aborted == null) {
            return journal.find(id);
        }
        try {
            journal.record(aborted);
            abortedUnrecorded.remove(id, aborted);
        } catch (IOException e) {
            LOG.error("cannot record the abort of migration {} yet: {}", id, e.getMessage());
        }
        return Optional.of(aborted);
    }
}
