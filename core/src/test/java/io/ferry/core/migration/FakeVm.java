package io.ferry.core.migration;

import io.ferry.api.hypervisor.DiskStorage;
import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.api.hypervisor.GuestState;
import io.ferry.api.hypervisor.HypervisorException;
import io.ferry.api.hypervisor.MigrationControl;
import io.ferry.api.hypervisor.MigrationStats;
import io.ferry.api.hypervisor.VirtualMachine;
import io.ferry.api.hypervisor.VmNotStoppedException;
import io.ferry.api.hypervisor.VmProcess;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.Random;
import java.util.zip.CRC32C;

/**
 * A VM for engine tests: 64 KiB of memory sent in one round with its digest, paused at switch-over as a real
 * driver does, and faults on demand. The memory of a booted VM is random, an incoming VM's is zero until it
 * arrives, so a digest says which copy a host has.
 */
class FakeVm implements VirtualMachine, VmProcess, GuestState {
    static final int SIZE = 64 * 1024;

    private final DomainSpec spec;
    final byte[] memory = new byte[SIZE];
    volatile boolean running;
    /** What paused the guest by itself (a QEMU's disk I/O error), as {@link GuestState} says: null for nothing. */
    volatile GuestState.PausedBy pausedBy;
    private volatile boolean destroyed;
    /** Sending fails after this many bytes of memory (-1: never). */
    volatile int failSendAfter = -1;
    /** Receiving fails at once with this (null: never). */
    volatile IOException receiveFailure;
    /** Resuming fails with this (null: never). */
    volatile RuntimeException resumeFailure;
    /** While set, destroy fails and leaves the VM as it is, as a QEMU in uninterruptible sleep outlives SIGKILL. */
    volatile boolean unkillable;
    /** A failed resume or pause takes effect all the same, as QEMU runs a command whose reply timed out later. */
    volatile boolean failedCallsTakeEffect;
    /** Pausing fails with this (null: never); with {@link #failedCallsTakeEffect}, the guest is paused all the same. */
    volatile RuntimeException pauseFailure;
    /**
     * It answers nothing while its process lives on (a QEMU too busy or stopped), as {@link GuestState} says; its
     * {@link #isRunning} says false then, as a QEMU's whose {@code query-status} timed out.
     */
    volatile boolean silent;
    /** Runs once while the memory leaves, the guest as it was (an operator's call during Perform). */
    volatile Runnable duringSend;
    /** Runs at switch-over, with the guest paused, before the last bytes go. */
    volatile Runnable atSwitchOver;
    /** Runs once as a pause begins (a QEMU that stops answering as it is told to stop). */
    volatile Runnable beforePause;
    /** Runs once as a resume begins (a guest that powers off as it is resumed). */
    volatile Runnable beforeResume;
    /** Runs after each resume that succeeded (a guest that powers off as soon as it runs again). */
    volatile Runnable afterResume;
    /** Runs once as a destroy begins (a QEMU slow to die). */
    volatile Runnable beforeDestroy;
    /** Whether the guest ran as its memory began to leave (a live migration's), or null before any. */
    volatile Boolean runningWhenMemoryLeft;
    /** Its process ended on its own (killed, crashed): it answers nothing. */
    private volatile boolean exited;
    /** It ended by shutting down (the guest powered off), not by a crash. */
    private volatile boolean shutDown;
    /** The one exit action: a later onExit replaces it, as VmProcess says. */
    private final AtomicReference<Runnable> exitAction = new AtomicReference<>();
    /**
     * Its disks on storage other hosts may not share, as {@link DiskStorage} lists them (null: it offers no
     * {@link DiskStorage}, as the embedded hypervisor's VMs); {@link #storageFailure} instead when set.
     */
    volatile List<DiskStorage.Unshared> unsharedDisks;
    volatile HypervisorException storageFailure;

    FakeVm(DomainSpec spec, boolean booted) {
        this.spec = spec;
        if (booted) {
            new Random(spec.uuid().getLeastSignificantBits()).nextBytes(memory);
        }
        this.running = booted;
    }

    @Override
    public DomainSpec spec() {
        return spec;
    }

    @Override
    public boolean isRunning() {
        return running && !destroyed && !silent;
    }

    boolean isDestroyed() {
        return destroyed;
    }

    /** Its process ends on its own, as a QEMU the OOM killer took. */
    void exitOnItsOwn() {
        exited = true;
        running = false;
        Runnable action = exitAction.getAndSet(null);
        if (action != null) {
            action.run();
        }
    }

    /** Its process ends on its own by shutting down, as a QEMU whose guest powered off. */
    void shutDownOnItsOwn() {
        shutDown = true;
        exitOnItsOwn();
    }

    /** Its hypervisor pauses the guest by itself, as QEMU does for a disk write that fails with werror=stop. */
    void pauseBy(GuestState.PausedBy cause) {
        pausedBy = cause;
        running = false;
    }

