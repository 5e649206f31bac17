package io.ferry.driver.qemu;

import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.api.hypervisor.Hypervisor;
import io.ferry.api.hypervisor.HypervisorException;
import io.ferry.api.hypervisor.VirtualMachine;
import io.ferry.api.hypervisor.VmNotStoppedException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The QEMU driver for one domain type (the {@code qemu} and {@code kvm} services are two of these): starts QEMU
 * processes, finds them again after a daemon restart, and tracks which run directories have a VM here.
 */
class QemuDriver implements Hypervisor {
    private static final Logger LOG = LoggerFactory.getLogger(QemuDriver.class);

    private final String type;
    private volatile QemuSettings settings;
    private final Set<Path> claimed = ConcurrentHashMap.newKeySet();
    /** The memory and vCPUs arrivals may take, asked before an arriving QEMU starts (the qemu and kvm drivers'). */
    private final ArrivalRoom room;
    private final Map<Path, QemuVirtualMachine> vms = new ConcurrentHashMap<>();
    /** Where a QEMU whose guest migrated away is waited out after {@code quit}: a thread of its own each. */
    private final Executor exits;
    /**
     * Bounds the logs of the running QEMUs ({@link QemuLog#truncateIfFull}) every {@link #LOG_CHECK_SECONDS}, once the
     * driver has its settings ({@link #watchLogs}): started at construction, the thread of each instance whose activation
     * SCR refused (a bad setting in its configuration) ran, and kept that instance and the bundle's class loader, for
     * as long as the daemon did, as nothing deactivates an instance that never activated. Null until then.
     */
    private ScheduledExecutorService logs; // guarded by this
    static final long LOG_CHECK_SECONDS = 1;
    /** The logs emptied while their QEMU runs, so far: said once each. */
    private final Set<Path> chattyLogs = ConcurrentHashMap.newKeySet();

    QemuDriver(String type, QemuSettings settings) {
        this(type, settings, task -> {
            Thread exit = new Thread(task, "qemu-exit");
            exit.setDaemon(true);
            exit.start();
        });
    }

    QemuDriver(String type, QemuSettings settings, Executor exits) {
        this(type, settings, exits, ArrivalRoom.HOST);
    }

    /** Tests: with the room for arrivals {@code room}. */
    QemuDriver(String type, QemuSettings settings, Executor exits, ArrivalRoom room) {
        this.type = type;
        this.settings = settings;
        this.exits = exits;
        this.room = room;
        if (settings != null) {
            watchLogs();
        }
    }

    /** Starts bounding the logs, once: an activation with its settings (not before: it may still be refused). */
    synchronized void watchLogs() {
        if (logs == null) {
            logs = Executors.newSingleThreadScheduledExecutor(task -> {
                Thread thread = new Thread(task, "qemu-logs");
                thread.setDaemon(true);
                return thread;
            });
            logs.scheduleWithFixedDelay(this::boundLogs, LOG_CHECK_SECONDS, LOG_CHECK_SECONDS, TimeUnit.SECONDS);
        }
    }

    /** A QEMU writes its log itself for as long as it runs: one that writes without end must not fill the disk. */
    private void boundLogs() {
        for (QemuVirtualMachine vm : vms.values()) {
            Path log = vm.process().log();
            try {
                if (QemuLog.truncateIfFull(log) && chattyLogs.add(log)) { // once a run: not a line a second
                    LOG.warn("QEMU of domain '{}' wrote more than {} bytes to its log {}: its last ones kept in {}, the"
                            + " log emptied (and again whenever it is full)",
                            vm.spec().name(), QemuLog.MAX_BYTES, log, QemuLog.backup(log, 1));
                }
            } catch (IOException | RuntimeException e) {
                LOG.warn("cannot bound the log {} of domain '{}': {}", log, vm.spec().name(), e.toString());
            }
        }
    }

    /** The daemon stops: no more log checks. */
    synchronized void stopWatchingLogs() {
        if (logs != null) {
            logs.shutdownNow();
        }
    }

    void settings(QemuSettings settings) {
        this.settings = settings;
        LOG.info("QEMU driver of domain type '{}': emulator {}, migration ports {}-{}, progress timeout {} s{}{}", type,
                settings.emulator(), settings.firstPort(), settings.lastPort(), settings.progressTimeoutMillis() / 1000,
                settings.sharedPaths().isEmpty() ? "" : ", shared paths " + settings.sharedPaths(),
                settings.arrivalMemoryOvercommit() == 1 ? ""
                        : ", arrivals may take " + settings.arrivalMemoryOvercommit() + " times the memory available");
    }

    QemuSettings settings() {
        return settings;
    }

