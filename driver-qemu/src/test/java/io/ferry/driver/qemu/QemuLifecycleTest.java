package io.ferry.driver.qemu;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.api.hypervisor.HypervisorException;
import io.ferry.api.hypervisor.MachineType;
import io.ferry.api.hypervisor.VirtualMachine;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import org.junit.After;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** Real QEMU processes: boot, QMP status, re-attach by a restarted daemon's driver, destroy, start failures. */
public class QemuLifecycleTest {
    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    private Path state;
    private QemuDriver driver;
    private QemuDriver restarted;

    @Before
    public void setUp() throws Exception {
        state = tmp.newFolder("state").toPath();
        driver = new QemuDriver("qemu", Guests.settings(state));
    }

    @After
    public void tearDown() {
        for (QemuDriver d : new QemuDriver[] {driver, restarted}) {
            if (d != null) {
                d.vms().forEach(QemuVirtualMachine::destroy);
            }
        }
    }

    private Path runDir() throws Exception {
        return tmp.newFolder().toPath();
    }

    /** {@code spec} booted by the first driver, which then goes (its QEMU stays), and re-attached by a new one. */
    private QemuVirtualMachine bootedAndReattached(DomainSpec spec) throws Exception {
        Path dir = runDir();
        driver.boot(spec, dir);
        driver.detachAll();
        restarted = new QemuDriver("qemu", Guests.settings(state));
        return (QemuVirtualMachine) restarted.reattach(spec, dir).orElseThrow();
    }

    /**
     * A VM says the machine its QEMU runs with no alias ({@code pc} is the newest pc-i440fx-X.Y), also once re-attached
     * by a restarted daemon's driver; an answer that names no machine type is none.
     */
    @Test
    public void aVmSaysTheMachineItRunsWithNoAlias() throws Exception {
        QemuVirtualMachine vm = bootedAndReattached(Guests.spec("machine1", 32, "0"));
        assertTrue(vm.machine(), vm.machine().matches("pc-i440fx-[0-9]+\\.[0-9]+"));
        assertEquals(vm.machine(), vm.capability(MachineType.class).orElseThrow().machine());

        assertEquals("pc-q35-9.2", QemuMachine.name(Qmp.JSON.getNodeFactory().textNode("pc-q35-9.2-machine")));
        for (String answer : new String[] {"pc-i440fx-10.0", "-machine", "pc,accel=kvm-machine", "pc'/><x-machine",
                ""}) {
            assertNull(answer, QemuMachine.name(Qmp.JSON.getNodeFactory().textNode(answer)));
        }
        assertNull(QemuMachine.name(Qmp.JSON.createObjectNode().put("type", "pc-machine")));
    }

    @Test
    public void bootsTheGuestWhichRunsAndDirtiesItsWorkingSet() throws Exception {
        DomainSpec spec = Guests.spec("boot1", 32, "4M");
        long start = System.nanoTime();
        QemuVirtualMachine vm = (QemuVirtualMachine) driver.boot(spec, runDir());
        System.out.printf("QEMU start to QMP ready and running: %d ms%n", (System.nanoTime() - start) / 1_000_000);

        assertTrue(vm.isRunning());
        assertEquals("running", vm.status());
        assertTrue("the guest booted and writes its working set", Guests.eventually(() -> {
            Guests.Status s = Guests.status(vm, state);
            return s.magic() == Guests.STATUS_MAGIC && s.passes() > 2;
        }));
        assertEquals(1024, Guests.status(vm, state).workingSetPages());
        assertTrue(Files.readString(state.resolve("qemu/boot1.log"))
                .contains("-nodefaults -no-user-config -display none"));
        assertFalse("no memory digest: the core must not ask for one", vm.hasMemoryDigest());
    }

    /**
     * QEMU opens a relative name (an image's data file, a unix socket's path) from its working directory, as root
     * before it drops to its user: its VM's run directory, which is the daemon's, never the daemon's own (/ under
     * systemd), where a data file 'etc/crontab' was /etc/crontab.
     */
    @Test
    public void qemuRunsInItsRunDirectoryNotTheDaemons() throws Exception {
        Path dir = runDir();
        QemuVirtualMachine vm = (QemuVirtualMachine) driver.boot(Guests.spec("cwd", 32, "0"), dir);
        assertEquals(dir.toRealPath(),
                Files.readSymbolicLink(Path.of("/proc", Long.toString(vm.process().pid()), "cwd")));
    }

