package io.ferry.api.hypervisor;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;
import java.util.Optional;
import org.osgi.annotation.versioning.ConsumerType;

/** One VM run by a driver. Thread-safe: the core may pause it while its memory is sent. */
@ConsumerType
public interface VirtualMachine {
    DomainSpec spec();

    boolean isRunning();

    /** Stops the guest's CPUs; memory stays. */
    void pause();

    void resume();

    /**
     * Stops the VM for good and frees what it holds (memory, listeners). Idempotent.
     *
     * @throws VmNotStoppedException if the VM may still run (its process outlived being killed): it then frees
     *         nothing and is not destroyed; a later call tries again. Since 1.6; before, a driver had no way to say so.
     */
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

    /**
     * What this VM offers beyond this interface, for cookie sections and the core: {@code type} if the VM has it
     * ({@link GraphicsConsole}, {@link DirectMigration}), else empty. New capabilities are new types, never new
     * methods here. The default finds the types the VM object implements; a driver may override it to offer other
     * objects.
     *
     * @since 1.2
     */
    default <T> Optional<T> capability(Class<T> type) {
        return type.isInstance(this) ? Optional.of(type.cast(this)) : Optional.empty();
    }

    /**
     * Where the VM's graphics servers listen on this host, port resolved.
     *
     * @deprecated since 1.2: a VM with graphics offers {@link GraphicsConsole} ({@link #capability}); this default asks
     *             it, and lists none without it.
     */
    @Deprecated
    default List<DomainSpec.Graphics> graphicsListeners() {
        return capability(GraphicsConsole.class).map(GraphicsConsole::listeners).orElse(List.of());
    }

    /**
     * Tells the clients connected to the graphics server of {@code destination.type()} to reconnect to
     * {@code destination} once the VM has moved (libvirt's {@code client_migrate_info}).
     *
     * @deprecated since 1.2: use {@link GraphicsConsole#relocateClients}; this default calls it with no TLS port.
     */
    @Deprecated
    default void relocateGraphicsClients(DomainSpec.Graphics destination, String tlsSubject) throws HypervisorException {
        graphics().relocateClients(destination, -1, tlsSubject);
    }

    /**
     * {@link #relocateGraphicsClients(DomainSpec.Graphics, String)} with the destination's TLS port too, as
     * libvirt's graphics cookie carries it ({@code tlsPort}) for SPICE.
     *
     * @param tlsPort the destination's TLS port, or -1 for none
     * @since 1.1
     * @deprecated since 1.2: use {@link GraphicsConsole#relocateClients}, which this default calls; without it, the
     *             two-argument method (which a 1.1 driver implements) without the TLS port.
     */
    @Deprecated
    default void relocateGraphicsClients(DomainSpec.Graphics destination, int tlsPort, String tlsSubject)
            throws HypervisorException {
        Optional<GraphicsConsole> console = capability(GraphicsConsole.class);
        if (console.isPresent()) {
            console.get().relocateClients(destination, tlsPort, tlsSubject);
        } else {
            relocateGraphicsClients(destination, tlsSubject);
        }
    }

    /**
     * Waits at most {@code timeoutMillis} until the graphics clients told to reconnect have moved to the destination;
     * true at once if there is nothing to wait for.
     *
     * @since 1.1
     * @deprecated since 1.2: use {@link GraphicsConsole#awaitClientsMigrated}, which this default calls.
     */
    @Deprecated
    default boolean awaitGraphicsClientsMigrated(long timeoutMillis) {
        return capability(GraphicsConsole.class).map(g -> g.awaitClientsMigrated(timeoutMillis)).orElse(true);
    }

    private GraphicsConsole graphics() throws HypervisorException {
        return capability(GraphicsConsole.class).orElseThrow(
                () -> new HypervisorException("domain '" + spec().name() + "' has no graphics whose clients could be relocated"));
    }
}
