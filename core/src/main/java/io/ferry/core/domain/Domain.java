package io.ferry.core.domain;

import io.ferry.api.cookie.CookieException;
import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.api.hypervisor.HypervisorException;
import io.ferry.api.hypervisor.VirtualMachine;
import io.ferry.api.hypervisor.VmNotStoppedException;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One domain of this host: its persistent definition (null when transient), the definition it runs (null when
 * shut off), its VM and state. The UUID is null only for an unreadable domain whose files do not tell it. Every change of state happens under {@link #lock}, held for the length of a
 * job (a start, a migration), as libvirt's job lock.
 */
public final class Domain {
    private static final Logger LOG = LoggerFactory.getLogger(Domain.class);
    private static final long JOB_WAIT_SECONDS = 30;

    private final ReentrantLock lock = new ReentrantLock();
    /**
     * Held while the VM's run state and its record change together: {@code ferry suspend} of a migrating domain pauses
     * it without the job (its Perform holds that), so a resume and its record must not take turns with it.
     */
    private final Object runState = new Object();
    private final String name;
    private final UUID uuid;
    private volatile DomainSpec persistent;
    private volatile DomainSpec live;
    private volatile VirtualMachine vm;
    private volatile DomainState state = DomainState.SHUTOFF;
    private volatile DomainState.Reason reason = DomainState.Reason.UNKNOWN;
    private volatile String job = "";
    private volatile String migration;
    private volatile String problem;
    private volatile ReleasedLeases releasedLeases;
    private volatile String heldLeases;
    private volatile String pausedFor;
    /**
     * The domain's VM, if its process ended on its own, and how; dropped once the domain has another VM or none (then it
     * no longer counts, and it held the ended VM, its process and monitor state, until the next VM of the domain ended).
     */
    private volatile EndedVm ended;
    private final Object endedNotice = new Object();

    Domain(String name, UUID uuid) {
        this.name = name;
        this.uuid = uuid;
    }

    public String name() {
        return name;
    }

    public UUID uuid() {
        return uuid;
    }

    public DomainSpec persistent() {
        return persistent;
    }

    public DomainSpec live() {
        return live;
    }

    /** The definition that describes the domain now: the live one while active. */
    public DomainSpec current() {
        return live != null ? live : persistent;
    }

    public VirtualMachine vm() {
        return vm;
    }

    public DomainState state() {
        return state;
    }

    public DomainState.Reason reason() {
        return reason;
    }

    public boolean isActive() {
        return state != DomainState.SHUTOFF;
    }

    /**
     * How its VM ended ({@code SHUTDOWN} or {@code CRASHED}), when the process ended on its own and the domain waits to
     * be shut off for it ({@link VmExits}: a migration that holds the domain ends first); empty otherwise.
     */
    public Optional<DomainState.Reason> vmEnded() {
        EndedVm last = ended;
        VirtualMachine now = vm;
        return last != null && now != null && last.vm() == now ? Optional.of(last.reason()) : Optional.empty();
    }

    void vmEnded(VirtualMachine ended, DomainState.Reason reason) {
        synchronized (endedNotice) {
            if (ended == vm) { // one the domain no longer has does not count
                this.ended = new EndedVm(ended, reason);
            }
            endedNotice.notifyAll();
        }
    }

    /** {@link #vmEnded()}, waiting at most {@code millis} for the notice of a process that is ending. */
    Optional<DomainState.Reason> awaitVmEnded(long millis) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        synchronized (endedNotice) {
            while (vmEnded().isEmpty()) {
                long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (left <= 0) {
                    break;
                }
                try {
                    endedNotice.wait(left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            return vmEnded();
        }
    }

    private record EndedVm(VirtualMachine vm, DomainState.Reason reason) {
    }

    /** The running job's description ("migration out"), empty when none. */
    public String job() {
        return job;
    }

    void persistent(DomainSpec spec) {
        this.persistent = spec;
    }

    void live(DomainSpec spec, VirtualMachine machine) {
        this.live = spec;
        synchronized (endedNotice) {
            this.vm = machine;
            if (ended != null && ended.vm() != machine) {
                ended = null;
            }
        }
    }

    void state(DomainState newState, DomainState.Reason newReason) {
        this.state = newState;
        this.reason = newReason;
    }

    /** The leases this domain's paused VM gave back while it stays here, or null when it holds them (or is shut off). */
    public ReleasedLeases releasedLeases() {
        return releasedLeases;
    }

    void releasedLeases(ReleasedLeases kept) {
        this.releasedLeases = kept;
    }

    /**
     * The migration away from here that paused the VM (without --live before its memory moved, or at its switch-over),
     * while the domain stays paused for a migration, as its status file records it; null otherwise, and when a status
     * file of an earlier version names none. An arrival's incoming VM is paused for no migration away.
     */
    public String pausedFor() {
        return pausedFor;
    }

    void pausedFor(String migration) {
        this.pausedFor = migration;
    }

    /**
     * The state of the leases its VM holds, as its status file last recorded it: what a restarted daemon presents to
     * take them again; null when it holds none or it is not known (a status file of an earlier version).
     */
    String heldLeases() {
        return heldLeases;
    }

    void heldLeases(String state) {
        this.heldLeases = state;
    }

    Object runState() {
        return runState;
    }

    void job(String description) {
        this.job = description;
    }

    /** Why the domain is {@link DomainState#UNREADABLE}: the file and the error; null otherwise. */
    public String problem() {
        return problem;
    }

    /** Marks the domain unreadable for good (until a restart finds its files readable). */
    void unreadable(String why) {
        this.problem = why;
        state(DomainState.UNREADABLE, DomainState.Reason.UNKNOWN);
    }

    /** The id of the migration that owns this domain from Begin/Prepare to Confirm/Finish, or null. */
    public String migration() {
        return migration;
    }

    void migration(String id) {
        this.migration = id;
    }

    /**
     * Runs a job under this domain's job lock (waiting for it at most {@value #JOB_WAIT_SECONDS} s); a job of
     * another party is refused while a migration owns the domain.
     *
     * @param mayRun whether the job may run while the given migration owns the domain
     */
    <T> T runJob(String description, Predicate<String> mayRun, DomainManager.Job<T> job) throws DomainException {
        if (!lock.tryLock() && !awaitJob(description)) {
            throw new DomainException("Timed out during operation: cannot acquire state change lock (held by "
                    + job() + ")");
        }
        return runLocked(description, mayRun, job);
    }

    /** {@link #runJob} if the job is free now: false, having run nothing, while another job holds it. */
    boolean runJobIfFree(String description, Predicate<String> mayRun, DomainManager.Job<?> job)
            throws DomainException {
        if (!lock.tryLock()) {
            return false;
        }
        runLocked(description, mayRun, job);
        return true;
    }

    /** Waits for the job lock, held by another job; false when it was not had in time. */
    private boolean awaitJob(String description) throws DomainException {
        // an operator who sees a command hang learns from the log what it waits for
        LOG.info("{} of domain {} waits up to {} s for its job (held by {})", description, name(), JOB_WAIT_SECONDS,
                job());
        try {
            return lock.tryLock(JOB_WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DomainException("interrupted while waiting for domain " + name());
        }
    }

    /** Runs a job, the job lock held: released at its end. */
    private <T> T runLocked(String description, Predicate<String> mayRun, DomainManager.Job<T> job)
            throws DomainException {
        String outer = job();
        job(outer.isEmpty() ? description : outer);
        try {
            if (problem() != null) {
                throw DomainException.unreadable(this);
            }
            if (migration() != null && !mayRun.test(migration())) {
                throw new DomainException("Requested operation is not valid: domain " + name()
                        + " is being migrated (migration " + migration() + ")");
            }
            return job.run();
        } catch (DomainException e) {
            throw e;
        } catch (HypervisorException | VmNotStoppedException | CookieException e) {
            throw new DomainException(e.getMessage(), e); // they name what failed: a driver, a cookie section
        } catch (Exception e) {
            // not a refusal of the domain's own: its caller may only see the message (a Confirm's, as a warning of the
            // migrate command), so the daemon's log keeps it, and where it came from when nobody foresaw it
            if (e instanceof RuntimeException) {
                LOG.error("{} of domain {} failed", description, name(), e);
            } else {
                LOG.warn("{} of domain {} failed: {}", description, name(), e.getMessage());
            }
            throw new DomainException(description + " of domain " + name() + " failed: " + e.getMessage(), e);
        } finally {
            job(outer);
            lock.unlock();
        }
    }
}
