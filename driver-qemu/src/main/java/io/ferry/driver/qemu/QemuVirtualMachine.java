package io.ferry.driver.qemu;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ferry.api.hypervisor.DirectMigration;
import io.ferry.api.hypervisor.DiskStorage;
import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.api.hypervisor.GraphicsConsole;
import io.ferry.api.hypervisor.GuestState;
import io.ferry.api.hypervisor.HypervisorException;
import io.ferry.api.hypervisor.MachineType;
import io.ferry.api.hypervisor.MigrationControl;
import io.ferry.api.hypervisor.MigrationStats;
import io.ferry.api.hypervisor.VirtualMachine;
import io.ferry.api.hypervisor.VmNotStoppedException;
import io.ferry.api.hypervisor.VmProcess;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A QEMU process driven over QMP. Its run state is QEMU's own ({@code query-status}), never a copy of it; the
 * process outlives the daemon, which re-attaches to it ({@link QemuDriver#reattach}). Its run state is read by
 * {@link QemuRunState}, its memory's migrations are {@link QemuMemory}'s, its graphics clients' {@link QemuGraphics}'s.
 */
final class QemuVirtualMachine implements VirtualMachine, DirectMigration, GraphicsConsole, VmProcess, DiskStorage,
        GuestState, MachineType {
    private static final Logger LOG = LoggerFactory.getLogger(QemuVirtualMachine.class);

    private final QemuDomain domain;
    private final RunFiles files;
    private final QemuProcess process;
    private final Qmp qmp;
    private final QemuSettings settings;
    private final NicPlumbing nics;
    private final Runnable onGone;
    private final Executor exits;
    /** The driver's {@code sharedPaths} now: a change of the setting counts for the VMs that run already. */
    private final Supplier<List<Path>> sharedPaths;
    private final Object lifecycle = new Object();
    private volatile boolean gone;
    /** Completed once a destroyed VM's run files, NICs and run directory are let go ({@link #release}). */
    private final CompletableFuture<Void> released = new CompletableFuture<>();
    private final AtomicBoolean unplugged = new AtomicBoolean();
    /** Its process outlived a destroy's SIGKILL: a later destroy only looks whether it has died since. */
    private volatile boolean outlivedSigkill;
    /** QEMU announced SHUTDOWN before it ended on its own (read once it had). */
    private volatile boolean shutDown;
    /** What {@link #onExit} runs: the last one given, held by this VM's one watch of its process. */
    private final AtomicReference<Runnable> exitAction = new AtomicReference<>();
    private final AtomicBoolean exitWatched = new AtomicBoolean();
    private volatile boolean exited;
    private final QemuRunState runState;
    private final QemuGraphics graphics;
    private final QemuMemory memory;
    /** The host memory an arrival was promised ({@link ArrivalRoom}): given back once it has loaded, or it is gone. */
    private volatile ArrivalRoom.Promise promise = ArrivalRoom.Promise.NONE;

    QemuVirtualMachine(QemuDomain domain, RunFiles files, QemuProcess process, Qmp qmp, QemuSettings settings,
            NicPlumbing nics, Runnable onGone, Executor exits, Supplier<List<Path>> sharedPaths) {
        this.domain = domain;
        this.files = files;
        this.process = process;
        this.qmp = qmp;
        this.settings = settings;
        this.nics = nics;
        this.onGone = onGone;
        this.exits = exits;
        this.sharedPaths = sharedPaths;
        this.graphics = new QemuGraphics(this, domain);
        this.memory = new QemuMemory(this, files, settings);
        this.runState = new QemuRunState(qmp, process, settings, () -> gone);
    }

    @Override
    public DomainSpec spec() {
        return domain.spec();
    }

    @Override
    public String machine() {
        return QemuMachine.of(this);
    }

    /** {@link QemuRunState#isRunning}. */
    @Override
    public boolean isRunning() {
        return runState.isRunning();
    }

    @Override
    public boolean responds() {
        return runState.responds();
    }

    /** {@link QemuRunState#observe}. */
    @Override
    public Optional<GuestState.Observed> observe(long timeoutMillis) {
        return runState.observe(timeoutMillis);
    }

    /** Its writable disks on a file system not known to be shared ({@link SharedStorage}), asked at each Begin. */
    @Override
    public List<DiskStorage.Unshared> unsharedDisks() throws HypervisorException {
        return new SharedStorage(sharedPaths.get(), SharedStorage.FileSystemType.OF_THIS_HOST).unshared(domain.disks());
    }

    /**
     * How QEMU ended is told by its exit status when it is this daemon's child (QEMU may exit before its monitor sent
     * the SHUTDOWN event), else by that event if it came. On a thread of the driver's: reading what QEMU wrote last
     * must not hold the JDK's process reaper.
     */
    @Override
    public void onExit(Runnable action) {
        exitAction.set(action); // a new core's manager replaces the old one's, which kept that core's classes alive
        if (exitWatched.compareAndSet(false, true)) {
            process.onExit(() -> exits.execute(() -> {
                if (!gone) {
                    shutDown = process.exitedCleanly().orElseGet(() -> qmp.announcedShutdown(settings.commandTimeoutMillis()));
                }
                exited = true;
                runExitAction();
            }));
        } else if (exited) {
            exits.execute(this::runExitAction); // it ended before this manager came
        }
    }

    /** Each action at most once; none after a destroy. */
    private void runExitAction() {
        Runnable action = exitAction.getAndSet(null);
        if (action != null && !gone) {
            action.run();
        }
    }

    @Override
    public boolean shutDown() {
        return shutDown;
    }

    /**
     * QEMU's run state by name ({@code running}, {@code paused}, {@code inmigrate}, {@code postmigrate}, …), as
     * re-attach logs it: one line ({@link UntrustedText}).
     */
    String status() throws HypervisorException {
        return UntrustedText.of(execute("query-status", null).path("status").asText());
    }

    @Override
    public void pause() {
        unchecked("stop");
    }

    @Override
    public void resume() {
        unchecked("cont");
    }

    private void unchecked(String command) {
        try {
            execute(command, null);
        } catch (HypervisorException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    /**
     * Asks QEMU to quit, kills it if it has not gone within the quit timeout, and removes its run files; the log stays.
     * Waits for the process to die, never for it to be reaped, unless the guest has already left ({@code postmigrate},
     * or {@code finish-migrate} with the outgoing migration {@code completed}: Confirm's case): then nothing of the
     * guest is left to lose, and a thread of its own waits out the process (and kills it after the quit timeout) while
     * Confirm goes on; its run files stay, and no other QEMU takes its run directory, until it is gone
     * ({@link #awaitReleased}; the core may delete that directory meanwhile, taking what this deletes as gone); its
     * switch ports go at once. A QEMU still there a quit timeout after SIGKILL (in uninterruptible sleep: hung NFS, a
     * stuck device) may write the guest's disks when it wakes: as libvirt's {@code virProcessKillPainfully} fails with
     * EBUSY, so does this, and the VM stays as it is (run files, NICs, QMP), not gone. A later destroy (the core
     * retries an aborted arrival's every few seconds) sends SIGKILL again, as libvirt's does on every destroy (should
     * the first not have reached it), and fails again at once unless the process has died: no second quit nor waits
     * holding its caller, no second warning in the log. Should the process end first, {@link #onExit} reports it.
     *
     * @throws VmNotStoppedException naming the domain and the pid, if the process outlived SIGKILL
     */
    @Override
    public void destroy() {
        synchronized (lifecycle) {
            if (gone) {
                return;
            }
            gone = true; // other commands are refused while it goes
        }
        QemuQuit quit = new QemuQuit(spec().name(), process, qmp, settings, exits);
        boolean survived = false;
        boolean ending = false;
        try {
            if (process.isAlive()) {
                QemuQuit.Outcome outcome = outlivedSigkill
                        ? (killedAgain() ? QemuQuit.Outcome.GONE : QemuQuit.Outcome.NOT_DEAD)
                        : quit.run(this::release);
                survived = outcome == QemuQuit.Outcome.NOT_DEAD;
                ending = outcome == QemuQuit.Outcome.ENDING;
            }
        } finally {
            if (ending) {
                unplugNics();
            } else if (!survived) {
                release();
            }
        }
        if (survived) {
            outlivedSigkill = true;
            gone = false;
            throw new VmNotStoppedException(quit.notDead() + ": it may be in uninterruptible sleep (hung storage, a stuck"
                    + " device) and write the guest's disks when it wakes, so the domain stays, and its run files and"
                    + " disk leases stay held; destroy it again once the process is gone");
        }
    }

    /** SIGKILL once more to a process that outlived one; true if it is gone now (it woke since), without waiting. */
    private boolean killedAgain() {
        process.kill();
        return !process.isAlive();
    }

    /**
     * Waits up to {@code millis} for a destroyed VM whose QEMU was still ending to be released; true if it is (or was
     * never destroyed: a VM that runs is the caller's to refuse).
     */
    boolean awaitReleased(long millis) throws InterruptedException {
        if (!gone) {
            return true;
        }
        try {
            released.get(millis, TimeUnit.MILLISECONDS);
            return true;
        } catch (ExecutionException | TimeoutException e) {
            return false;
        }
    }

    /** The VM is gone: its QMP connection, NICs and run files go, and the driver forgets it. */
    private void release() {
        qmp.close();
        unplugNics();
        try {
            files.delete();
        } catch (IOException e) {
            LOG.warn("cannot remove the run files of domain '{}': {}", spec().name(), e);
        }
        onGone.run();
        promise.close();
        released.complete(null);
    }

    /** Once: the ports of a guest that migrated away go at once (its switch ports follow it), its QEMU ending or not. */
    private void unplugNics() {
        if (!unplugged.compareAndSet(false, true)) {
            return;
        }
        for (String problem : nics.unplug(domain)) {
            LOG.warn("cannot unplug a NIC of domain '{}': {}", spec().name(), problem);
        }
    }

    /** The daemon goes, the VM stays: closes the QMP connection only. */
    void detach() {
        qmp.close();
    }

    /** QEMU's stream has no end-to-end checksum and the RAM is in another process: no digest. */
    @Override
    public boolean hasMemoryDigest() {
        return false;
    }

    @Override
    public String memoryDigest() {
        throw new UnsupportedOperationException("QEMU VMs have no memory digest (hasMemoryDigest() is false)");
    }

    @Override
    public MigrationStats sendMemory(OutputStream out, MigrationControl control) throws IOException, HypervisorException {
        checkPresent();
        return memory.send(out, control);
    }

    /** The driver's promise of this arrival's memory, kept until its memory has loaded or it is gone. */
    void promised(ArrivalRoom.Promise arrival) {
        promise = arrival;
    }

    @Override
    public MigrationStats receiveMemory(InputStream in, MigrationControl control) throws IOException, HypervisorException {
        checkPresent();
        MigrationStats loaded = memory.receive(in, control);
        promise.close(); // QEMU holds what it loaded: the host's available memory tells it from now on
        return loaded;
    }

    @Override
    public String listenForMemory(String host) throws HypervisorException {
        checkPresent();
        process.closeIncomingPipe(); // its memory comes from the source's QEMU: the pipe would only hold a descriptor
        return memory.listen(host);
    }

    @Override
    public MigrationStats awaitMemory(MigrationControl control) throws HypervisorException {
        MigrationStats loaded = memory.await(control);
        promise.close();
        return loaded;
    }

    @Override
    public MigrationStats sendMemory(String dataUri, MigrationControl control) throws HypervisorException {
        checkPresent();
        return memory.send(dataUri, control);
    }

    @Override
    public List<DomainSpec.Graphics> listeners() {
        // not the ports it kept: a destroyed VM, or one whose QEMU ended by itself, listens nowhere
        return gone || !process.isAlive() ? List.of() : graphics.listeners();
    }

    @Override
    public void relocateClients(DomainSpec.Graphics destination, int tlsPort, String tlsSubject)
            throws HypervisorException {
        checkPresent();
        graphics.relocateClients(destination, tlsPort, tlsSubject);
    }

    @Override
    public boolean awaitClientsMigrated(long timeoutMillis) {
        return gone || graphics.awaitClientsMigrated(timeoutMillis);
    }

    /** A QMP command with the configured time limit; one that QEMU's exit after its guest shut down fails says so. */
    JsonNode execute(String command, ObjectNode arguments) throws HypervisorException {
        return execute(command, arguments, settings.commandTimeoutMillis());
    }

    /** {@link #execute(String, ObjectNode)} within {@code timeoutMillis}, if shorter than the configured limit. */
    JsonNode execute(String command, ObjectNode arguments, long timeoutMillis) throws HypervisorException {
        if (!command.equals("quit")) {
            checkPresent();
        }
        try {
            return qmp.execute(command, arguments, Math.min(timeoutMillis, settings.commandTimeoutMillis()));
        } catch (Qmp.CommandError e) {
            throw e; // QEMU answered
        } catch (HypervisorException e) {
            if (!gone && GuestShutDown.happened(spec().name(), process, qmp)) {
                throw new GuestShutDown(spec().name(), e);
            }
            throw e;
        }
    }

    Qmp qmp() {
        return qmp;
    }

    RunFiles files() {
        return files;
    }

    QemuProcess process() {
        return process;
    }

    long memoryBytes() {
        return spec().memoryKiB() * 1024;
    }

    private void checkPresent() throws HypervisorException {
        if (gone) {
            throw new HypervisorException("domain '" + spec().name() + "' is destroyed");
        }
    }
}
