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

    /** A digest of the whole guest memory, hex; comparable between the two ends of a migration. */
    String memoryDigest();

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
}
