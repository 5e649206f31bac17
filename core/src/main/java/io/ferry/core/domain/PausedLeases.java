package io.ferry.core.domain;

import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.api.lock.LockException;
import java.io.IOException;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The disk leases of paused VMs that stay on this host without them, kept as libvirt keeps a paused domain's lock
 * state: a migration's switch-over gives them back, and the state their release returned stays with the domain,
 * in its status file too, so that a restarted daemon has it. The VM runs again only once its leases are taken
 * back with that state, which the lock manager refuses if another host held them meanwhile (and may have written
 * the disks): nothing here takes free leases for such a VM. Resuming the VM forgets the state, and so does
 * stopping it ({@link DomainManager#setState}, {@link DomainManager#deactivate}).
 */
public final class PausedLeases {
    private static final Logger LOG = LoggerFactory.getLogger(PausedLeases.class);

    private final DomainManager manager;
    private final Leases leases;

    PausedLeases(DomainManager manager, Leases leases) {
        this.manager = manager;
        this.leases = leases;
    }

    /**
     * Records the VM paused for {@code migration} ({@link MigratingDomains#pausedFor}), whose switch-over gives its
     * leases back, and gives them back; returns the state their release returned, or null when it held none (leases
     * off); the migration is kept with the state. The status says they are away before they go, with the state they
     * are held with and their release unconfirmed, until the state it returned replaces it: a daemon killed anywhere
     * after that never lets the VM take free leases. Unconfirmed (killed between the release and that record, or the
     * lock manager lost its store's answer), the release is confirmed before they are taken back: the lock manager
     * gives them back as held, or sees its own release went through and hands on its state, or refuses if another
     * host held them since; one that cannot tell takes them with the held state, and a release that went through
     * leaves the VM paused for good, which is safe. Caller holds the job.
     */
    public String release(Domain domain, String migration) throws IOException, DomainException {
        boolean holds = leases.holds(domain.name());
        if (holds) {
            domain.releasedLeases(ReleasedLeases.releasing(leases.state(domain.name()), migration));
        }
        manager.migrating().pausedFor(domain, migration);
        if (!holds) {
            return null; // leases are off
        }
        String released = leases.release(domain.name());
        // before its record: what a rollback presents if that fails
        domain.releasedLeases(ReleasedLeases.withState(released, migration));
        manager.migrating().pausedFor(domain, migration);
        LOG.info("domain {}: disk leases given back while it stays paused here; their state is kept to take them back with",
                domain.name());
        return released;
    }

    /**
     * Takes the leases of a paused VM back, before it resumes: with {@code state} when given (one a later release
     * returned: the destination's, which held them at Finish), otherwise with the kept one; with none when the VM
     * keeps none (it holds them, or leases are off). A refusal (another host held them since) keeps the state
     * presented, in the status file too, and says what happened (a lock manager that is not there or cannot reach its
     * store, said as such, says nothing of the disks); the caller says what the operator may do.
     * Caller holds the job.
     */
    public void takeBack(Domain domain, String state) throws DomainException {
        ReleasedLeases kept = domain.releasedLeases();
        if (kept != null && kept.isLost()) {
            throw new DomainException("another host held the disk leases of " + domain.name() + " when this daemon re-attached"
                    + " its VM, which it paused (" + kept.lost() + "): its disks may have been written by another host since");
        }
        String presented = state != null ? state : kept == null ? null : kept.state();
        try {
            if (state == null && kept != null && kept.unconfirmed()) {
                presented = confirmRelease(domain, kept);
            }
            leases.acquire(domain.live(), presented);
        } catch (DomainException e) {
            if (kept == null && state == null) {
                throw e; // the VM gave none back: a plain refusal
            }
            keep(domain, presented, e);
            if (Leases.unreachable(e)) { // says nothing of the disks: the same state is presented again later
                String why = e instanceof Leases.ManagerAway ? e.getMessage()
                        : "the lock manager cannot reach its lease store (" + e.getMessage() + ")";
                throw new DomainException("the disk leases of " + domain.name() + ", given back while it stayed paused here,"
                        + " cannot be taken back now: " + why, e);
            }
            throw new DomainException("the disk leases of " + domain.name() + ", given back while it stayed paused here, cannot"
                    + " be taken back as they were released (" + e.getMessage() + "): its disks may have been written by"
                    + " another host since", e);
        }
    }

    /**
     * Gives back leases whose release was not confirmed, as they were held (still this host's, or their release went
     * through unanswered: the lock manager hands on its state), and keeps the state that returns, which they are taken
     * back with: taken with the state they were held with, a release that went through was refused as another host's use.
     */
    private String confirmRelease(Domain domain, ReleasedLeases kept) throws DomainException {
        String released = leases.giveBackAsHeld(domain.live(), kept.state());
        domain.releasedLeases(ReleasedLeases.withState(released, kept.migration()));
        try {
            manager.setState(domain, domain.state(), domain.reason());
        } catch (IOException e) {
            LOG.error("domain {}: cannot record the state its disk leases were released with: {}", domain.name(),
                    e.getMessage());
        }
        LOG.info("domain {}: the release of its disk leases, unconfirmed, is confirmed now", domain.name());
        return released;
    }

    /**
     * The state a later release of the kept leases returned (a destination that took them at Finish, then gave them
     * back as it aborted) replaces the one kept, which that release made stale: what a resume presents. Caller holds
     * the job.
     */
    public void handOn(Domain domain, String state) throws IOException {
        ReleasedLeases kept = domain.releasedLeases();
        if (kept == null || kept.isLost() || state == null) {
            return;
        }
        domain.releasedLeases(ReleasedLeases.withState(state, kept.migration()));
        manager.setState(domain, domain.state(), domain.reason());
    }

    /**
     * Takes again the leases a paused VM held before the daemon restarted (an arrival committed, not yet resumed),
     * with the state they were recorded held with. Refused because another host held them since, they are marked
     * lost, in the status file too: the VM never runs here, not even once they are free. Caller holds the job.
     */
    public void retake(Domain domain, DomainSpec spec, String heldState) throws DomainException {
        try {
            leases.acquire(spec, heldState);
        } catch (DomainException e) {
            lost(domain, e, heldState);
            try {
                manager.setState(domain, domain.state(), domain.reason());
            } catch (IOException written) {
                e.addSuppressed(written);
            }
            throw e;
        }
    }

    /**
     * The leases of a VM re-attached (or an arrival recovered) could not be taken again, and it was paused for it.
     * Refused by the lock manager, another host held them: it must never take them free. A lock manager that is away
     * or cannot reach its store says nothing of the disks: the state they were held with is kept, which a resume
     * presents again (refused if another host held them meanwhile); marked lost, the guest stayed paused for good.
     */
    void lost(Domain domain, DomainException refusal, String heldState) {
        if (refusal.getCause() instanceof LockException && !Leases.unreachable(refusal)) {
            domain.releasedLeases(ReleasedLeases.lostTo(refusal.getMessage()));
        } else if (heldState != null) {
            domain.releasedLeases(ReleasedLeases.withState(heldState, null));
        }
    }

    private void keep(Domain domain, String state, DomainException refusal) {
        ReleasedLeases kept = domain.releasedLeases();
        if (kept != null && Objects.equals(kept.state(), state)) {
            return;
        }
        domain.releasedLeases(ReleasedLeases.withState(state, kept == null ? null : kept.migration()));
        try {
            manager.setState(domain, domain.state(), domain.reason());
        } catch (IOException e) {
            refusal.addSuppressed(e);
            LOG.error("domain {}: cannot record the state its disk leases were released with: {}", domain.name(), e.getMessage());
        }
    }
}
