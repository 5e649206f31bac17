package io.ferry.core.migration;

import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.core.domain.Domain;
import java.io.IOException;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Recovery's part for the arrivals the journal left unfinished at a restart ({@link Recovery}): a committed one's
 * definition is installed and its domain resumed; an uncommitted one's incoming VM is dropped, and the leases its Finish
 * may have taken given back; what arrivals staged that no unfinished migration will commit is discarded.
 */
final class ArrivalRecovery {
    private static final Logger LOG = LoggerFactory.getLogger(Recovery.class);

    private final Migrations m;
    private final DestinationSide destination;
    /** The arrivals {@link #waitsForItsFiles} said wait for their domain's files. */
    private final Set<String> waitingForFiles = java.util.concurrent.ConcurrentHashMap.newKeySet();
    /** The arrivals {@link #settle} adopted and has not settled: its wait for the domain's job ended unserved. */
    private final Set<String> leftInHand = java.util.concurrent.ConcurrentHashMap.newKeySet();

    ArrivalRecovery(Migrations migrations, DestinationSide destination) {
        this.m = migrations;
        this.destination = destination;
    }

    /**
     * What arrivals staged (synced) that the journal does not know, or knows ended: a power cut can take a record
     * written without a sync (ABORTED; an earlier version's PREPARED) and keep the staging, or undo the staging's
     * unsynced removal. None of
     * it is ever to be committed (the commit point is synced), and nothing else would remove it.
     */
    void discardStagingOfTheUnknown() {
        Set<String> staged = new TreeSet<>();
        try {
            m.domains.store().stagedDefinitions().forEach(file -> staged.add(file.name()));
            staged.addAll(m.snapshots.staged());
        } catch (Exception e) {
            LOG.error("cannot list what arrivals staged: {}", e.getMessage());
        }
        for (String id : staged) {
            if (m.journal.lost(id) || ended(id)) {
                try {
                    m.domains.migrating().discardIncomingDefinition(id);
                    m.snapshots.discard(id);
                    LOG.warn("migration {} is unknown to the journal, or ended, but left what it staged here: discarded", id);
                } catch (Exception e) {
                    LOG.error("cannot discard what migration {} staged: {}", id, e.getMessage());
                }
            }
        }
    }

    /** Whether the journal records migration {@code id} as ended; not one whose record cannot be read now. */
    private boolean ended(String id) {
        try {
            return m.journal.find(id).map(entry -> entry.step().isFinal()).orElse(false);
        } catch (IOException e) {
            LOG.error("{}: what it staged here is kept", e.getMessage());
            return false;
        }
    }

    /**
     * Whether an uncommitted arrival's domain is unreadable here (its status damaged, or emptied by a power cut with
     * nothing else to find its VM by, or its VM not re-attached in time): its incoming VM may still run for all this
     * daemon can tell, with the leases its Finish may have taken. They stay this host's, given back by nobody, its
     * record {@code PREPARED} and its source told "in progress" (it keeps its copy paused), until the operator repairs
     * the file, or removes it once the VM is known not to run, and restarts the daemon, which gives them back then.
     * Given back now, the source would resume the guest with a VM of it perhaps still here. Says so in the log, once
     * a migration (when it is taken in hand, or when its VM could not be re-attached since).
     */
    boolean waitsForItsFiles(Journal.Entry entry, Domain domain) {
        if (entry.role() != Journal.Role.DESTINATION || entry.step().isCommitted() || domain.problem() == null) {
            return false;
        }
        if (!waitingForFiles.add(entry.id())) {
            return true;
        }
        LOG.error("migration {} of {} was left at {}, and the domain is unreadable here ({}): its incoming VM may still"
                + " run, so the leases its Finish may have taken stay this host's and its source keeps the guest paused"
                + " until the file is repaired, or removed once that VM is known not to run, and the daemon restarted",
                entry.id(), entry.domain(), entry.step().display(), domain.problem());
        return true;
    }

