package io.ferry.core.domain;

import io.ferry.api.cookie.CookieException;
import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.api.hypervisor.Hypervisor;
import io.ferry.api.hypervisor.VirtualMachine;
import io.ferry.api.hypervisor.VmNotStoppedException;
import io.ferry.core.daemon.AtomicFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Domains' VMs booted, recorded as active with their state in the status file, and stopped for good. */
final class DomainLifecycle {
    /** The manager's logger: operators' log settings name it. */
    private static final Logger LOG = LoggerFactory.getLogger(DomainManager.class);

    private final DomainManager manager;
    private final DomainEntries entries;
    private final DomainStore store;
    private final StatusXml statusXml;
    private final Leases leases;
    private final VmExits exits;

    DomainLifecycle(DomainManager manager, DomainEntries entries, DomainStore store, StatusXml statusXml, Leases leases,
            VmExits exits) {
        this.manager = manager;
        this.entries = entries;
        this.store = store;
        this.statusXml = statusXml;
        this.leases = leases;
        this.exits = exits;
    }

    Domain start(String name) throws DomainException {
        Domain domain = entries.get(name);
        return manager.withJob(domain, "start", () -> {
            if (domain.isActive()) {
                throw new DomainException("Requested operation is not valid: domain is already running");
            }
            DomainSpec spec = domain.persistent();
            if (spec == null) { // an arrival's entry before its migration claims it
                throw new DomainException("Requested operation is not valid: domain '" + name
                        + "' has no persistent definition to start");
            }
            Optional<Domain> sharing = entries.otherWithUuid(spec);
            if (sharing.isPresent()) { // possible only in a state directory from before define refused it
                throw DomainEntries.sameUuid(sharing.get());
            }
            Hypervisor hypervisor = manager.hypervisor(spec.type());
            leases.acquire(spec, null);
            VirtualMachine vm = null;
            try {
                vm = hypervisor.boot(spec, store.runDir(spec.uuid()));
                activate(domain, spec, vm, DomainState.RUNNING, DomainState.Reason.BOOTED);
                keepStoredAsRunning(store, domain, spec);
            } catch (Throwable e) {
                if (vm == null && e instanceof VmNotStoppedException running) {
                    throw keepForTheVmThatRuns(domain, running);
                }
                VmNotStoppedException unstopped = undoStart(domain, spec, vm, e);
                if (unstopped != null) {
                    throw new DomainException("start of domain " + name + " failed: " + e.getMessage() + "; and "
                            + unstopped.getMessage(), e);
                }
                throw e;
            }
            LOG.info("domain {} started", name);
            return domain;
        });
    }

    /**
     * The driver refused the start because a VM of the domain that it does not drive runs: a QEMU that a daemon killed
     * in a start left before writing the status, so that the restarted one took the domain for shut off. The leases
     * this start took (this host's since the killed one) and the run directory that leads to that VM guard it, and
     * stay: given back, they let another host start the domain on the same disks. They are let go of in hand, not given
     * back, as a restarted daemon finds them, so that the domain's next start here takes them again for the disks it is
     * defined with then.
     */
    private DomainException keepForTheVmThatRuns(Domain domain, VmNotStoppedException refusal) {
        leases.leaveHeld(domain.name());
        DomainException refused = DomainException.refusedForTheVmThatRuns(refusal,
                "the leases of domain " + domain.name() + " and its run directory stay this host's");
        LOG.error("domain {}: {}", domain.name(), refused.getMessage());
        return refused;
    }

    /**
     * After a failed start: the status was not written (its write is the last step, and atomic); the rest goes, unless the
     * VM cannot be stopped: then returns why, and the domain stays active ({@link #keepUnstopped}).
     */
    private VmNotStoppedException undoStart(Domain domain, DomainSpec spec, VirtualMachine vm, Throwable failure) {
        try {
            if (vm != null) {
                vm.destroy();
            }
        } catch (VmNotStoppedException e) {
            failure.addSuppressed(e);
            keepUnstopped(domain, spec, vm, e);
            return e;
        } catch (RuntimeException e) {
            failure.addSuppressed(e);
            LOG.error("domain {}: cannot destroy the VM of a failed start: {}", domain.name(), e.toString());
        }
        try {
            store.deleteRunDir(domain.uuid());
        } catch (IOException e) {
            failure.addSuppressed(e);
            LOG.error("domain {}: cannot remove the run directory of a failed start: {}", domain.name(), e.toString());
        }
        domain.live(null, null);
        leases.releaseQuietly(domain.name(), null);
        return null;
    }

