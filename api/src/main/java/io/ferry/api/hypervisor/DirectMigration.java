package io.ferry.api.hypervisor;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * A {@link VirtualMachine} that can move its memory over a data connection of its own, hypervisor to hypervisor
 * (libvirt's native migration), besides the streams the core pumps ({@link VirtualMachine#sendMemory},
 * {@link VirtualMachine#receiveMemory}, which stay the way for tunnelled migrations). A driver's VM implements it
 * as well when it can; the core finds out with {@code instanceof}.
 *
 * <p>How the core uses it, per migration and for one VM of each end:
 * <ol>
 * <li>Prepare, destination, after {@link Hypervisor#createIncoming}: {@link #listenForMemory} with the host the
 * source should reach; its result is Prepare's data URI (libvirt's {@code uri_out}), handed to the source as it is.
 * Then {@link #awaitMemory} on a thread of the core's, in place of {@code receiveMemory}.</li>
 * <li>Perform, source: {@link #sendMemory(String, MigrationControl)} with that data URI, in place of
 * {@code sendMemory(OutputStream, …)}.</li>
 * <li>Aborting: the source's {@link MigrationControl#aborted()} cancels the transfer; the destination's
 * {@code awaitMemory} then fails (the connection ends), or the core destroys the incoming VM, which ends it too.</li>
 * </ol>
 * A data URI this interface returns is opaque to the core: it never opens it itself.
 *
 * @since 1.1
 */
@ConsumerType
public interface DirectMigration {
    /**
     * Destination: makes the incoming VM listen for the source's memory on {@code host} at a port of the
     * driver's configured range (libvirt's default 49152-49215), and returns the URI the source connects to, e.g.
     * {@code tcp:HOST:PORT}. Call once, while the VM is paused and has not received memory.
     *
     * @param host the address to listen on and to put in the URI: a name or an IP literal of this host
     * @throws HypervisorException if no port of the range is free or the VM cannot listen
     */
    String listenForMemory(String host) throws HypervisorException;

    /**
     * Destination: waits until the memory sent to {@link #listenForMemory}'s URI has arrived, reporting what the
     * driver knows through {@code control}; leaves the VM paused and ready to resume. Returns early with an
     * exception when {@code control} is aborted, the source gives up or the VM goes.
     *
     * @return the transfer's figures; {@link MigrationStats#memoryVerified()} is false unless the driver checked
     *         a digest (see {@link VirtualMachine#hasMemoryDigest()})
     */
    MigrationStats awaitMemory(MigrationControl control) throws HypervisorException;

    /**
     * Source: connects to {@code dataUri} (a destination's {@link #listenForMemory} result) and sends the memory,
     * with the same contract as {@link VirtualMachine#sendMemory(java.io.OutputStream, MigrationControl)}:
     * pre-copy while the VM runs under {@code control}'s bandwidth cap and downtime limit (both re-read while the
     * transfer runs), the VM paused at switch-over, returns with it paused; on any failure or abort the VM runs
     * (or stays paused) as it was before the call.
     */
    MigrationStats sendMemory(String dataUri, MigrationControl control) throws HypervisorException;
}
