package io.ferry.core.migration;

import io.ferry.protocol.Messages.Fate;
import io.ferry.protocol.Messages.Finish;
import io.ferry.protocol.Messages.Finished;
import io.ferry.protocol.Messages.Outcome;
import io.ferry.protocol.MigrationFlags;
import java.io.IOException;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a destination answers of the migrations it no longer has in hand, from its journal: their fate for a source
 * that settles, a repeated or late Finish. An abort that could not be recorded (a full disk) is kept here and
 * answered as recorded, since the incoming guest was dropped all the same; it is written at the next question that
 * finds room, and a restart drops it as PREPARED anyway.
 */
final class IncomingRecords {
    private static final Logger LOG = LoggerFactory.getLogger(IncomingRecords.class);

    private final Journal journal;
    private final Map<String, Journal.Entry> abortedUnrecorded = new ConcurrentHashMap<>();

    IncomingRecords(Journal journal) {
        this.journal = journal;
    }

    /**
     * Records the abort with the state the release of the leases returned: Finish may have taken them with the
     * state the source's switch-over released, which this release made stale, so the source takes them back with
     * this one.
     */
    void aborted(Incoming in, String releasedLeases) {
        Journal.Entry aborted = in.abortInMemory(releasedLeases);
        try {
            journal.record(aborted);
        } catch (IOException e) {
            abortedUnrecorded.put(in.id, aborted);
            LOG.error("cannot record the abort of migration {} (its source is told when it asks): {}", in.id, e.getMessage());
        }
    }

    /**
     * Before the domain migrates again (a Begin or a Prepare of it here): the aborts of its earlier arrivals that could
     * not be recorded are written now, and the migration is refused while they cannot be. Left PREPARED in the
     * journal, such an arrival would be taken for unfinished by a restart, which would drop whatever VM of the domain
     * a later migration left here as its incoming VM (a source's copy paused at its switch-over among them).
     */
    void requireAbortsRecorded(String domain) throws MigrationException {
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
        Optional<Journal.Entry> entry = find(id);
        if (entry.isEmpty() || entry.get().role() != Journal.Role.DESTINATION) {
            return new Fate(id, Outcome.UNKNOWN);
        }
        if (!Migrations.keyMatches(entry.get().key(), key)) {
            throw new MigrationException("migration " + id + " belongs to another party: the key does not match");
        }
        Step step = entry.get().step();
        return step.isCommitted() ? new Fate(id, Outcome.COMMITTED, null, keepsDefinition(entry.get().flags()))
                : step == Step.ABORTED ? new Fate(id, Outcome.ABORTED, entry.get().leaseState()) : new Fate(id, Outcome.IN_PROGRESS);
    }

    /** Whether the definition a migration brought stays here once it committed: what its source may undefine. */
    private static boolean keepsDefinition(MigrationFlags flags) {
        return flags.persistent() || flags.offline();
    }

    /** A Finish for a migration this host no longer has in hand. */
    Finished settledFinish(Finish request) throws MigrationException {
        Optional<Journal.Entry> entry = find(request.id());
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

    /** The journal's entry, or the abort it does not have yet (written again now if it can be). */
    private Optional<Journal.Entry> find(String id) {
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