    @Test
    public void qemuRunsUnderASeccompSandboxThatForbidsSpawningProcesses() throws Exception {
        // as libvirt's seccomp_sandbox: a guest that escaped into QEMU must not exec what it likes as the daemon's user
        QemuVirtualMachine vm = (QemuVirtualMachine) driver.boot(Guests.spec("sandboxed", 32, "0"), runDir());
        String status = Files.readString(Path.of("/proc", Long.toString(vm.process().pid()), "status"));
        assertTrue("QEMU runs without a seccomp filter: " + status.lines().filter(l -> l.startsWith("Seccomp"))
                .toList(), status.contains("Seccomp:\t2"));
        assertTrue(Files.readString(state.resolve("qemu/sandboxed.log")).contains("spawn=deny"));
    }

    @Test
    public void pauseAndResumeAreQemusRunState() throws Exception {
        QemuVirtualMachine vm = (QemuVirtualMachine) driver.boot(Guests.spec("pause1", 32, "1M"), runDir());
        vm.pause();
        assertFalse(vm.isRunning());
        assertEquals("paused", vm.status());
        long writes = Guests.status(vm, state).writes();
        Thread.sleep(100);
        assertEquals("a paused guest writes nothing", writes, Guests.status(vm, state).writes());
        vm.resume();
        assertTrue(vm.isRunning());
        assertTrue(Guests.eventually(() -> Guests.status(vm, state).writes() > writes));
    }

    @Test
    public void aRestartedDaemonReattachesWithTheRealRunState() throws Exception {
        DomainSpec running = Guests.spec("re-running", 32, "1M");
        DomainSpec paused = Guests.spec("re-paused", 32, "1M");
        Path runningDir = runDir();
        Path pausedDir = runDir();
        QemuVirtualMachine a = (QemuVirtualMachine) driver.boot(running, runningDir);
        QemuVirtualMachine b = (QemuVirtualMachine) driver.boot(paused, pausedDir);
        b.pause();
        long pid = a.process().pid();
        driver.detachAll(); // the daemon goes; its QEMUs stay

        restarted = new QemuDriver("qemu", Guests.settings(state));
        QemuVirtualMachine again = (QemuVirtualMachine) restarted.reattach(running, runningDir).orElseThrow();
        QemuVirtualMachine pausedAgain = (QemuVirtualMachine) restarted.reattach(paused, pausedDir).orElseThrow();
        assertEquals(pid, again.process().pid());
        assertTrue(again.isRunning());
        assertFalse(pausedAgain.isRunning());
        assertEquals("paused", pausedAgain.status());
        assertSame("a VM re-attached already is that VM, its monitor not claimed twice", pausedAgain,
                restarted.reattach(paused, pausedDir).orElseThrow());
        long writes = Guests.status(again, state).writes();
        assertTrue("the re-attached guest still runs",
                Guests.eventually(() -> Guests.status(again, state).writes() > writes));

        again.destroy();
        assertFalse(again.process().isAlive());
        assertFalse("the run files go",
                Files.exists(runningDir.resolve("qmp.sock")) || Files.exists(runningDir.resolve("qemu.pid")));
        assertTrue("the log stays", Files.exists(state.resolve("qemu/re-running.log")));
        assertEquals(Optional.empty(), restarted.reattach(running, runningDir));
    }

    @Test
    public void aVmWhoseQemuDiedIsNotReattached() throws Exception {
        DomainSpec spec = Guests.spec("died", 32, "0");
        Path dir = runDir();
        QemuVirtualMachine vm = (QemuVirtualMachine) driver.boot(spec, dir);
        driver.detachAll();
        Guests.signal(vm.process().pid(), "KILL");
        assertTrue(vm.process().awaitGone(5000));

        restarted = new QemuDriver("qemu", Guests.settings(state));
        assertEquals(Optional.empty(), restarted.reattach(spec, dir));
    }

    /**
     * As libvirt tells a shutdown from a crash: a QEMU ended by SIGTERM (QEMU's "host-signal" shutdown) shut down; one
     * killed by SIGKILL crashed.
     */
    @Test
    public void aQemuThatEndedOnItsOwnSaysWhetherItShutDown() throws Exception {
        QemuVirtualMachine terminated = (QemuVirtualMachine) driver.boot(Guests.spec("terminated", 32, "0"), runDir());
        QemuVirtualMachine killed = (QemuVirtualMachine) driver.boot(Guests.spec("killed", 32, "0"), runDir());
        CompletableFuture<Boolean> terminatedShutDown = new CompletableFuture<>();
        CompletableFuture<Boolean> killedShutDown = new CompletableFuture<>();
        terminated.onExit(() -> terminatedShutDown.complete(terminated.shutDown()));
        killed.onExit(() -> killedShutDown.complete(killed.shutDown()));

        Guests.signal(terminated.process().pid(), "TERM");
        Guests.signal(killed.process().pid(), "KILL");

        assertTrue("SIGTERM: QEMU shut down", terminatedShutDown.get(60, TimeUnit.SECONDS));
        assertFalse("SIGKILL: QEMU was killed", killedShutDown.get(60, TimeUnit.SECONDS));
    }

