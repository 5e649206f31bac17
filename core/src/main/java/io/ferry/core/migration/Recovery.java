package io.ferry.core.migration;

import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.core.domain.Domain;
import io.ferry.core.domain.DomainState;
import io.ferry.core.section.MigrationLog;
import java.io.IOException;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Settles the migrations nobody will drive to their end, by the failure matrix: before the destination
 * committed the domain goes on at the source, after it at the destination, never both. At start it takes the
 * journal's unfinished migrations in hand again; every tick it looks for migrations whose driver went silent
 * (no call under way, no keepalive) or that waited too long for their next phase.
 *
 * <pre>
 * side         step                  after a restart            driver gone / phase overdue
 * source       BEGUN                 roll back                  roll back
 * source       PERFORMING (v3)       roll back (no cookie left) stop the transfer (Perform then rolls back)
 * source       PERFORMING (v2)       ask the destination        -
 * source       PERFORMED             ask the destination        ask the destination
 * destination  PREPARED, FINISHING   drop the incoming VM       drop the incoming VM
 * destination  COMMITTED             resume, finish             -
 * </pre>
 * "Ask the destination" ({@link Settlement}): committed, the copy here goes; aborted (or unknown there), it
 * resumes here; no answer, it stays paused and is asked again later, at intervals growing from 1 s to 30 s
 * ({@link PeerBackoff}).
 */
final class Recovery {
    private static final Logger LOG = LoggerFactory.getLogger(Recovery.class);

    private final Migrations m;
    private final SourceSide source;
    private final DestinationSide destination;
    private final Settlement settlement;
    private final Executor background;
    private final List<Journal.Entry> pending = new CopyOnWriteArrayList<>();
    /** A give-back of owed leases is under way (a lock manager out of reach may take its time to say so). */
    private final AtomicBoolean givingBack = new AtomicBoolean();
    /** Rolled back guests are being resumed (their leases taken back). */
    private final AtomicBoolean resuming = new AtomicBoolean();

    /** @param background where settlements run, so that one frozen peer does not hold up the others */
    Recovery(Migrations migrations, SourceSide source, DestinationSide destination, Settlement settlement, Executor background) {
        this.m = migrations;
        this.source = source;
        this.destination = destination;
        this.settlement = settlement;
        this.background = background;
    }

    /** Takes the journal's unfinished migrations; their domains are claimed at once so nothing else starts them. */
    void load() {
        destination.adoptOwedLeases(); // before the watchdog's first look, and before any source asks
        List<Journal.Entry> unfinished;
        try {
            unfinished = m.journal.unfinished();
        } catch (Exception e) {
            LOG.error("cannot read the migration journal: {}", e.getMessage());
            return;
        }
        for (Journal.Entry entry : unfinished) {
            try {
                take(entry);
            } catch (Exception e) {
                // one entry's trouble must not leave the migrations after it unsettled
                LOG.error("migration {} of {} left at {} is not taken in hand: {}", entry.id(), entry.domain(),
                        entry.step().display(), e.getMessage());
            }
        }
        discardStagingOfTheUnknown();
        source.rolledBack.findAfterRestart(); // once the unfinished ones are claimed: recovery settles those first
    }

    /**
     * What arrivals staged (synced) that the journal does not know, or knows ended: a power cut can take a record
     * written without a sync (ABORTED; an earlier version's PREPARED) and keep the staging, or undo the staging's
     * unsynced removal. None of
     * it is ever to be committed (the commit point is synced), and nothing else would remove it.
     */
    private void discardStagingOfTheUnknown() {
        Set<String> staged = new TreeSet<>();
        try {
            m.domains.store().stagedDefinitions().forEach(file -> staged.add(file.name()));
            staged.addAll(m.snapshots.staged());
        } catch (Exception e) {
            LOG.error("cannot list what arrivals staged: {}", e.getMessage());
        }
        for (String id : staged) {
            if (m.journal.lost(id) || m.journal.find(id).map(entry -> entry.step().isFinal()).orElse(false)) {
                try {
                    m.domains.discardIncomingDefinition(id);
                    m.snapshots.discard(id);
                    LOG.warn("migration {} is unknown to the journal, or ended, but left what it staged here: discarded", id);
                } catch (Exception e) {
                    LOG.error("cannot discard what migration {} staged: {}", id, e.getMessage());
                }
            }
        }
    }