    /**
     * A failed start's VM outlived its kill and may write the disks when it wakes: the domain stays active with it, its
     * leases and run directory kept, so that a start refuses and a destroy tries again (libvirt's leases, held by the
     * QEMU process itself, stay held as long as it lives). Recorded in its status if it can be.
     */
    private void keepUnstopped(Domain domain, DomainSpec spec, VirtualMachine vm, VmNotStoppedException e) {
        LOG.error("domain {}: the VM of a failed start could not be stopped; the domain stays active with its disk leases: {}",
                domain.name(), e.getMessage());
        domain.live(spec, vm);
        DomainState state = vm.isRunning() ? DomainState.RUNNING : DomainState.PAUSED;
        try {
            setState(domain, state, DomainState.Reason.UNKNOWN);
        } catch (IOException | RuntimeException notRecorded) {
            e.addSuppressed(notRecorded);
            domain.state(state, DomainState.Reason.UNKNOWN);
        }
        exits.watch(domain, vm); // the end of its process, when it comes at last, shuts the domain off
    }

    void destroy(String name) throws DomainException {
        Domain domain = entries.get(name);
        manager.withJob(domain, "destroy", () -> {
            if (!domain.isActive()) {
                throw new DomainException("Requested operation is not valid: domain is not running");
            }
            if (domain.vm() == null) {
                // a restarted daemon's, before its driver came: the VM may run, and its run files and status are all
                // that leads to it (its driver, once there, re-attaches only a domain still active)
                throw new DomainException("Requested operation is not valid: the VM of domain '" + name + "' has not"
                        + " been re-attached since the daemon's start (its driver, for domain type '"
                        + domain.current().type() + "', is not there yet) and may still run: try again once it is");
            }
            deactivate(domain, DomainState.Reason.DESTROYED, null);
            LOG.info("domain {} destroyed", name);
            return null;
        });
    }

    void activate(Domain domain, DomainSpec spec, VirtualMachine vm, DomainState state, DomainState.Reason reason)
            throws IOException {
        domain.live(running(manager.xml(), domain, spec, vm), vm);
        setState(domain, state, reason);
        exits.watch(domain, vm);
    }

    /**
     * The definition {@code vm} runs ({@link DomainXml#running}); {@code spec}, logged, if it cannot be written: the
     * guest runs either way, and a destination's hypervisor that reads the machine type's alias as this one does
     * starts the same machine.
     */
    static DomainSpec running(DomainXml xml, Domain domain, DomainSpec spec, VirtualMachine vm) {
        try {
            return xml.running(spec, vm);
        } catch (CookieException | RuntimeException e) {
            LOG.warn("domain {}: the machine type its VM runs is not recorded in its live definition: {}", domain.name(),
                    e.getMessage());
            return spec;
        }
    }

    /**
     * Where the guest runs its stored definition ({@code started}) and the live one records the machine type its alias
     * stood for, the stored one records it too, as libvirt's define expands the alias: the guest keeps its machine from
     * boot to boot and host to host, and the stored definition stays the one it runs (a --persistent migration carries
     * a stored one only if it was redefined since). Logged if it cannot be written: the live one has it.
     */
    static void keepStoredAsRunning(DomainStore store, Domain domain, DomainSpec started) {
        DomainSpec live = domain.live();
        if (live == started || !started.equals(domain.persistent())) {
            return;
        }
        try {
            store.writeDefinition(domain.name(), live.xml());
            domain.persistent(live);
        } catch (IOException | RuntimeException e) {
            LOG.warn("domain {}: the machine type its VM runs is not recorded in its stored definition: {}", domain.name(),
                    e.getMessage());
        }
    }

    /**
     * {@code ferry suspend}: pauses the running VM, recorded paused (user), which nothing resumes but its operator;
     * returns false when it was paused already (nothing changes, as libvirt's suspend of a paused domain), except a rolled
     * back migration's guest that waits to resume once its leases can be taken back, which then stays paused. Refused,
     * nothing changed, when its hypervisor does not say whether the guest runs. Runs with the job, or without it while
     * the domain's own migration holds it ({@link Domain#runState}).
     */
    boolean suspend(Domain domain) throws IOException, DomainException {
        synchronized (domain.runState()) {
            VirtualMachine vm = domain.vm();
            if (!domain.isActive() || vm == null) {
                throw new DomainException("Requested operation is not valid: domain " + domain.name() + " is not running ("
                        + domain.state().display() + ")");
            }
            GuestCalls.requireNotEnded(domain); // else taken for paused already
            if (domain.state() == DomainState.PAUSED && domain.reason() == DomainState.Reason.MIGRATION
                    && domain.migration() == null) {
                // a rolled back migration's guest waiting for its leases to resume by itself: its operator's now, also
                // while its QEMU does not answer (refused, the watcher could resume it meanwhile); one that runs (a
                // resume whose answer was lost took effect late) is paused below
                if (!GuestCalls.runs(vm).orElse(false)) {
                    setState(domain, DomainState.PAUSED, DomainState.Reason.USER);
                    LOG.info("domain {} suspended by its operator: its rolled back migration no longer resumes it",
                            domain.name());
                    return true;
                }
            } else if (!GuestCalls.runsOrRefuse(domain)) {
                return false;
            }
            GuestCalls.pause(domain);
            setState(domain, DomainState.PAUSED, DomainState.Reason.USER);
            LOG.info("domain {} suspended by its operator", domain.name());
            return true;
        }
    }