    /**
     * An offline migration's domain lived in memory only, until the definition it brought was installed. A live one's
     * runs here, and the definition it runs stands in for a staged one that cannot be read or was deleted.
     */
    void installDefinition(Journal.Entry entry) {
        DomainSpec known = m.domains.find(entry.domain()).filter(d -> d.uuid().equals(entry.uuid())).map(Domain::current)
                .orElse(null);
        try {
            m.domains.migrating().installIncomingDefinition(entry.id(), known,
                    CommittedArrival.bringsDefinition(entry.flags()));
        } catch (Exception e) {
            LOG.error("the definition migration {} brought for {} stays staged: {}", entry.id(), entry.domain(), e.getMessage());
        }
    }

    /**
     * Settles an arrival the journal left unfinished, its domain here: committed, it is resumed and finished; otherwise
     * its incoming VM is dropped. The domain was claimed without its job: another caller may drop the arrival first
     * (its source's settle), and a start that held the job then, the domain shut off, may boot a guest that is not the
     * arrival's; the drop ({@link IncomingMigrations#abort}) tells both, whoever comes first.
     */
    void settle(Journal.Entry entry, Domain domain) throws Exception {
        // one a look before left in hand is taken up: adopted anew, the one left would be a second to drop
        Incoming in = destination.find(entry.id()).orElseGet(() -> destination.adopt(entry, domain));
        leftInHand.add(entry.id());
        m.domains.withJob(domain, "migration recovery", entry.id(), () -> {
            if (entry.step() == Step.COMMITTED) {
                LOG.info("domain {} was committed here before the restart: resuming it", domain.name());
                destination.committed.complete(in);
                destination.forget(in);
            } else {
                destination.abort(in, "the daemon restarted before the migration was committed");
            }
            return null;
        });
        leftInHand.remove(entry.id());
    }

    /**
     * Whether an arrival {@link #settle} left in hand, its wait for the domain's job ended unserved (a start's long
     * boot held it), was dropped since by another caller (its source's settle, the watchdog, domjobabort), its abort
     * recorded: settled again, it would be dropped twice, its leases given back past the state that abort recorded.
     */
    boolean droppedSince(Journal.Entry entry) {
        return leftInHand.contains(entry.id()) && destination.find(entry.id()).isEmpty()
                && leftInHand.remove(entry.id());
    }

    /** An uncommitted arrival whose record names the disks whose leases its Finish may have taken. */
    static boolean givesBackLeases(Journal.Entry entry) {
        return entry.role() == Journal.Role.DESTINATION && !entry.step().isCommitted() && !entry.disks().isEmpty();
    }

    /**
     * Settles an arrival whose domain this host no longer knows (an offline one's incoming domain lives in memory until
     * Finish): aborted, and whatever it staged goes with it, unless it was committed here.
     */
    void abortGone(Journal.Entry entry) throws Exception {
        if (givesBackLeases(entry)) {
            destination.abortedGone(entry);
        } else if (!entry.step().isCommitted()) {
            m.journal.record(entry.at(Step.ABORTED));
        }
        if (entry.step().isCommitted() && m.domains.store().stagedDefinition(entry.id()).isEmpty()) {
            // no definition to come: the domain left for good since (a transient guest that ended while the daemon was
            // down, one undefined), and the snapshots it could not store go with it, as a transient domain's do; kept,
            // they were committed as those of the next domain of its name here. Or its staging was deleted: its source,
            // asking, hears that no definition is kept here (DestinationSide#definitionLost) and keeps its own
            m.snapshots.discard(entry.id());
            m.journal.record(entry.at(Step.FINISHED));
            LOG.warn("migration {} of {} was committed here, and its domain has left this host since (or the definition it"
                    + " staged was deleted: its source keeps its own): the snapshots it could not store are discarded with it",
                    entry.id(), entry.domain());
        } else if (entry.step().isCommitted()) {
            // its definition could not be installed (again): what it brought stays staged for the next start
            LOG.error("migration {} of {} was committed here, but its domain is not defined: its definition and"
                    + " snapshots stay staged for the next start of the daemon", entry.id(), entry.domain());
        } else {
            m.domains.migrating().discardIncomingDefinition(entry.id());
            m.snapshots.discard(entry.id());
        }
    }
}