    @Override
    public void validate(DomainSpec spec) throws HypervisorException {
        QemuDomain domain = domain(spec);
        domain.requireStartable();
        QemuCommandLine.emulator(domain, settings.emulator());
    }

    /**
     * A peer's definition ({@link PeerFiles}) names no user-mode NIC either: QEMU's user network takes the guest's
     * connections to its gateway (10.0.2.2) to this host's loopback, where services that trust local clients listen.
     */
    @Override
    public void validatePeerDefinition(DomainSpec spec) throws HypervisorException {
        QemuSettings current = settings;
        QemuDomain domain = domain(spec);
        for (QemuDomain.Nic nic : domain.nics()) {
            if (nic.type().equals("user")) {
                throw new HypervisorException("interface net" + nic.index() + " (type 'user') is QEMU's user-mode network,"
                        + " whose guest reaches this host's loopback services: a peer's definition connects its guests to"
                        + " bridges only");
            }
        }
        String emulator = domain.emulator() == null ? null : QemuCommandLine.emulator(domain, current.emulator());
        new PeerFiles(new SharedStorage(current.sharedPaths(), SharedStorage.FileSystemType.OF_THIS_HOST)).check(domain, emulator);
    }

    private QemuDomain domain(DomainSpec spec) throws HypervisorException {
        if (!type.equals(spec.type())) {
            throw new HypervisorException("domain type '" + spec.type() + "' is not handled by the " + type + " driver");
        }
        return QemuDomain.of(spec);
    }

    @Override
    public VirtualMachine boot(DomainSpec spec, Path runDir) throws HypervisorException {
        return start(spec, runDir, false);
    }

    @Override
    public VirtualMachine createIncoming(DomainSpec spec, Path runDir) throws HypervisorException {
        return start(spec, runDir, true);
    }

    private VirtualMachine start(DomainSpec spec, Path runDir, boolean incoming) throws HypervisorException {
        QemuSettings current = settings;
        QemuDomain domain = domain(spec);
        domain.requireStartable();
        String emulator = QemuCommandLine.emulator(domain, current.emulator());
        RunDirHandover.awaitEarlier(vms.get(new RunFiles(runDir).dir()), spec, runDir, endBound());
        ArrivalRoom.Promise promise = incoming ? room.promise(spec, current.arrivalMemoryOvercommit())
                : ArrivalRoom.Promise.NONE;
        RunFiles files;
        try {
            files = claim(spec, runDir);
        } catch (HypervisorException e) {
            promise.close();
            throw e;
        }
        QemuProcess process = null;
        Qmp qmp = null;
        NicPlumbing nics = new NicPlumbing(current.ovsdb());
        boolean plugged = false;
        try {
            RunDirHandover.awaitUnknown(spec, files, endBound());
            files.prepare(current.user()); // whatever a previous VM left here is void from now on
            // without a user QEMU runs as root throughout: what an image's header names grants it nothing more
            if (current.user() != null) {
                current.user().checkCanOpenReferences(domain);
            }
            List<String> argv = QemuCommandLine.of(domain, emulator, files, incoming, current.user());
            // an incoming one reads its memory from the daemon
            process = QemuProcess.start(argv, log(spec), incoming, files.dir());
            StartRecord.of(process).write(files); // before the guest runs: the next daemon's way back to this QEMU
            QemuProcess started = process;
            qmp = Qmp.connect(files.qmp(), current.commandTimeoutMillis(), started::isAlive, started::lastLogLine);
            plugged = true; // before: a plug that fails half-way leaves ports to remove
            nics.plug(domain);
            QemuVirtualMachine vm = new QemuVirtualMachine(domain, files, process, qmp, current, nics,
                    () -> gone(files), exits, () -> settings().sharedPaths());
            vm.promised(promise);
            if (!incoming) {
                vm.execute("cont", null);
            }
            vms.put(files.dir(), vm);
            return vm;
        } catch (IOException | HypervisorException | RuntimeException e) {
            promise.close();
            if (qmp != null) {
                qmp.close();
            }
            if (process != null) {
                process.kill();
            }
            if (plugged) {
                nics.unplug(domain).forEach(p -> e.addSuppressed(new HypervisorException(p)));
            }
            claimed.remove(files.dir());
            if (e instanceof VmNotStoppedException running) { // its type kept: the core keeps what guards that VM
                VmNotStoppedException refused = new VmNotStoppedException("cannot start domain '" + spec.name() + "': "
                        + running.getMessage());
                refused.initCause(running);
                throw refused;
            }
            if (e instanceof HypervisorException h) {
                throw new HypervisorException("cannot start domain '" + spec.name() + "': " + h.getMessage(), h);
            }
            throw new HypervisorException("cannot start domain '" + spec.name() + "' in " + files.dir() + ": " + e, e);
        }
    }

