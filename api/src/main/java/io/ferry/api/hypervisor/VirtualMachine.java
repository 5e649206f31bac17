package io.ferry.api.hypervisor;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;
import org.osgi.annotation.versioning.ConsumerType;

/** One VM run by a driver. Thread-safe: the core may pause it while its memory is sent. */
@ConsumerType
public interface VirtualMachine {
    DomainSpec spec();

    boolean isRunning();

    /** Stops the guest's CPUs; memory stays. */
    void pause();

    void resume();

    /** Stops the VM for good and frees what it holds (memory, listeners). Idempotent. */
    void destroy();

    /**
     * A digest of the whole guest memory, hex; comparable between the two ends of a migration. Only meaningful
     * when {@link #hasMemoryDigest()}; a VM without one throws {@link UnsupportedOperationException}.
     */
    String memoryDigest();

    /**
     * Whether this VM has a {@link #memoryDigest()} and its transfers verify it ({@code receiveMemory} reports
     * {@link MigrationStats#memoryVerified()} true, or fails). A driver that cannot compute a digest cheaply (QEMU:
     * the guest RAM is in another process, and its migration stream has no end-to-end checksum) returns false;
     * the core then accepts a transfer that completed as the hypervisor's own word that the memory arrived, shows
     * the job's memory as not verified, and never asks this VM for a digest.
     *
     * @since 1.1
     */
    default boolean hasMemoryDigest() {
        return true;
    }

    /**
     * Sends the guest memory: pre-copy rounds while it runs, then pauses it at switch-over and sends the rest
     * and the digest. Returns with the VM paused; throws with the VM as it was if anything fails.
     */
    MigrationStats sendMemory(OutputStream out, MigrationControl control) throws IOException, HypervisorException;

    /**
     * Receives the memory a {@link #sendMemory} sends, then checks the digest of the whole memory against the
     * sender's. Leaves the VM paused.
     *
     * @throws HypervisorException if the stream ends early or the digest differs
     */
    MigrationStats receiveMemory(InputStream in, MigrationControl control) throws IOException, HypervisorException;

    /** Where the VM's graphics servers listen on this host, port resolved. */
    List<DomainSpec.Graphics> graphicsListeners();

    /**
     * Tells the clients connected to the graphics server of {@code destination.type()} to reconnect to
     * {@code destination} once the VM has moved (libvirt's {@code client_migrate_info}).
     */
    void relocateGraphicsClients(DomainSpec.Graphics destination, String tlsSubject) throws HypervisorException;

    /**
     * {@link #relocateGraphicsClients(DomainSpec.Graphics, String)} with the destination's TLS port too, as
     * libvirt's graphics cookie carries it ({@code tlsPort}) for SPICE. The default ignores the TLS port.
     *
     * @param tlsPort the destination's TLS port, or -1 for none
     * @since 1.1
     */
    default void relocateGraphicsClients(DomainSpec.Graphics destination, int tlsPort, String tlsSubject)
            throws HypervisorException {
        relocateGraphicsClients(destination, tlsSubject);
    }

    /**
     * Waits at most {@code timeoutMillis} until the graphics clients told to reconnect by
     * {@link #relocateGraphicsClients} have moved to the destination (QEMU's {@code SPICE_MIGRATE_COMPLETED});
     * true at once if there is nothing to wait for. Confirm, on success and before it destroys the source VM,
     * calls it with a short bound (libvirt waits for the event before it ends the source), and logs a false.
     *
     * @since 1.1
     */
    default boolean awaitGraphicsClientsMigrated(long timeoutMillis) {
        return true;
    }
}
