package io.ferry.core.migration;

import io.ferry.core.domain.Domain;
import io.ferry.core.domain.DomainException;
import io.ferry.core.domain.DomainState;
import io.ferry.core.domain.GuestCalls;
import io.ferry.core.domain.Leases;
import io.ferry.core.section.MigrationLog;
import io.ferry.protocol.Messages.Fate;
import io.ferry.protocol.Messages.Outcome;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code ferry resume NAME}: a paused domain runs again only if that cannot make it run on two hosts. A migration's
 * source is settled with its destination first ({@link Settlement}); while the destination cannot say, the guest runs
 * here only if no other host holds its leases (with no lock manager, on the operator's {@code --force}, but not while
 * the destination's Finish or Prepare holds the domain there: that one may commit it in a moment).
 */
final class SourceResume {
    private static final Logger LOG = LoggerFactory.getLogger(SourceResume.class);

    private final Migrations m;
    private final SourceSide source;
    private final DestinationSide destination;
    private final Settlement settlement;

    SourceResume(Migrations migrations, SourceSide source, DestinationSide destination, Settlement settlement) {
        this.m = migrations;
        this.source = source;
        this.destination = destination;
        this.settlement = settlement;
    }

    /** {@code ferry resume NAME}: of a migration's source, of a domain recovery has yet to take in hand, or plain. */
    String resume(String domainName, boolean force) throws Exception {
        Domain domain = m.domains.get(domainName);
        Optional<Outgoing> out = source.ofDomain(domainName);
        if (out.isPresent()) {
            String resumed;
            try (var tag = MigrationLog.tag(out.get().id)) {
                resumed = resume(out.get(), force);
            }
            return resumed != null ? resumed : resume(domainName, force); // rolled back meanwhile: asked again
        }
        Optional<Incoming> in = destination.ofDomain(domainName);
        if (in.isPresent()) {
            throw new MigrationException("Requested operation is not valid: domain " + domainName + " is arriving by migration "
                    + in.get().id + " and cannot run here before the migration commits");
        }
        Optional<Journal.Entry> claimed = domain.migration() == null ? Optional.empty()
                : m.journal.findOrRefuse(domain.migration());
        if (claimed.isPresent() && !claimed.get().step().isFinal()) { // recovery claimed it, and takes it in hand once it can
            throw new MigrationException(awaitingRecovery(domainName, claimed.get()));
        }
        return resumePlain(domain);
    }

    /**
     * {@code ferry resume NAME} of a source whose migration cannot be settled: the destination is asked first; if
     * it cannot say, the domain runs here only if no other host holds its leases. Null when the migration rolled back
     * while this waited for its job (its Confirm, the watchdog's settlement): the domain is no longer its to answer
     * for.
     */
    private String resume(Outgoing o, boolean force) throws Exception {
        Fate asked = settlement.askFirst(o);
        return m.domains.withJob(o.domain, "resume", o.id, () -> {
            String name = o.domain.name();
            if (source.find(o.id).isEmpty()) {
                if (o.step() == Step.CONFIRMED) {
                    throw new MigrationException("cannot resume " + name + ": migration " + o.id + " ended while this"
                            + " waited for it, and " + name + " runs on its destination");
                }
                return null;
            }
            if (o.mayRollBackAlone()) {
                throw new MigrationException("Requested operation is not valid: domain " + name + " is being migrated "
                        + "(migration " + o.id + ", at " + o.step().display() + "); domjobabort stops it" + endsAlone(o));
            }
            // with nothing but the destination's word to guard the disks, --force must not act on a stale "cannot say"
            Outcome outcome = settlement.settleInJob(o, force && unguarded() ? Settlement.decided(asked) : asked);
            if (outcome == Outcome.ABORTED) {
                // a rollback that could not take the leases back left it paused: the plain resume says why
                return o.domain.state() == DomainState.RUNNING ? "Domain '" + name + "' resumed" : resumePaused(o.domain);
            }
            if (outcome == Outcome.COMMITTED) {
                throw new MigrationException("cannot resume " + name + ": the destination committed migration " + o.id
                        + "; " + name + " runs there and its copy here was stopped");
            }
            return forceResume(o, force);
        });
    }

    /**
     * What a resume refused while the migration may still roll back alone has to wait for, and what becomes of the
     * guest: no cookie that lets the destination run it has left, so the engine ends the migration itself when it
     * fails or its driver goes silent (the watchdog), and restores the state from before Begin.
     */
    private String endsAlone(Outgoing o) {
        String name = o.domain.name();
        String failure = o.step() == Step.PERFORMING ? "a failure of its transfer" : "a failure of its Prepare";
        String rollback = ", and so does " + failure + " or its driver's silence for " + m.timing.driverTimeoutMillis() / 1000
                + " s: it then rolls back here at once and ";
        return o.entry().wasRunning()
                ? rollback + name + " runs here again by itself; if it completes, " + name + " runs on the destination"
                : rollback + name + ", paused before the migration began, stays paused here (ferry resume " + name
                        + " runs it then); if it completes, " + name + " arrives paused on the destination";
    }

    /**
     * {@code ferry resume} of a domain a migration claimed at the daemon's start, which recovery takes in hand only once
     * its VM is re-attached and its lock manager is there: refused as any command the claim refuses, saying what it waits
     * for and that the migration then ends by itself.
     */
    private static String awaitingRecovery(String domain, Journal.Entry entry) {
        boolean askTheDestination = entry.step() == Step.PERFORMED // or protocol 2's memory left (Recovery's table)
                || entry.step() == Step.PERFORMING && entry.flags().v2();
        String then = entry.role() == Journal.Role.SOURCE && askTheDestination
                ? "it is then settled with its destination by itself, which says where " + domain + " runs"
                : entry.role() == Journal.Role.SOURCE ? "it then rolls back by itself, and " + domain + (entry.wasRunning()
                        ? " runs here again" : " stays paused here as it was before the migration began (ferry resume "
                        + domain + " runs it then)") : "it then ends by itself";
        return "Requested operation is not valid: domain " + domain + " is being migrated (migration " + entry.id() + "),"
                + " which is taken in hand again after the daemon's restart once its VM is re-attached and its lock"
                + " manager is there (see the log): " + then;
    }

    private String forceResume(Outgoing o, boolean force) throws Exception {
        String name = o.domain.name();
        if (unguarded() && o.asks.saidBusy() && !o.forgotten.get()) {
            throw new MigrationException(busy(o));
        }
        if (o.domain.vm() == null || o.domain.vmEnded().isPresent()) { // its process ended: nothing here to resume
            return giveUp(o, force);
        }
        String risk = "if " + name + " runs there, resuming it here runs it on two hosts at once";
        if (unguarded() && !force) {
            String unsaid = o.forgotten.get() ? "the daemon at " + o.peer() + " no longer knows migration " + o.id + " (its"
                    + " journal is not the one that prepared it)" : Settlement.unsaid(o, "it");
            throw new MigrationException("cannot resume " + name + ": " + unsaid
                    + ", and no lock manager guards its disks, so nothing here can tell; " + risk
                    + ". If you know the destination is gone for good: ferry resume --force " + name);
        }
        try {
            m.domains.pausedLeases().takeBack(o.domain, o.entry().leaseState());
        } catch (DomainException e) {
            throw new MigrationException("cannot resume " + name + ": " + e.getMessage() + "; it may run there, and " + risk);
        }
        LOG.warn("domain {} resumed by the operator while the destination {} could not say whether it runs it (migration {})",
                name, o.peer(), o.id);
        Exception notResumed = source.rollback(o, "resumed by the operator while its destination " + o.peer()
                + " could not say whether it runs it");
        if (notResumed instanceof GuestCalls.Unanswered) {
            throw notResumed; // it may run: not "could not be resumed"
        }
        if (o.domain.state() != DomainState.RUNNING) {
            throw new MigrationException("domain " + name + " could not be resumed"
                    + (notResumed == null ? "; see the log" : ": " + notResumed.getMessage()));
        }
        return "Domain '" + name + "' resumed\nwarning: the destination " + o.peer() + " did not say whether it runs "
                + name + " (" + (unguarded() ? "no lock manager guards its disks"
                : "no other host holds its leases") + "): " + risk;
    }

    /**
     * {@code ferry resume [--force]} without a lock manager while the destination's Finish or Prepare holds the domain
     * there: it may commit the migration in a moment, so the guest resumed here (or booted after a give-up) could run
     * on both hosts. Its answer is a matter of moments; any other "in progress" (a record it cannot read) may last, and
     * is the operator's to decide with {@code --force}.
     */
    private String busy(Outgoing o) {
        String name = o.domain.name();
        String stays = o.domain.vm() == null ? "claimed" : "paused";
        return "cannot resume " + name + ": " + Settlement.unsaid(o, "it") + ", and may commit it in a moment; no lock"
                + " manager guards the disks of " + name + ", so resumed here it could run on two hosts at once. It"
                + " stays " + stays + " here until the destination says (this host asks again by itself): wait a moment"
                + " and try again";
    }

    /**
     * {@code ferry resume} of a source whose VM is gone (its Confirm stopped it before a restart, the destination having
     * committed; or its host went down) while the destination cannot say: nothing runs here to resume, and the domain,
     * claimed until the destination answers, could be neither started nor undefined. The migration is given up here: a
     * later {@code ferry start} takes the disk leases anew, refused while another host holds them; without a lock
     * manager nothing guards them, so that takes {@code --force}.
     */
    private String giveUp(Outgoing o, boolean force) throws Exception {
        String name = o.domain.name();
        boolean unguarded = unguarded();
        if (unguarded && !force) {
            throw new MigrationException("cannot resume " + name + ": it has no VM here, and " + Settlement.unsaid(o, "it")
                    + "; no lock manager guards its disks, so a start here could run it"
                    + " on two hosts at once. If you know the destination is gone for good: ferry resume --force " + name
                    + " gives migration " + o.id + " up, and ferry start " + name + " boots it here");
        }
        LOG.warn("migration {} of {} given up by the operator: no VM here, and the destination {} could not say whether it"
                + " runs it", o.id, name, o.peer());
        source.rollback(o, "given up by the operator while its destination " + o.peer() + " could not say whether it runs it,"
                + " and no VM of it was left here");
        return "Migration " + o.id + " of " + name + " given up: " + name + " has no VM here to resume; ferry start " + name
                + " boots it here" + (unguarded ? "\nwarning: no lock manager guards its disks: if the destination " + o.peer()
                + " runs it, a start here runs it on two hosts at once" : ", which its disk leases refuse while another host"
                + " runs it");
    }

    /** No lock manager guards the domain's disks: only the destination's word says whether the guest runs there. */
    private boolean unguarded() {
        return m.domains.leases().managerName().equals("none");
    }

    /** Resume of a domain no migration holds. */
    private String resumePlain(Domain domain) throws DomainException {
        return m.domains.withJob(domain, "resume", () -> resumePaused(domain));
    }

    /**
     * A paused VM that gave its leases back (a migration's switch-over) runs again only if they are taken back with
     * the state they were released with: refused once another host held them, as they may have written its disks.
     */
    private String resumePaused(Domain domain) throws Exception {
        String name = domain.name();
        if (domain.vm() == null) {
            throw new MigrationException("Requested operation is not valid: domain is not running");
        }
        GuestCalls.requireNotEnded(domain);
        if (domain.vm().isRunning()) {
            throw new MigrationException("Requested operation is not valid: domain is already running");
        }
        try {
            m.domains.pausedLeases().takeBack(domain, null);
        } catch (DomainException e) {
            if (domain.releasedLeases() == null) {
                throw e;
            }
            if (Leases.unreachable(e)) {
                throw new MigrationException("cannot resume " + name + " now: " + e.getMessage() + "; it stays paused: resume it"
                        + " once the lock manager is there and reaches its store (a rolled back migration's guest"
                        + " resumes by itself then)", e);
            }
            LOG.error("domain {} stays paused: {}", name, e.getMessage());
            throw new MigrationException("cannot resume " + name + ": " + e.getMessage() + "; its copy here must not run: destroy"
                    + " it, and start it again once no other host runs it", e);
        }
        m.domains.migrating().changingRunState(domain, () -> {
            GuestCalls.resume(domain);
            m.domains.setState(domain, DomainState.RUNNING, DomainState.Reason.UNPAUSED);
            return null;
        });
        return "Domain '" + name + "' resumed";
    }
}
