package io.ferry.api.hypervisor;

import java.nio.file.Path;
import java.util.Optional;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * A driver for one domain type, registered as a service with the service property {@link #TYPE}. VMs outlive
 * a daemon restart where the driver can make them (QEMU processes do; the embedded driver keeps memory in
 * files), so the core re-attaches to them rather than booting anew.
 */
@ConsumerType
public interface Hypervisor {
    /** Service property: the domain type this driver runs (String), e.g. {@code sim}. */
    String TYPE = "ferry.hypervisor.type";

    /** Checks what this driver needs of a definition beyond the generic parts; the message names the problem. */
    void validate(DomainSpec spec) throws HypervisorException;

    /**
     * Checks, after {@link #validate}, a definition another host's daemon brought: the one a migration's Prepare
     * carries, or the persistent one of its Perform cookie, when a peer daemon (not an operator) drives it. A peer
     * takes part in migrations, it does not operate this host, yet what the definition names of this host (disk
     * images, kernels) is what this host's VM will open: a driver refuses what a peer may not choose, the message
     * naming it. The default refuses nothing, for a driver whose VMs open no host file a definition names.
     *
     * @since 1.5
     */
    default void validatePeerDefinition(DomainSpec spec) throws HypervisorException {
    }

    /**
     * Starts the VM from power-on: running.
     *
     * @param runDir a directory of the daemon's state, the VM's own, for whatever the driver keeps while the VM
     *        exists (memory, sockets); it is given again on {@link #reattach}
     */
    VirtualMachine boot(DomainSpec spec, Path runDir) throws HypervisorException;

    /** Creates a VM that will receive its memory by migration: paused, memory not yet valid. */
    VirtualMachine createIncoming(DomainSpec spec, Path runDir) throws HypervisorException;

    /**
     * Finds a VM that existed before this daemon started, leaving its run state as it was; empty if the VM is
     * gone (its memory lost).
     */
    Optional<VirtualMachine> reattach(DomainSpec spec, Path runDir) throws HypervisorException;
}
