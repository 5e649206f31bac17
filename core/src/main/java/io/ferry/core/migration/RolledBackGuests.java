package io.ferry.core.migration;

import io.ferry.api.hypervisor.GuestState;
import io.ferry.api.hypervisor.VirtualMachine;
import io.ferry.core.domain.Domain;
import io.ferry.core.domain.DomainState;
import io.ferry.core.domain.GuestCalls;
import io.ferry.core.domain.Leases;
import io.ferry.core.domain.ReleasedLeases;
import io.ferry.core.domain.ShownState;
import io.ferry.core.section.MigrationLog;
import java.io.IOException;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The guests a source's rollback resumes: their leases, given back at the switch-over, are taken back first. One whose
 * leases cannot be taken back because the lock manager is not there or cannot reach its store (which says nothing of
 * the disks) stays paused, and the watchdog tries again every second with the same state until it resumes it. A
 * restarted daemon finds such guests again ({@link #findAfterRestart}): paused for the migration their released leases
 * name, which its journal says rolled back here and found them running.
 */
final class RolledBackGuests {
    private static final Logger LOG = LoggerFactory.getLogger(RolledBackGuests.class);

    private final Migrations m;
    /** Guests left paused by a rollback that could not reach the lock manager or its store, by name: resumed later. */
    private final Map<String, Domain> toResume = new ConcurrentHashMap<>();

    RolledBackGuests(Migrations migrations) {
        this.m = migrations;
    }

    /**
     * Takes the paused guest's leases back with {@code state} (null: the kept one) and resumes it; one the lock manager
     * cannot answer for now is tried again every second. Caller holds the job.
     *
     * @return why it does not run (logged), for a caller with someone to tell; null if it runs
     */
    Exception resume(Domain domain, String state) {
        try {
            resumeWithLeases(domain, state);
            return null;
        } catch (Exception e) {
            if (Leases.unreachable(e)) { // the kept state is presented again until the lock manager answers
                toResume.put(domain.name(), domain);
                LOG.error("domain {} stays paused until its leases can be taken back (tried every second): {}",
                        domain.name(), e.getMessage());
            } else if (e instanceof GuestCalls.Unanswered) {
                LOG.error("migration rolled back: {}", e.getMessage()); // not "stays paused": it may run
            } else if (e instanceof GuestCalls.NotRunning) {
                LOG.warn("migration rolled back: {}; it is shut off as the migration ends", e.getMessage());
            } else {
                // someone took the leases since the switch-over: running here could mean running twice, or over disks
                // another host wrote; the domain keeps the state they were released with, and a resume presents it
                LOG.error("domain {} stays paused: {}", domain.name(), e.getMessage());
            }
            return e;
        }
    }

    /**
     * A rolled back guest that its hypervisor paused by itself (a disk's I/O error) stays paused: not the migration's
     * pause to undo, its operator's to resume once the cause is dealt with, which takes back leases its switch-over gave
     * back (with the state the destination's release returned, if it took them). Returns whether it was such a guest.
     * Caller holds the job.
     */
    boolean keptPausedByItsHypervisor(Domain domain, String migration, String destinationLeases) throws Exception {
        VirtualMachine vm = domain.vm();
        Optional<GuestState.PausedBy> pausedBy = vm == null || !domain.isActive() ? Optional.empty()
                : ShownState.pausedByHypervisor(vm);
        if (pausedBy.isEmpty()) {
            return false;
        }
        m.domains.pausedLeases().handOn(domain, destinationLeases);
        m.domains.setState(domain, DomainState.PAUSED, DomainState.Reason.UNKNOWN);
        LOG.warn("domain {} stays paused after migration {} failed: its hypervisor paused it by itself ({}); ferry resume {}"
                + " runs it again", domain.name(), migration, ShownState.reason(pausedBy.get()).display(), domain.name());
        return true;
    }

    private void resumeWithLeases(Domain domain, String state) throws Exception {
        GuestCalls.requireNotEnded(domain); // nothing to run: its leases go back once it is shut off
        m.domains.pausedLeases().takeBack(domain, state);
        GuestCalls.resume(domain);
        m.domains.setState(domain, DomainState.RUNNING, DomainState.Reason.MIGRATION_CANCELED);
        LOG.info("domain {} resumed on the source", domain.name());
    }

    /**
     * After a restart, before the watchdog's first look: the guests a rollback left paused without their leases, as
     * their status files say (paused for a migration, with the state their release returned and its id), whose
     * migration the journal records as rolled back here from a guest that ran. Not one whose migration is unsettled (the
     * destination may run it: recovery settles it first), nor one its operator paused, nor one whose status names no
     * migration (written by an earlier version): those wait for ferry resume, as before.
     */
    void findAfterRestart() {
        for (Domain domain : m.domains.list()) {
            ReleasedLeases released = domain.releasedLeases();
            if (released == null || released.isLost() || released.migration() == null || domain.migration() != null
                    || !pausedForAMigration(domain)) {
                continue;
            }
            if (rolledBack(released.migration(), domain)) {
                toResume.put(domain.name(), domain);
                try (var tag = MigrationLog.tag(released.migration())) {
                    LOG.warn("domain {} was left paused without its disk leases by migration {}, rolled back here: it"
                            + " resumes once they are taken back (tried every second)", domain.name(),
                            released.migration());
                }
            }
        }
    }

    /** Whether the journal records migration {@code id} as rolled back here from {@code domain} that ran. */
    private boolean rolledBack(String id, Domain domain) {
        try {
            return m.journal.find(id).filter(e -> e.role() == Journal.Role.SOURCE && e.step() == Step.ABORTED
                    && e.wasRunning() && e.domain().equals(domain.name()) && e.uuid().equals(domain.uuid()))
                    .isPresent();
        } catch (IOException e) {
            LOG.error("{}: domain {} waits for ferry resume", e.getMessage(), domain.name());
            return false;
        }
    }

    private static boolean pausedForAMigration(Domain domain) {
        return domain.state() == DomainState.PAUSED && domain.reason() == DomainState.Reason.MIGRATION;
    }

    /**
     * Whether the guest waits here for its leases to resume by itself: it ran before its rollback paused it, so a
     * migration of it counts it as running (resumed where its leases are taken, or by its own rollback). Caller holds
     * the job.
     */
    boolean waitsToResume(Domain domain) {
        return toResume.get(domain.name()) == domain && pausedForAMigration(domain);
    }

    /** The guest's migration committed: it runs on its destination, and never again by a resume from here. */
    void forget(Domain domain) {
        toResume.remove(domain.name(), domain);
    }

    /**
     * Resumes the guests whose leases can be taken back now: the watchdog's part. One resumed by the operator
     * meanwhile, or gone, is left as it is; one whose leases another host took meanwhile stays paused for good. Tries
     * none while the lock manager is not there, nor one whose VM is not re-attached yet (a restart), nor one a
     * migration claims: that migration's end decides (committed, it is forgotten; rolled back, its rollback resumes it
     * or it waits here again).
     */
    void retry() {
        if (!m.domains.leases().ready()) {
            return;
        }
        for (Domain domain : toResume.values()) {
            if (domain.isActive() && domain.vm() == null || domain.migration() != null) {
                continue; // its driver has not re-attached the VM yet, or a migration claims it
            }
            try {
                m.domains.withJob(domain, "migration rollback", () -> {
                    VirtualMachine vm = domain.vm();
                    if (vm != null && !vm.isRunning() && pausedForAMigration(domain) && domain.migration() == null) {
                        resumeWithLeases(domain, null);
                    }
                    return null;
                });
                toResume.remove(domain.name(), domain);
            } catch (Exception e) {
                if (!Leases.unreachable(e) && domain.migration() == null) { // claimed since the look above: kept
                    toResume.remove(domain.name(), domain);
                    LOG.error("domain {} stays paused: {}", domain.name(), e.getMessage());
                }
            }
        }
    }

    boolean any() {
        return !toResume.isEmpty();
    }
}