    @Override
    public Optional<Observed> observe(long timeoutMillis) {
        return responds() && !silent ? Optional.of(new Observed(isRunning(), isRunning() ? null : pausedBy))
                : Optional.empty();
    }

    @Override
    public boolean shutDown() {
        return shutDown;
    }

    @Override
    public boolean responds() {
        return !exited && !destroyed;
    }

    @Override
    public void onExit(Runnable action) {
        if (exited) {
            action.run();
        } else {
            exitAction.set(action);
        }
    }

    @Override
    public <T> Optional<T> capability(Class<T> type) {
        if (type == DiskStorage.class) {
            if (unsharedDisks == null && storageFailure == null) {
                return Optional.empty();
            }
            DiskStorage storage = () -> {
                if (storageFailure != null) {
                    throw storageFailure;
                }
                return unsharedDisks;
            };
            return Optional.of(type.cast(storage));
        }
        return VirtualMachine.super.capability(type);
    }

    @Override
    public void pause() {
        Runnable before = beforePause;
        beforePause = null;
        if (before != null) {
            before.run();
        }
        if (pauseFailure != null) {
            running = running && !failedCallsTakeEffect;
            throw pauseFailure;
        }
        running = false;
    }

    @Override
    public void resume() {
        Runnable before = beforeResume;
        beforeResume = null;
        if (before != null) {
            before.run();
        }
        if (destroyed) {
            throw new IllegalStateException("domain '" + spec.name() + "' is destroyed");
        }
        if (exited) {
            throw new IllegalStateException("the process of domain '" + spec.name() + "' is gone");
        }
        if (resumeFailure != null) {
            if (failedCallsTakeEffect) {
                running = true;
                pausedBy = null;
            }
            throw resumeFailure;
        }
        running = true;
        pausedBy = null;
        Runnable after = afterResume;
        if (after != null) {
            after.run();
        }
    }

    @Override
    public void destroy() {
        Runnable before = beforeDestroy;
        beforeDestroy = null;
        if (before != null) {
            before.run();
        }
        if (unkillable && !exited) {
            throw new VmNotStoppedException("QEMU of domain '" + spec.name() + "' (pid 4242) did not die after SIGKILL");
        }
        destroyed = true;
        running = false;
    }

    @Override
    public String memoryDigest() {
        return contents();
    }

    /** A checksum of the memory, for the tests' eyes, whether or not the VM has a digest. */
    String contents() {
        CRC32C crc = new CRC32C();
        crc.update(memory);
        return Long.toHexString(crc.getValue());
    }

    @Override
    public MigrationStats sendMemory(OutputStream out, MigrationControl control) throws IOException, HypervisorException {
        boolean wasRunning = running;
        runningWhenMemoryLeft = running;
        DataOutputStream data = new DataOutputStream(out);
        try {
            data.writeInt(SIZE);
            for (int offset = 0; offset < SIZE; offset += 4096) {
                if (control.aborted()) {
                    throw new IOException("migration job: canceled by client");
                }
                if (failSendAfter >= 0 && offset >= failSendAfter) {
                    throw new IOException("Broken pipe");
                }
                data.write(memory, offset, 4096);
                if (offset == 0 && duringSend != null) {
                    duringSend.run();
                }
            }
            running = false; // switch-over
            if (atSwitchOver != null) {
                atSwitchOver.run();
            }
            if (control.aborted()) {
                throw new IOException("migration job: canceled by client");
            }
            data.writeUTF(contents());
            data.flush();
        } catch (IOException | RuntimeException e) {
            running = wasRunning && pausedBy == null; // a guest its hypervisor paused meanwhile stays paused
            throw e;
        }
        MigrationStats stats = new MigrationStats(1, SIZE, SIZE, 0, SIZE, 0, 1, 1, 0, 4096, false);
        control.progress(stats);
        return stats;
    }

    @Override
    public MigrationStats receiveMemory(InputStream in, MigrationControl control) throws IOException, HypervisorException {
        DataInputStream data = new DataInputStream(in);
        if (data.readInt() != SIZE) {
            throw new HypervisorException("memory size differs");
        }
        data.readFully(memory);
        String digest = data.readUTF();
        if (receiveFailure != null) { // on the last pages, all of the stream read
            throw receiveFailure;
        }
        if (!digest.equals(contents())) {
            throw new HypervisorException("memory digest differs");
        }
        MigrationStats stats = new MigrationStats(1, SIZE, SIZE, 0, SIZE, 0, 1, 0, 0, 4096, true);
        control.progress(stats);
        return stats;
    }

    @Override
    public List<DomainSpec.Graphics> graphicsListeners() {
        return List.of();
    }

    @Override
    public void relocateGraphicsClients(DomainSpec.Graphics destination, String tlsSubject) {
    }
}