    /**
     * Finds the QEMU of a VM through the daemon's record of it in its run directory (or, in an earlier build's, the
     * pidfile: {@link QemuPidfile}) and connects to its QMP socket; empty if that QEMU is gone. The VM keeps the run
     * state QEMU has.
     */
    @Override
    public Optional<VirtualMachine> reattach(DomainSpec spec, Path runDir) throws HypervisorException {
        QemuDomain domain = domain(spec);
        RunDirHandover.awaitEarlier(vms.get(new RunFiles(runDir).dir()), spec, runDir, endBound());
        QemuVirtualMachine live = vms.get(new RunFiles(runDir).dir());
        if (live != null && live.spec().uuid().equals(spec.uuid())) {
            return Optional.of(live);
        }
        RunFiles files = claim(spec, runDir);
        Qmp qmp = null;
        try {
            Optional<QemuProcess> found = QemuPidfile.find(files, spec.uuid().toString(), log(spec));
            if (found.isEmpty()) {
                claimed.remove(files.dir());
                files.delete();
                return Optional.empty();
            }
            QemuProcess process = found.get();
            qmp = Qmp.connect(files.qmp(), settings.commandTimeoutMillis(), process::isAlive, process::lastLogLine);
            checkIdentity(qmp, spec, files);
            StartRecord.recordFound(files, process, spec.name());
            QemuVirtualMachine vm = new QemuVirtualMachine(domain, files, process, qmp, settings,
                    new NicPlumbing(settings.ovsdb()), () -> gone(files), exits, () -> settings().sharedPaths());
            OutgoingMigration.cancelLeftOver(vm, vm.status());
            String status = vm.status();
            vms.put(files.dir(), vm);
            LOG.info("re-attached to QEMU of domain '{}' (pid {}), {}", spec.name(), process.pid(), status);
            return Optional.of(vm);
        } catch (IOException | HypervisorException | RuntimeException e) {
            if (qmp != null) {
                qmp.close(); // QEMU serves one monitor client: the next attempt needs this one gone
            }
            claimed.remove(files.dir());
            if (e instanceof HypervisorException h) {
                throw new HypervisorException("cannot re-attach domain '" + spec.name() + "': " + h.getMessage(), h);
            }
            throw new HypervisorException("cannot re-attach domain '" + spec.name() + "' in " + files.dir() + ": " + e, e);
        }
    }

    /**
     * The QEMU behind the run directory's socket is this domain's: QEMU made that socket, and one a guest took over
     * may have replaced it with a link to another VM's monitor, which is free while the daemon is down.
     */
    private void checkIdentity(Qmp qmp, DomainSpec spec, RunFiles files) throws HypervisorException {
        String uuid = qmp.execute("query-uuid", null, settings.commandTimeoutMillis()).path("UUID").asText();
        if (!uuid.equalsIgnoreCase(spec.uuid().toString())) {
            throw new HypervisorException("the QMP socket " + files.qmp() + " answers for the VM with UUID '"
                    + uuid.substring(0, Math.min(uuid.length(), 36)).replaceAll("[^0-9a-fA-F-]", "?")
                    + "', not this domain's " + spec.uuid());
        }
    }

    /** The daemon goes: QMP connections close, QEMU processes stay for the next daemon. */
    void detachAll() {
        vms.values().forEach(QemuVirtualMachine::detach);
        vms.clear();
        claimed.clear();
    }

    List<QemuVirtualMachine> vms() {
        return List.copyOf(vms.values());
    }

    /** libvirt's {@code qemu/NAME.log}: in the daemon's state directory, kept after the VM is gone. */
    private Path log(DomainSpec spec) {
        return settings.logDir().resolve(spec.name() + ".log");
    }

    /** How long an ending QEMU is given: the two quit timeouts {@link QemuQuit} gives it, and a second. */
    private long endBound() {
        return 2 * settings.quitTimeoutMillis() + 1000;
    }

    private RunFiles claim(DomainSpec spec, Path runDir) throws HypervisorException {
        RunFiles files = new RunFiles(runDir);
        files.check();
        if (!claimed.add(files.dir())) {
            throw new HypervisorException("run directory " + files.dir() + " of domain '" + spec.name()
                    + "' is in use by another domain of this daemon");
        }
        return files;
    }

    private void gone(RunFiles files) {
        QemuVirtualMachine vm = vms.remove(files.dir());
        if (vm != null) {
            chattyLogs.remove(vm.process().log());
        }
        claimed.remove(files.dir());
    }
}