    void setState(Domain domain, DomainState state, DomainState.Reason reason) throws IOException {
        synchronized (domain.runState()) {
            record(domain, state, reason, domain.pausedFor());
        }
    }

    /** {@link MigratingDomains#pausedFor}. */
    void pausedFor(Domain domain, String migration) throws IOException {
        synchronized (domain.runState()) {
            record(domain, DomainState.PAUSED, DomainState.Reason.MIGRATION, migration);
        }
    }

    private void record(Domain domain, DomainState state, DomainState.Reason reason, String pausedFor)
            throws IOException {
        ReleasedLeases released = state == DomainState.RUNNING ? null : domain.releasedLeases();
        // leases not taken again yet since a restart (the lock manager comes later) keep the state recorded before
        String taken = leases.state(domain.name());
        String held = released != null ? null : taken != null ? taken : domain.heldLeases();
        // the migration's pause lasts until the domain is recorded otherwise (running, paused by its operator)
        String pausing = state == DomainState.PAUSED && reason == DomainState.Reason.MIGRATION ? pausedFor : null;
        store.writeStatus(domain.name(),
                statusXml.write(new StatusXml.Status(domain.live(), state, reason, released, held, pausing)));
        domain.state(state, reason);
        domain.releasedLeases(released);
        domain.heldLeases(held);
        domain.pausedFor(pausing);
    }

    /** @param migration the aborted migration whose source waits for the leases of this incoming VM, or null */
    String deactivate(Domain domain, DomainState.Reason reason, String migration) {
        return deactivate(domain, reason, migration, () -> { });
    }

    /**
     * @param stopped runs once the VM is destroyed, or at once if the domain has none (a VM that outlives its kill
     *        is not destroyed), before its leases and files go
     */
    String deactivate(Domain domain, DomainState.Reason reason, String migration, Runnable stopped) {
        synchronized (domain.runState()) {
            return stop(domain, reason, migration, stopped);
        }
    }

    private String stop(Domain domain, DomainState.Reason reason, String migration, Runnable stopped) {
        VirtualMachine vm = domain.vm();
        if (vm != null) {
            vm.destroy();
        }
        stopped.run();
        String released = leases.releaseQuietly(domain.name(), migration);
        if (domain.persistent() == null) {
            manager.snapshotsGoWith(domain); // before its status: a daemon killed between finds it and repeats this
        }
        removeFilesOfStopped(domain);
        domain.live(null, null);
        domain.releasedLeases(null);
        domain.heldLeases(null);
        domain.pausedFor(null);
        domain.state(DomainState.SHUTOFF, reason);
        entries.forgetIfGone(domain);
        return released;
    }

    /**
     * The files of a VM destroyed, its leases gone: one that cannot be removed (a state directory remounted read-only)
     * is logged and left, and the domain shut off all the same. Thrown, it lost what was done: the state the release
     * returned, which an aborted arrival's source takes the leases back with, and the domain stayed listed active. A
     * status left names a VM that is gone: the daemon's next start finds it so, shuts the domain off and removes it.
     */
    private void removeFilesOfStopped(Domain domain) {
        removeOrLog(domain, "status", store.statusFile(domain.name()), () -> store.deleteStatus(domain.name()),
                "the daemon's next start finds that VM gone and removes it");
        removeOrLog(domain, "run directory", store.runDirOf(domain.uuid()), () -> store.deleteRunDir(domain.uuid()),
                "remove it by hand, nothing runs from it");
    }

    private interface Removal {
        void run() throws IOException;
    }

    private static void removeOrLog(Domain domain, String what, Path path, Removal removal, String then) {
        try {
            removal.run();
        } catch (IOException | RuntimeException e) {
            LOG.error("domain {}: its VM is destroyed, but its {} {} cannot be removed ({}): it is shut off all the"
                    + " same; {}", domain.name(), what, path, reason(e), then);
        }
    }

    private static String reason(Exception e) {
        return e instanceof IOException io ? AtomicFiles.reason(io) : e.toString();
    }
}