    private void take(Journal.Entry entry) throws Exception {
        if (entry.role() == Journal.Role.DESTINATION && entry.step() == Step.COMMITTED) {
            installDefinition(entry);
        }
        Optional<Domain> domain = m.domains.find(entry.domain());
        if (domain.isEmpty() && givesBackLeases(entry) && !m.domains.leases().ready()) {
            pending.add(entry); // its Finish's leases are given back once the lock manager is there
            return;
        }
        if (domain.isEmpty()) {
            try {
                abortGone(entry);
            } catch (IOException e) {
                LOG.error("cannot record the end of migration {} of {} yet: {}", entry.id(), entry.domain(), e.getMessage());
                pending.add(entry); // the watchdog records it once it can
            }
            return;
        }
        if (outlivedBy(entry, domain.get())) {
            return;
        }
        m.domains.claim(domain.get(), entry.id());
        pending.add(entry);
        LOG.info("migration {} of {} was left at {}: settling it", entry.id(), entry.domain(), entry.step().display());
    }

    /**
     * Whether an uncommitted arrival's entry is stale: its abort could not be recorded (a full disk) and the domain
     * has lived on here since (it arrived again, or was started). An incoming VM is paused for the migration until
     * the commit, so a domain that runs, or was paused for another reason, is not this migration's: it is left alone
     * and the abort recorded now. Dropping it as the incoming VM would destroy a guest whose source let it go.
     */
    private boolean outlivedBy(Journal.Entry entry, Domain domain) {
        if (entry.role() != Journal.Role.DESTINATION || entry.step().isCommitted() || !domain.isActive()
                || domain.state() == DomainState.PAUSED && domain.reason() == DomainState.Reason.MIGRATION) {
            return false;
        }
        LOG.warn("migration {} of {} was left at {}, but the domain is {} ({}) here since: not its incoming VM, which"
                + " was dropped when it aborted", entry.id(), entry.domain(), entry.step().display(), domain.state().display(),
                domain.reason().display());
        try {
            m.journal.record(entry.at(Step.ABORTED));
        } catch (IOException e) {
            LOG.error("cannot record the abort of migration {} yet: {}", entry.id(), e.getMessage());
        }
        return true;
    }

    /**
     * An offline migration's domain lived in memory only, until the definition it brought was installed. A live one's
     * runs here, and the definition it runs stands in for a staged one that cannot be read.
     */
    private void installDefinition(Journal.Entry entry) {
        DomainSpec known = m.domains.find(entry.domain()).filter(d -> d.uuid().equals(entry.uuid())).map(Domain::current)
                .orElse(null);
        try {
            m.domains.installIncomingDefinition(entry.id(), known);
        } catch (Exception e) {
            LOG.error("the definition migration {} brought for {} stays staged: {}", entry.id(), entry.domain(), e.getMessage());
        }
    }

    void tick() {
        for (Journal.Entry entry : pending) {
            try (var tag = MigrationLog.tag(entry.id())) {
                if (settleAfterRestart(entry)) {
                    pending.remove(entry);
                }
            } catch (Exception e) {
                LOG.error("recovery of migration {}: {}", entry.id(), e.getMessage());
            }
        }
        long now = m.clock.getAsLong();
        for (Outgoing o : source.all()) {
            boolean silent = o.driver.silentFor(m.timing.driverTimeoutMillis());
            if (o.step() == Step.PERFORMING && silent && o.job != null && !o.job.aborted()) {
                LOG.warn("the driver of migration {} is gone: stopping the transfer of {}", o.id, o.domain.name());
                o.job.abort();
            }
            boolean overdue = o.step() == Step.PERFORMED && now - o.performedAt > m.timing.confirmWaitMillis();
            if (!o.driver.inCall() && (silent || overdue) && o.asks.due(now)) {
                inBackground(o.id, o.settling, () -> settlement.settle(o, silent ? "its driver is gone" : "no Confirm came"));
            }
        }
        for (Incoming in : destination.all()) {
            boolean silent = in.driver.gone(m.timing.driverTimeoutMillis());
            boolean overdue = in.memoryEndedAt > 0 && now - in.memoryEndedAt > m.timing.finishWaitMillis();
            if (in.step() == Step.PREPARED && !in.driver.inCall() && (silent || overdue)) {
                inBackground(in.id, in.settling, () -> m.domains.withJob(in.domain, "migration clean-up", in.id, () -> {
                    if (destination.find(in.id).isPresent() && in.step() == Step.PREPARED && !in.driver.inCall()) {
                        destination.abort(in, silent ? "its driver is gone" : "no Finish came");
                    }
                    return null;
                }));
            }
        }
        if (source.rolledBack.any() && resuming.compareAndSet(false, true)) {
            background.execute(() -> {
                try {
                    source.rolledBack.retry();
                } finally {
                    resuming.set(false);
                }
            });
        }
        if (m.domains.leases().owed().owesAny() && givingBack.compareAndSet(false, true)) {
            background.execute(() -> {
                try {
                    destination.giveBackOwedLeases();
                    // a destroyed or ended VM's
                    m.domains.leases().owed().giveBackOwed(id -> m.journal.find(id).isPresent());
                } finally {
                    givingBack.set(false);
                }
            });
        }
    }