    /**
     * A re-attached QEMU is not this daemon's child, so its exit status is not known: a SHUTDOWN it announced before
     * it ended (SIGTERM) is read from the monitor once it has gone.
     */
    @Test
    public void aReattachedQemuThatAnnouncedItsShutdownShutDown() throws Exception {
        QemuVirtualMachine again = bootedAndReattached(Guests.spec("reterm", 32, "0"));
        CompletableFuture<Boolean> shutDown = new CompletableFuture<>();
        again.onExit(() -> shutDown.complete(again.shutDown()));

        Guests.signal(again.process().pid(), "TERM");

        assertTrue("QEMU announced SHUTDOWN before it ended", shutDown.get(60, TimeUnit.SECONDS));
    }

    /**
     * The guest powers itself off when its power button is pressed (ACPI), and QEMU exits: told from a crash by
     * QEMU's exit status (its SHUTDOWN event is often lost here: QEMU may exit before its monitor sent it).
     */
    @Test
    public void aGuestThatPoweredOffShutDown() throws Exception {
        QemuVirtualMachine vm = (QemuVirtualMachine) driver.boot(Guests.spec("poweroff", 32, "1M"), runDir());
        assertTrue("the guest booted and writes its working set",
                Guests.eventually(() -> Guests.status(vm, state).passes() > 0));
        CompletableFuture<Boolean> shutDown = new CompletableFuture<>();
        vm.onExit(() -> shutDown.complete(vm.shutDown()));

        try {
            vm.execute("system_powerdown", null);
        } catch (HypervisorException e) {
            // the guest may power off before QEMU's answer leaves it: QEMU exited during the command, as asked
        }

        assertTrue("QEMU ended as a guest that powered off", shutDown.get(60, TimeUnit.SECONDS));
        assertFalse(vm.process().isAlive());
    }

    @Test
    public void destroyKillsAQemuThatDoesNotQuit() throws Exception {
        QemuVirtualMachine vm = (QemuVirtualMachine) driver.boot(Guests.spec("stuck", 32, "0"), runDir());
        Guests.signal(vm.process().pid(), "STOP"); // QMP does not answer, quit is never read
        vm.destroy();
        assertFalse(vm.process().isAlive());
        vm.destroy(); // idempotent
        assertEquals("any command", "domain 'stuck' is destroyed",
                assertThrows(HypervisorException.class, vm::status).getMessage());
        // the memory calls of a migration that goes on after the destroy say why they cannot, not how QMP failed
        assertEquals("domain 'stuck' is destroyed", assertThrows(HypervisorException.class,
                () -> vm.sendMemory(OutputStream.nullOutputStream(), new Guests.Control())).getMessage());
        assertEquals("domain 'stuck' is destroyed", assertThrows(HypervisorException.class,
                () -> vm.listenForMemory("127.0.0.1")).getMessage());
    }

    /** A re-attached QEMU is not this daemon's child: its SIGKILL goes to the process found by its pidfile. */
    @Test
    public void destroyKillsAReattachedQemuThatDoesNotQuit() throws Exception {
        QemuVirtualMachine again = bootedAndReattached(Guests.spec("stuck-again", 32, "0"));
        Guests.signal(again.process().pid(), "STOP");
        again.destroy();
        assertFalse(again.process().isAlive());
    }

    @Test
    public void aQemuThatDiesMidCommandFailsTheCallWithItsLastWords() throws Exception {
        QemuVirtualMachine vm = (QemuVirtualMachine) driver.boot(Guests.spec("dies", 32, "0"), runDir());
        Guests.signal(vm.process().pid(), "STOP"); // the command waits for a reply that never comes
        FutureTask<String> status = Guests.async("status", vm::status);
        Thread.sleep(200);
        Guests.signal(vm.process().pid(), "KILL");
        ExecutionException e = assertThrows(ExecutionException.class,
                () -> status.get(30, TimeUnit.SECONDS));
        assertEquals("QEMU exited during query-status: " + vm.process().lastLogLine(), e.getCause().getMessage());
        assertFalse(vm.isRunning());
    }

