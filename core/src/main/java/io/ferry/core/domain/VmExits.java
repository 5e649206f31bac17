package io.ferry.core.domain;

import io.ferry.api.hypervisor.VirtualMachine;
import io.ferry.api.hypervisor.VmProcess;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A VM whose process ended on its own: its domain is shut off, as libvirt's monitor EOF handler stops a domain whose
 * QEMU quit, reason {@link DomainState.Reason#SHUTDOWN} when the process had shut down (the guest powered off, QEMU
 * was signalled to end) and {@link DomainState.Reason#CRASHED} otherwise (killed, crashed, the OOM killer). Without it
 * the domain stayed listed running with no process behind it, {@code start} refused it as already active and its
 * leases stayed held. The domain's job is taken first: a migration that holds the domain decides its own outcome
 * (a Confirm after the commit stops the copy here anyway), then what is left of the dead VM is shut off, unless
 * the domain has another VM (or none) by then. A destroyed VM never reports its end ({@link VmProcess#onExit}).
 */
final class VmExits {
    private static final Logger LOG = LoggerFactory.getLogger(VmExits.class);

    private final DomainManager manager;
    /** Exits noticed while a migration owned the domain: handled when it lets the domain go. */
    private final Map<Domain, Exit> waiting = new ConcurrentHashMap<>();
    private volatile boolean closed;

    VmExits(DomainManager manager) {
        this.manager = manager;
    }

    /** Watches the process of {@code domain}'s VM, if it has one of its own (a VM without one never ends by itself). */
    void watch(Domain domain, VirtualMachine vm) {
        vm.capability(VmProcess.class).ifPresent(process -> process.onExit(() -> {
            domain.vmEnded(vm, reason(process)); // shown at once, while a migration may hold the domain for long
            handleLater(domain, vm, process);
        }));
    }

    /** A migration let the domain go: an exit noticed meanwhile is handled now. */
    void migrationEnded(Domain domain) {
        Exit exit = waiting.remove(domain);
        if (exit != null) {
            handleLater(domain, exit.vm(), exit.process());
        }
    }

    /** This manager goes (its bundle stops): VMs it watched are the next manager's. */
    void close() {
        closed = true;
        waiting.clear();
    }

    /** On a thread of its own: the driver's callback must not wait for a domain's job. */
    private void handleLater(Domain domain, VirtualMachine vm, VmProcess process) {
        Thread thread = new Thread(() -> handle(domain, new Exit(vm, process)), "vm-exit-" + domain.name());
        thread.setDaemon(true);
        thread.start();
    }

    private void handle(Domain domain, Exit exit) {
        while (!closed && domain.vm() == exit.vm()) {
            if (domain.migration() != null && parked(domain, exit)) {
                return;
            }
            try {
                domain.runJob("VM exit", owner -> false, () -> {
                    shutOff(domain, exit);
                    return null;
                });
                return;
            } catch (DomainException e) {
                if (domain.problem() != null || Thread.currentThread().isInterrupted()) {
                    return; // an unreadable domain is left exactly as it is
                }
                // a migration claimed it meanwhile (parked at the next turn), or a long job held it: wait again
                LOG.info("domain {}: its VM ended, the domain waits for its job: {}", domain.name(), e.getMessage());
            }
        }
    }

    /**
     * Keeps the exit for {@link #migrationEnded}; false when the migration let the domain go meanwhile (its release
     * may have looked before this exit was kept): then it is handled now.
     */
    private boolean parked(Domain domain, Exit exit) {
        LOG.warn("domain {}: its VM ended on its own while migration {} holds the domain: shut off once it ends",
                domain.name(), domain.migration());
        waiting.put(domain, exit);
        return domain.migration() != null || !waiting.remove(domain, exit);
    }

    /** Caller holds the job. Its process is gone, so its disks are not written: the leases go back. */
    private void shutOff(Domain domain, Exit exit) {
        if (domain.vm() != exit.vm()) {
            return; // destroyed, migrated away or started anew while this waited
        }
        DomainState.Reason reason = reason(exit.process());
        LOG.warn("domain {}: its VM ended on its own ({}): shut off ({})", domain.name(),
                reason == DomainState.Reason.SHUTDOWN ? "shut down" : "killed or crashed", reason.display());
        try {
            manager.deactivate(domain, reason);
        } catch (RuntimeException e) {
            LOG.error("domain {}: cannot shut off the domain whose VM ended: {}", domain.name(), e.getMessage());
        }
    }

    private static DomainState.Reason reason(VmProcess process) {
        return process.shutDown() ? DomainState.Reason.SHUTDOWN : DomainState.Reason.CRASHED;
    }

    /** A VM that ended, and its process capability, which says how. */
    private record Exit(VirtualMachine vm, VmProcess process) {
    }
}