    private interface Task {
        void run() throws Exception;
    }

    private void inBackground(String id, AtomicBoolean busy, Task task) {
        if (!busy.compareAndSet(false, true)) {
            return;
        }
        background.execute(() -> {
            try (var tag = MigrationLog.tag(id)) {
                task.run();
            } catch (Exception e) {
                LOG.error("settling migration {}: {}", id, e.getMessage());
            } finally {
                busy.set(false);
            }
        });
    }

    /** @return true once the entry is taken in hand */
    private boolean settleAfterRestart(Journal.Entry entry) throws Exception {
        Domain domain = m.domains.find(entry.domain()).orElse(null);
        if (domain == null && givesBackLeases(entry) && !m.domains.leases().ready()) {
            return false;
        }
        if (domain == null) {
            abortGone(entry);
            return true;
        }
        if (domain.isActive() && domain.vm() == null) {
            return false; // its driver has not re-attached the VM yet
        }
        if (!m.domains.leases().ready()) {
            return false; // a rollback takes the leases back, an abort gives back what Finish took: not without the manager
        }
        if (entry.role() == Journal.Role.SOURCE) {
            Outgoing o = source.adopt(entry, domain);
            if (o.mayRollBackAlone()) {
                m.domains.withJob(domain, "migration recovery", entry.id(), () -> {
                    source.rollback(o, "its source daemon restarted before its memory could have moved");
                    return null;
                });
            } // otherwise only the destination can say: the watchdog asks it when no driver claims the migration
            return true;
        }
        Incoming in = destination.adopt(entry, domain);
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
        return true;
    }

    /** An uncommitted arrival whose record names the disks whose leases its Finish may have taken. */
    private static boolean givesBackLeases(Journal.Entry entry) {
        return entry.role() == Journal.Role.DESTINATION && !entry.step().isCommitted() && !entry.disks().isEmpty();
    }

    /**
     * Settles a migration whose domain this host no longer knows (an offline one's incoming domain lives in memory
     * until Finish): aborted, and whatever it staged goes with it, unless it was committed here.
     */
    private void abortGone(Journal.Entry entry) throws Exception {
        if (entry.role() == Journal.Role.SOURCE && entry.step() == Step.PERFORMED) {
            // a source stops and forgets its domain only once the destination committed (Confirm's clean-up, cut
            // short before its record): the migration completed, whatever its driver asks later
            m.journal.record(entry.at(Step.CONFIRMED));
        } else if (givesBackLeases(entry)) {
            destination.abortedGone(entry);
        } else if (!entry.step().isCommitted()) {
            m.journal.record(entry.at(Step.ABORTED));
        }
        if (entry.role() == Journal.Role.DESTINATION && entry.step().isCommitted()
                && m.domains.store().stagedDefinition(entry.id()).isEmpty()) {
            // no definition to come: the domain left for good since (a transient guest that ended while the daemon was
            // down, one undefined), and the snapshots it could not store go with it, as a transient domain's do; kept,
            // they were committed as those of the next domain of its name here
            m.snapshots.discard(entry.id());
            m.journal.record(entry.at(Step.FINISHED));
            LOG.warn("migration {} of {} was committed here, and its domain has left this host since: the snapshots it"
                    + " could not store are discarded with it", entry.id(), entry.domain());
        } else if (entry.role() == Journal.Role.DESTINATION && entry.step().isCommitted()) {
            // its definition could not be installed (again): what it brought stays staged for the next start
            LOG.error("migration {} of {} was committed here, but its domain is not defined: its definition and"
                    + " snapshots stay staged for the next start of the daemon", entry.id(), entry.domain());
        } else if (entry.role() == Journal.Role.DESTINATION) {
            m.domains.discardIncomingDefinition(entry.id());
            m.snapshots.discard(entry.id());
        }
    }
}