    @Test
    public void aMissingQemuBinaryIsAClearErrorAtDefine() throws Exception {
        String xml = Guests.xml("nobinary", UUID.randomUUID(), 32, "0",
                "<emulator>/nonexistent/qemu-system-x86_64</emulator>");
        HypervisorException e = assertThrows(HypervisorException.class, () -> driver.validate(Guests.spec(xml)));
        assertEquals("the QEMU binary /nonexistent/qemu-system-x86_64 of domain 'nobinary' is not an executable file",
                e.getMessage());
        QemuDriver none = new QemuDriver("qemu", new QemuSettings("no-such-qemu", 49152, 49215, 30_000, 1000, 10_000,
                state.resolve("qemu"), null));
        e = assertThrows(HypervisorException.class, () -> none.boot(Guests.spec("nobinary2", 32, "0"), runDir()));
        assertTrue(e.getMessage(),
                e.getMessage().contains("'no-such-qemu'") && e.getMessage().contains("not on the PATH"));
    }

    @Test
    public void aCrashingQemuFailsTheStartWithTheLastLineOfItsLog() throws Exception {
        Path crashing = tmp.newFile("crashing-qemu").toPath();
        Files.writeString(crashing, "#!/bin/sh\necho 'qemu-system-x86_64: could not load kernel: boom' >&2\nexit 1\n");
        Files.setPosixFilePermissions(crashing, PosixFilePermissions.fromString("rwx------"));
        String xml = Guests.xml("crashes", UUID.randomUUID(), 32, "0", "<emulator>" + crashing + "</emulator>");
        Path dir = runDir();
        HypervisorException e = assertThrows(HypervisorException.class, () -> driver.boot(Guests.spec(xml), dir));
        assertEquals("cannot start domain 'crashes': QEMU exited: qemu-system-x86_64: could not load kernel: boom",
                e.getMessage());
        assertTrue("nothing is left claimed", driver.vms().isEmpty());

        // a real QEMU refusing its configuration: the message is QEMU's own
        String badMachine = Guests.xml("badmachine", UUID.randomUUID(), 32, "0", "")
                .replace("machine='pc'", "machine='nosuch'");
        e = assertThrows(HypervisorException.class, () -> driver.boot(Guests.spec(badMachine), runDir()));
        assertTrue(e.getMessage(), e.getMessage().contains("QEMU exited") && e.getMessage().contains("nosuch"));
    }

    /**
     * A QEMU that started but whose start then failed (here: its monitor never answers) is killed, not left running.
     */
    @Test
    public void aQemuWhoseStartFailsAfterItRanIsKilled() throws Exception {
        Path pidFile = state.resolve("silent.pid");
        Path silent = tmp.newFile("silent-qemu").toPath();
        Files.writeString(silent, "#!/bin/sh\necho $$ > " + pidFile + "\nexec sleep 600\n");
        Files.setPosixFilePermissions(silent, PosixFilePermissions.fromString("rwx------"));
        String xml = Guests.xml("silent", UUID.randomUUID(), 32, "0", "<emulator>" + silent + "</emulator>");
        QemuDriver impatient = new QemuDriver("qemu", new QemuSettings(QemuSettings.DEFAULT_EMULATOR, 49152, 49215,
                30_000, 1000, 2_000, state.resolve("qemu"), null));
        ProcessHandle qemu = null;
        try {
            HypervisorException e = assertThrows(HypervisorException.class,
                    () -> impatient.boot(Guests.spec(xml), runDir()));
            assertTrue(e.getMessage(), e.getMessage().startsWith("cannot start domain 'silent': QEMU's QMP socket "));
            qemu = ProcessHandle.of(Long.parseLong(Files.readString(pidFile).trim())).orElse(null);
            ProcessHandle started = qemu;
            assertTrue("the QEMU of the failed start runs on",
                    Guests.eventually(() -> started == null || !started.isAlive()));
            assertTrue("nothing is left claimed", impatient.vms().isEmpty());
        } finally {
            impatient.stopWatchingLogs();
            if (qemu != null) {
                qemu.destroyForcibly();
            }
        }
    }

    @Test
    public void aVmFromAnotherDomainInTheRunDirectoryIsRefused() throws Exception {
        Path dir = runDir();
        VirtualMachine vm = driver.boot(Guests.spec("first", 32, "0"), dir);
        HypervisorException e = assertThrows(HypervisorException.class,
                () -> driver.boot(Guests.spec("second", 32, "0"), dir));
        assertTrue(e.getMessage(), e.getMessage().contains("in use by another domain"));
        assertTrue("the first one is untouched", vm.isRunning());
    }
}
