package io.ferry.api.hypervisor;

import java.util.List;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * A VM's graphics servers and their connected clients: what the graphics cookie section needs of a VM. A driver
 * offers it through {@link VirtualMachine#capability}, by implementing it on its VM (the default lookup finds it) or
 * with an object of its own; a section looks it up with {@code context.capability(GraphicsConsole.class)}.
 *
 * @since 1.2
 */
@ConsumerType
public interface GraphicsConsole {
    /** Where the VM's graphics servers listen on this host, port resolved; empty when it has none. */
    List<DomainSpec.Graphics> listeners();

    /**
     * Tells the clients connected to the graphics server of {@code destination.type()} to reconnect to
     * {@code destination} once the VM has moved (libvirt's {@code client_migrate_info}).
     *
     * @param tlsPort the destination's TLS port (SPICE), or -1 for none
     * @param tlsSubject the subject of the destination's TLS certificate, or null for none
     * @throws HypervisorException if the VM has no such server or the hypervisor refuses
     */
    void relocateClients(DomainSpec.Graphics destination, int tlsPort, String tlsSubject) throws HypervisorException;

    /**
     * Waits at most {@code timeoutMillis} until the clients told to reconnect by {@link #relocateClients} have moved
     * (QEMU's {@code SPICE_MIGRATE_COMPLETED}); true at once if there is nothing to wait for.
     */
    boolean awaitClientsMigrated(long timeoutMillis);
}
