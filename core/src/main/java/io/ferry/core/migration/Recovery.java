package io.ferry.core.migration;

import io.ferry.core.domain.Domain;
import io.ferry.core.section.MigrationLog;
import java.io.IOException;
import java.util.List;
import java.util.Optional;
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
 *              (no copy left)        completed: CONFIRMED       -
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
    private final ArrivalRecovery arrivals;
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
        this.arrivals = new ArrivalRecovery(migrations, destination);
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
        arrivals.discardStagingOfTheUnknown();
        source.rolledBack.findAfterRestart(); // once the unfinished ones are claimed: recovery settles those first
    }

    private void take(Journal.Entry entry) throws Exception {
        if (entry.role() == Journal.Role.DESTINATION && entry.step() == Step.COMMITTED) {
            arrivals.installDefinition(entry);
        }
        Optional<Domain> domain = domainOf(entry);
        if (domain.isEmpty() && ArrivalRecovery.givesBackLeases(entry) && !m.domains.leases().ready()) {
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
        if (destination.outlivedBy(entry, domain.get())) {
            return;
        }
        pending.add(entry);
        if (heldByAnother(entry, domain.get())) {
            return;
        }
        m.domains.migrating().claim(domain.get(), entry.id());
        if (!arrivals.waitsForItsFiles(entry, domain.get())) {
            LOG.info("migration {} of {} was left at {}: settling it", entry.id(), entry.domain(),
                    entry.step().display());
        }
    }

    void tick() {
        for (Journal.Entry entry : pending) {
            try (var tag = MigrationLog.tag(entry.id())) {
                if (settleAfterRestart(entry)) {
                    pending.remove(entry);
                }
            } catch (Throwable e) { // an Error too: the entry stays pending, tried again at the next look
                logFailure("recovery of migration " + entry.id(), e);
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
                inBackground(o.id, "settling migration " + o.id, o.settling,
                        () -> settlement.settle(o, silent ? "its driver is gone" : "no Confirm came"));
            }
        }
        for (Incoming in : destination.all()) {
            String why = abortDue(in, now);
            if (why != null) {
                inBackground(in.id, "settling migration " + in.id, in.settling, () -> drop(in, why));
            }
        }
        destination.committed.dropLeftForGood();
        if (source.rolledBack.any()) {
            inBackground(null, "resuming rolled back guests", resuming, source.rolledBack::retry);
        }
        // an abort may wait for a debt settled otherwise (a new VM of the domain here took the leases over): it is
        // recorded then, else its source hears "in progress" for good and the domain cannot migrate from here
        boolean owing = m.domains.leases().owed().owesAny() || destination.abortsAwaitLeases();
        if (owing) {
            inBackground(null, "giving back owed leases", givingBack, () -> {
                destination.giveBackOwedLeases();
                // a destroyed or ended VM's
                m.domains.leases().owed().giveBackOwed(this::recorded);
            });
        }
    }

    /** Whether the journal records migration {@code id}; one whose record cannot be read now may. */
    private boolean recorded(String id) {
        try {
            return m.journal.find(id).isPresent();
        } catch (IOException e) {
            LOG.warn("{}: the disk leases owed for it are not given back yet", e.getMessage());
            return true;
        }
    }

    private interface Task {
        void run() throws Exception;
    }

    /**
     * Why the watchdog drops an incoming migration now: its driver is gone or no Finish came, or an abort whose incoming
     * VM outlived its kill is due to be tried again (the VM may have died at last); null if none.
     */
    private String abortDue(Incoming in, long now) {
        if (in.driver.inCall()) {
            return null;
        }
        if (in.abortPending != null) {
            return now >= in.retryAbortAt ? in.abortPending : null;
        }
        boolean silent = in.driver.gone(m.timing.driverTimeoutMillis());
        boolean overdue = in.memoryEndedAt > 0 && now - in.memoryEndedAt > m.timing.finishWaitMillis();
        return in.step() != Step.PREPARED ? null : silent ? "its driver is gone" : overdue ? "no Finish came" : null;
    }

    private void drop(Incoming in, String why) throws Exception {
        m.domains.withJob(in.domain, "migration clean-up", in.id, () -> {
            if (destination.find(in.id).isPresent() && !in.driver.inCall()
                    && (in.step() == Step.PREPARED || in.abortPending != null)) {
                destination.abort(in, why);
            }
            return null;
        });
    }

    /**
     * Runs {@code task} in the background unless the one {@code busy} marks still runs. Its failure is logged, an
     * Error's too (its thread would die unseen); a task the executor refuses (shut down, no thread to be had) is not
     * marked under way: the next look tries again.
     *
     * @param id the migration to tag its log lines with; null for none
     * @param what what the task does, for the log
     */
    private void inBackground(String id, String what, AtomicBoolean busy, Task task) {
        if (!busy.compareAndSet(false, true)) {
            return;
        }
        try {
            background.execute(() -> {
                try (var tag = id == null ? null : MigrationLog.tag(id)) {
                    task.run();
                } catch (Throwable e) {
                    logFailure(what, e);
                } finally {
                    busy.set(false);
                }
            });
        } catch (Throwable e) {
            busy.set(false);
            logFailure(what + " cannot start now (tried again at the next look)", e);
        }
    }

    /** An Exception says what went wrong; an Error (a limit reached, a bug) is named, with where it came from. */
    private static void logFailure(String what, Throwable e) {
        if (e instanceof Exception) {
            LOG.error("{}: {}", what, e.getMessage());
        } else {
            LOG.error("{}: {}", what, e.toString(), e);
        }
    }

    /** @return true once the entry is taken in hand */
    private boolean settleAfterRestart(Journal.Entry entry) throws Exception {
        if (arrivals.droppedSince(entry)) {
            return true;
        }
        Domain domain = domainOf(entry).orElse(null);
        if (domain == null && ArrivalRecovery.givesBackLeases(entry) && !m.domains.leases().ready()) {
            return false;
        }
        if (domain == null) {
            abortGone(entry);
            return true;
        }
        if (arrivals.waitsForItsFiles(entry, domain) || domain.isActive() && domain.vm() == null) {
            return false; // its driver has not re-attached the VM yet (an unreadable domain's: never, until a restart)
        }
        if (heldByAnother(entry, domain)) {
            return false;
        }
        m.domains.migrating().claim(domain, entry.id()); // once the other migration of it that held it was settled
        if (stoppedByProtocol2(entry, domain)) {
            m.domains.withJob(domain, "migration recovery", entry.id(), () -> {
                completedWithItsCopyGone(entry, domain);
                return null;
            });
            return true;
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
        // told by the VM its driver re-attached since. One a look before left in hand, its wait for the job ended
        // unserved, is settled by the drop in the job (IncomingMigrations#abort) instead, which lets go of it
        if (destination.find(entry.id()).isEmpty() && destination.outlivedBy(entry, domain)) {
            m.domains.migrating().release(domain, entry.id());
            return true;
        }
        arrivals.settle(entry, domain);
        return true;
    }

    /**
     * Whether a protocol-2 source at PERFORMING has no copy left here: its domain shut off (Perform's completion
     * destroyed the VM, or it died) while a live migration's memory left. Only the destination's incoming VM may hold
     * the guest: settled with it, the destination would drop it.
     */
    private static boolean stoppedByProtocol2(Journal.Entry entry, Domain domain) {
        return entry.role() == Journal.Role.SOURCE && entry.step() == Step.PERFORMING && entry.flags().v2()
                && !entry.flags().offline() && domain.problem() == null && !domain.isActive();
    }

    /**
     * Records CONFIRMED for a protocol-2 source whose copy is gone ({@link #abortGone}, {@link #stoppedByProtocol2}):
     * the destination's Finish runs the guest if its memory all arrived, and fails on its own checks if not. A
     * definition kept here stays, --undefinesource or not: that Finish may fail and drop the destination's.
     */
    private void completedWithItsCopyGone(Journal.Entry entry, Domain domain) throws IOException {
        String kept = domain == null || domain.persistent() == null ? "" : " (its definition stays here)";
        String why = entry.flags().offline() ? "its Perform undefined it" : "its Perform stopped it, or it died";
        LOG.warn("migration {} of {} was left at {} under protocol 2 with no copy of it here: {}; the destination's"
                + " Finish decides{}", entry.id(), entry.domain(), entry.step().display(), why, kept);
        m.journal.record(entry.at(Step.CONFIRMED));
        if (domain != null) {
            m.domains.migrating().release(domain, entry.id());
        }
    }

    /**
     * Whether another unfinished migration of the domain holds it (an arrival of it that never committed, and its
     * migration away since): settled one after the other, each seeing the domain as the other left it. The second
     * taken in hand was dropped, its guest left paused.
     */
    private static boolean heldByAnother(Journal.Entry entry, Domain domain) {
        if (domain.migration() == null || domain.migration().equals(entry.id())) {
            return false;
        }
        LOG.info("migration {} of {} was left at {}: settled once migration {} of it is", entry.id(), entry.domain(),
                entry.step().display(), domain.migration());
        return true;
    }

    /**
     * The migration's domain: the one of its name, unless that is another domain (another UUID: the migration's went,
     * and an operator defined the name anew since), which the migration's recovery never touches. An unreadable one may
     * not tell its UUID, or tell its definition's while its status was the migration's: it counts as the migration's.
     */
    private Optional<Domain> domainOf(Journal.Entry entry) {
        return m.domains.find(entry.domain())
                .filter(domain -> domain.problem() != null || entry.uuid().equals(domain.uuid()));
    }

    /**
     * Settles a migration whose domain this host no longer knows (an offline one's incoming domain lives in memory
     * until Finish), or whose name another domain took since ({@link #domainOf}): aborted, unless it was committed here
     * ({@link ArrivalRecovery#abortGone} for an arrival) or its copy here was stopped (a source PERFORMED, or
     * PERFORMING under protocol 2).
     */
    private void abortGone(Journal.Entry entry) throws Exception {
        if (entry.role() == Journal.Role.DESTINATION) {
            arrivals.abortGone(entry);
        } else if (entry.step() == Step.PERFORMED) {
            // a source stops and forgets its domain only once the destination committed (Confirm's clean-up, cut
            // short before its record): the migration completed, whatever its driver asks later
            m.journal.record(entry.at(Step.CONFIRMED));
        } else if (entry.step() == Step.PERFORMING && entry.flags().v2()) {
            // protocol 2's Perform stops the copy here (an offline one's undefines it), and drops a definition,
            // before its record (a kill in between), or the VM died: not aborted, since its driver would then have
            // the destination drop the only copy
            completedWithItsCopyGone(entry, null);
        } else if (!entry.step().isCommitted()) {
            m.journal.record(entry.at(Step.ABORTED));
        }
    }
}
