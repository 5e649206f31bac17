package io.ferry.core.migration;

import io.ferry.core.domain.DomainException;
import io.ferry.protocol.ChannelException;
import io.ferry.protocol.Messages.Confirm;
import io.ferry.protocol.Messages.Fate;
import io.ferry.protocol.Messages.Outcome;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How a source's migration ends. Once a Perform cookie has left (the memory, in protocol 2) only the
 * destination knows whether it committed, so Confirm, the watchdog, recovery after a restart and the operator
 * ({@code domjobabort}, {@code resume}: {@link SourceResume}) all end it here the same way: ask the destination to
 * settle it (abort it unless it committed), then stop the copy here if it committed, resume it if it did not, and
 * keep it paused while nobody can say. Once the migration is PERFORMED, the destination is asked before the domain's
 * job is taken: its answer may take minutes ({@link io.ferry.protocol.HttpPeer#ANSWER_DEADLINE_MILLIS}), and the
 * operator's commands on the domain must not wait for it. Before then a Perform may hold the job and still stop the
 * copy here (protocol 2's, once the memory left), so the destination is asked in the job, once Perform has ended.
 * Committed and aborted are final, so such an answer still holds once the job is taken; "cannot say yet" is not, and a
 * forced resume that would act on it asks again in the job ({@link SourceResume}). The migration is looked up again
 * there, as another of them may have ended it meanwhile.
 */
final class Settlement {
    private static final Logger LOG = LoggerFactory.getLogger(Settlement.class);

    private final Migrations m;
    private final SourceSide source;

    Settlement(Migrations migrations, SourceSide source) {
        this.m = migrations;
        this.source = source;
    }

    /**
     * The destination's word on the migration: COMMITTED, ABORTED (with the lease state to take the leases back
     * with, when it held them), or IN_PROGRESS while it cannot say.
     */
    Fate ask(Outgoing o) {
        if (o.peer() == null) {
            return new Fate(o.id, Outcome.ABORTED); // Perform never started: no destination was ever given the memory
        }
        Fate fate;
        try {
            fate = m.peers.peer(o.peer()).settle(o.id, o.key());
        } catch (ChannelException e) {
            if (o.asks.changed("unreachable: " + e.getMessage())) {
                LOG.warn("cannot learn from {} what became of migration {}: {}; {} stays paused (asked again after {} s, then"
                        + " at intervals doubling up to {} s)", o.peer(), o.id, e.getMessage(), o.domain.name(),
                        PeerBackoff.FIRST_MILLIS / 1000, PeerBackoff.MOST_MILLIS / 1000);
            }
            return new Fate(o.id, Outcome.IN_PROGRESS);
        }
        if (fate.outcome() == Outcome.IN_PROGRESS) {
            if (o.asks.changed(fate.busy() ? PeerBackoff.BUSY : PeerBackoff.IN_PROGRESS)) {
                LOG.info("the destination {} cannot say yet what became of migration {}{}: {} stays paused until it"
                        + " does", o.peer(), o.id, fate.busy() ? " (its Finish or Prepare holds the domain there)" : "",
                        o.domain.name());
            }
            return fate;
        }
        if (fate.outcome() != Outcome.UNKNOWN) {
            return fate;
        }
        String prepared = o.entry().peerJournal();
        if (prepared != null && !prepared.equals(fate.journal())) {
            if (o.forgotten.compareAndSet(false, true)) {
                LOG.error("{}; {} stays paused", forgotten(o, fate), o.domain.name());
            }
            return new Fate(o.id, Outcome.IN_PROGRESS);
        }
        return new Fate(o.id, Outcome.ABORTED);
    }

    /**
     * The destination's word, asked before the job is taken; null when it is not asked then. Only at PERFORMED: before,
     * a Perform may hold the job and still stop the copy here (protocol 2, once its memory left), and a settle would
     * have the destination drop the only other one; the job's holder asks in it once that Perform has ended.
     */
    Fate askFirst(Outgoing o) {
        return o.step() != Step.PERFORMED || source.find(o.id).isEmpty() ? null : ask(o);
    }

    /**
     * What {@link #askFirst} answered, if it is final (committed, aborted); null for an answer that the destination
     * cannot say yet, or cannot be reached: by the time the job is taken, the driver's Finish may have committed there.
     */
    static Fate decided(Fate asked) {
        return asked == null || asked.outcome() == Outcome.IN_PROGRESS ? null : asked;
    }

    /**
     * Ends the migration by the failure matrix, if anyone can say how. Caller holds the job.
     *
     * @param asked what {@link #askFirst} answered; null: asked now (the migration's Perform ended in the meantime)
     */
    Outcome settleInJob(Outgoing o, Fate asked) throws Exception {
        Fate fate = o.mayRollBackAlone() ? new Fate(o.id, Outcome.ABORTED) : asked != null ? asked : ask(o);
        switch (fate.outcome()) {
            case COMMITTED -> source.complete(o, null, fate.keepsDefinition());
            case ABORTED -> source.rollback(o, o.mayRollBackAlone() ? "it ended before the destination could commit it"
                    : "the destination did not commit it", fate.leaseState());
            default -> {
            }
        }
        return fate.outcome();
    }

    /**
     * The watchdog's settlement: asks the destination, then takes the job and ends the migration by its word, unless it
     * ended meanwhile or its driver came back (a Confirm asks again itself). Only its asks space themselves out
     * ({@link PeerBackoff}); the driver's Confirm and the operator's ask at once and leave them be.
     */
    void settle(Outgoing o, String why) throws DomainException {
        if (source.find(o.id).isEmpty() || o.driver.inCall()) {
            return;
        }
        if (o.asks.fresh()) { // its repeats, while the destination cannot say, are not worth a line each
            LOG.info("settling migration {} of {} at {}: {}", o.id, o.domain.name(), o.step().display(), why);
        }
        Fate asked = askFirst(o);
        m.domains.withJob(o.domain, "migration settlement", o.id, () -> {
            if (source.find(o.id).isPresent() && !o.driver.inCall()) {
                if (settleInJob(o, asked) == Outcome.IN_PROGRESS) {
                    o.asks.undecided(m.clock.getAsLong()); // nobody can say yet: asked again later, each time later still
                }
            }
            return null;
        });
    }

    void confirm(Confirm request) throws Exception {
        Optional<Outgoing> found = source.find(request.id());
        if (found.isEmpty()) {
            confirmSettled(request);
            return;
        }
        Outgoing o = source.require(request.id(), request.key());
        try (DriverWatch.Call call = o.driver.enter()) {
            // only at PERFORMED: an out-of-order Confirm must not have the destination abort the migration
            Fate asked = askFirst(o);
            m.domains.withJob(o.domain, "migration confirm", o.id, () -> {
                if (source.find(o.id).isEmpty()) {
                    confirmSettled(request);
                    return null;
                }
                if (o.step() == Step.BEGUN && request.cancelled()) {
                    source.rollback(o, cancelled(request));
                    return null;
                }
                if (o.step() != Step.PERFORMED) {
                    throw SourceSide.outOfOrder("Confirm", o);
                }
                Fate fate = asked != null ? asked : ask(o);
                Outcome outcome = fate.outcome();
                if (outcome == Outcome.COMMITTED) {
                    source.complete(o, request.cookie(), fate.keepsDefinition());
                    if (request.cancelled()) {
                        throw new MigrationException("the destination committed migration " + o.id + ": domain "
                                + o.domain.name() + " runs there, and its copy here was stopped");
                    }
                } else if (outcome == Outcome.ABORTED) {
                    source.rollback(o, request.cancelled() ? cancelled(request) : "the destination did not commit it",
                            fate.leaseState());
                    if (!request.cancelled()) {
                        throw new MigrationException("the destination did not commit migration " + o.id + ": domain "
                                + o.domain.name() + " goes on here");
                    }
                } else {
                    throw new MigrationException(undecided(o));
                }
                return null;
            });
        }
    }

    /** Confirm of a migration that already ended here: repeated calls get the same answer. */
    private void confirmSettled(Confirm request) throws MigrationException {
        Optional<Journal.Entry> entry = m.journal.findOrRefuse(request.id()).filter(e -> e.role() == Journal.Role.SOURCE
                && Migrations.keyMatches(e.key(), request.key()));
        if (entry.isPresent() && entry.get().step() == Step.CONFIRMED) {
            if (request.cancelled()) {
                throw new MigrationException("migration " + request.id() + " already completed: domain "
                        + entry.get().domain() + " runs on the destination");
            }
            return;
        }
        if (entry.isPresent() && entry.get().step() == Step.ABORTED) {
            if (!request.cancelled()) {
                throw new MigrationException("migration " + request.id() + " was aborted: domain " + entry.get().domain()
                        + " stays on this host");
            }
            return;
        }
        throw new MigrationException("no migration " + request.id() + " is under way on this host");
    }

    /** {@code domjobabort} of an outgoing migration; returns what was done. */
    String abort(Outgoing o) throws Exception {
        if (o.step() == Step.PERFORMING && o.job != null) {
            o.job.abort(); // the transfer stops; Perform fails and rolls back
        }
        Fate asked = askFirst(o);
        try {
            return m.domains.withJob(o.domain, "domjobabort", o.id, () -> abortInJob(o, asked));
        } catch (DomainException e) {
            if (source.find(o.id).isPresent()) {
                throw e;
            }
            // it ended while this waited for the job (its transfer stopped, it rolled back), and a migration that
            // waited for the domain took it: refused as that one's, yet this abort did what it was asked
            return ended(o);
        }
    }

    private String abortInJob(Outgoing o, Fate asked) throws Exception {
        String name = o.domain.name();
        if (source.find(o.id).isEmpty()) {
            return ended(o);
        }
        if (o.step() == Step.BEGUN) {
            source.rollback(o, "aborted by the operator (domjobabort)");
            return "Migration " + o.id + " of " + name + " aborted before any memory moved: " + name + " runs here";
        }
        Outcome outcome = settleInJob(o, asked);
        return switch (outcome) {
            case ABORTED -> "Migration " + o.id + " of " + name + " aborted: the destination had not committed it, "
                    + name + " runs here";
            case COMMITTED -> throw new MigrationException("too late to abort migration " + o.id
                    + ": the destination committed it; " + name + " runs there and its copy here was stopped");
            default -> throw new MigrationException("cannot abort migration " + o.id + ": " + undecided(o));
        };
    }

    /** The answer of an abort of a migration that has ended here: aborted, or too late. */
    private String ended(Outgoing o) throws MigrationException {
        String name = o.domain.name();
        Step end = m.journal.findOrRefuse(o.id).map(Journal.Entry::step).orElse(Step.ABORTED);
        if (end == Step.CONFIRMED) {
            throw new MigrationException("too late to abort migration " + o.id + ": it completed, domain " + name
                    + " runs on the destination");
        }
        return "Migration " + o.id + " of " + name + " aborted: " + name + " runs here";
    }

    private static String cancelled(Confirm request) {
        return request.reason() == null ? "cancelled by its driver" : request.reason();
    }

    /** The daemon answering at the destination's address has no record of the migration, and is not the one that had. */
    private static String forgotten(Outgoing o, Fate fate) {
        return "the daemon at " + o.peer() + " has no record of migration " + o.id + ", but it does not answer from the"
                + " journal that prepared it" + (fate.journal() == null ? " (it names none)" : "") + ": its state directory"
                + " was wiped or replaced, or another daemon listens there, and the guest may run on the destination host"
                + " all the same";
    }

    private static String undecided(Outgoing o) {
        String name = o.domain.name();
        if (o.forgotten.get()) {
            return "the destination " + o.peer() + " no longer knows migration " + o.id + " (its journal is not the one that"
                    + " prepared it), so domain " + name + (o.domain.vm() == null ? " has no VM left here and stays claimed; once"
                    + " you know it does not run on the destination host, ferry resume " + name + " gives the migration up"
                    : " stays paused here; once you know it does not run on the destination host, ferry resume " + name
                    + " runs it here");
        }
        if (o.asks.saidInProgress()) { // it is up: no "gone for good" to act on
            String stays = o.domain.vm() == null ? ", and no VM of it is left here; it stays claimed until the"
                    + " destination says" : ", so it stays paused here until it does";
            // a busy one ends in a moment, and resume --force refuses it meanwhile; another may last (a damaged record)
            String decide = o.asks.saidBusy() ? "" : "; once you know it does not run on the destination host, ferry"
                    + " resume " + name + (o.domain.vm() == null ? " gives the migration up" : " runs it here");
            return unsaid(o, "domain " + name) + stays + " (this host asks again by itself)" + decide;
        }
        String here = o.domain.vm() == null ? ", and no VM of it is left here; once you know the destination is gone for"
                + " good, ferry resume " + name + " gives the migration up" : ", so it stays paused here until it does; once"
                + " you know the destination is gone for good, ferry resume " + name + " runs it here";
        return unsaid(o, "domain " + name) + here;
    }

    /**
     * Why the destination's word is missing: it does not answer, or it answered that the migration is still under way
     * there (its Finish or Prepare holds the domain there right now, a record it cannot read, leases it still has to
     * give back), which an operator must not take for a host gone.
     */
    static String unsaid(Outgoing o, String what) {
        String busy = o.asks.saidBusy() ? " (its Finish or Prepare holds the domain there right now)" : "";
        return o.asks.saidInProgress() ? "the destination " + o.peer() + " answers that migration " + o.id + " is still under"
                + " way there" + busy + " and cannot say yet whether it runs " + what : "the destination " + o.peer()
                + " does not answer whether it runs " + what;
    }
}
