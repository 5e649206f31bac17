package io.ferry.driver.qemu;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.api.hypervisor.HypervisorException;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * A guest that powers off ends its QEMU (status 0, after a SHUTDOWN event). A call it cuts short other than the
 * migration job's (a stop, a cont, a query-status) said "QEMU exited during stop: ...", a crash to whoever read it,
 * where libvirt says the domain is not running; a QEMU that crashed still says so, with its last words.
 */
public class QemuShutDownCallTest {
    /** What QEMU sends when its guest powers off. */
    private static final String SHUTDOWN_EVENT =
            "{\"event\": \"SHUTDOWN\", \"data\": {\"guest\": true, \"reason\": \"guest-shutdown\"}}\n";

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    @Test
    public void aPauseThatTheGuestsPowerOffCutsShortSaysTheDomainIsNotRunning() throws Exception {
        assertEquals("domain 'poweroff' is not running: its guest shut down (it powered off, or QEMU was told to quit),"
                + " and QEMU exited during stop: (it wrote nothing to its log " + tmp.getRoot().toPath().resolve("vm.log")
                + " since it started)", pauseEndingQemuWith(0, true));
    }

    @Test
    public void aPauseThatQemuCrashesDuringSaysItExitedWithItsLastWords() throws Exception {
        assertEquals("QEMU exited during stop: (it wrote nothing to its log " + tmp.getRoot().toPath().resolve("vm.log")
                + " since it started)", pauseEndingQemuWith(1, false));
    }

    /**
     * A guest powered off mid-migration: QEMU announces SHUTDOWN, then cancels the migration and waits for its thread
     * before it exits, answering nothing meanwhile. On a loaded host query-migrate timed out and QEMU was still there a
     * second later, so the power-off read as "QEMU did not answer query-migrate in time" (CI, 2026-12-03). Here QEMU
     * takes 3 s to end after its announcement.
     */
    @Test
    public void aQemuThatAnnouncedItsShutdownIsWaitedForWhileItCleansUp() throws Exception {
        RunFiles files = runFiles();
        QemuProcess process = QemuProcess.start(List.of("sh", "-c", "sleep 3; exit 0"), tmp.getRoot().toPath().resolve("vm.log"));
        try (FakeQmp qemu = new FakeQmp(files.qmp(), (command, out) -> { // announces, then answers nothing
            FakeQmp.write(out, SHUTDOWN_EVENT);
        }); Qmp qmp = Qmp.connect(files.qmp(), 10_000, process::isAlive, process::lastLogLine)) {
            HypervisorException unanswered = assertThrows(HypervisorException.class,
                    () -> qmp.execute("query-migrate", null, 200));
            assertEquals("QEMU did not answer query-migrate in time", unanswered.getMessage());
            assertTrue("a QEMU that announced SHUTDOWN and then ended with status 0 shut down",
                    GuestShutDown.happened("cleanup", process, qmp));
        } finally {
            process.kill();
        }
    }

    /**
     * The same QEMU stuck for good in its clean-up (CI, 2026-12-03: no answer for two minutes, until a destroy killed
     * it): it is killed once the wait is over, and its end counts as the shutdown it announced, not a crash.
     */
    @Test
    public void aQemuStuckAfterItsShutdownIsKilledAndCountsAsShutDown() throws Exception {
        DomainSpec spec = Guests.spec("stuck", 32, "0");
        RunFiles files = runFiles();
        QemuProcess process = QemuProcess.start(List.of("sleep", "600"), tmp.getRoot().toPath().resolve("vm.log"));
        try (FakeQmp qemu = new FakeQmp(files.qmp(), (command, out) -> FakeQmp.write(out, SHUTDOWN_EVENT));
                Qmp qmp = Qmp.connect(files.qmp(), 10_000, process::isAlive, process::lastLogLine)) {
            QemuVirtualMachine vm = vm(spec, files, process, qmp);
            CompletableFuture<Boolean> shutDown = new CompletableFuture<>();
            vm.onExit(() -> shutDown.complete(vm.shutDown()));
            assertThrows(HypervisorException.class, () -> qmp.execute("query-migrate", null, 200));

            assertTrue("a QEMU that announced SHUTDOWN and never ended is taken as shut down",
                    GuestShutDown.happened("stuck", process, qmp, 200));
            assertFalse("it was killed", process.isAlive());
            assertTrue("its end reads as its guest's shutdown, not a crash", shutDown.get(60, TimeUnit.SECONDS));
        } finally {
            process.kill();
        }
    }

    /**
     * The same QEMU outliving SIGKILL (uninterruptible sleep on hung storage): it is not taken as shut down while it
     * is there, since it may still write the guest's disks; a destroy tells of it (QemuUnkillableTest).
     */
    @Test
    public void aQemuThatOutlivesSigkillAfterItsShutdownIsNotTakenAsShutDown() throws Exception {
        RunFiles files = runFiles();
        QemuProcess real = QemuProcess.start(List.of("sleep", "600"), tmp.getRoot().toPath().resolve("vm.log"));
        QemuProcess process = real.killedBy(hung -> { }); // its SIGKILL stays pending
        try (FakeQmp qemu = new FakeQmp(files.qmp(), (command, out) -> FakeQmp.write(out, SHUTDOWN_EVENT));
                Qmp qmp = Qmp.connect(files.qmp(), 10_000, process::isAlive, process::lastLogLine)) {
            assertThrows(HypervisorException.class, () -> qmp.execute("query-migrate", null, 200));

            assertFalse("a QEMU still there after SIGKILL is not taken as shut down",
                    GuestShutDown.happened("hung", process, qmp, 200));
            assertTrue("QEMU is still there", real.isAlive());
        } finally {
            real.kill();
        }
    }

    /**
     * A guest's power-off announced SHUTDOWN and QEMU closed its monitor before the next command was written (the
     * migration job's next query-migrate): the announcement is read all the same, so a QEMU slow to end is waited for
     * as one that shut down. The write's failure dropped it, and a QEMU still there a second later read as a crash,
     * "QEMU exited during query-migrate: ..." (CI, 2026-12-05).
     */
    @Test
    public void aShutdownAnnouncedBeforeTheMonitorClosedIsReadWhenTheNextCommandCannotBeWritten() throws Exception {
        RunFiles files = runFiles();
        Path log = tmp.getRoot().toPath().resolve("vm.log");
        QemuProcess process = QemuProcess.start(List.of("sleep", "600"), log);
        try (FakeQmp qemu = new FakeQmp(files.qmp(), (command, out) -> { // answers, announces, closes its monitor
            FakeQmp.write(out, "{\"return\": {}, \"id\": \"" + FakeQmp.id(command) + "\"}\n");
            FakeQmp.write(out, SHUTDOWN_EVENT);
            close(out);
        }); Qmp qmp = Qmp.connect(files.qmp(), 10_000, process::isAlive, process::lastLogLine)) {
            qmp.execute("system_powerdown", null, 10_000);
            assertTrue("the stand-in closed its monitor", qemu.clientGone(10_000));

            HypervisorException cut = assertThrows(HypervisorException.class,
                    () -> qmp.execute("query-migrate", null, 10_000));
            assertEquals("QEMU exited during query-migrate: (it wrote nothing to its log " + log + " since it started)",
                    cut.getMessage());
            assertTrue("a QEMU that announced SHUTDOWN is waited for, then taken as shut down",
                    GuestShutDown.happened("closed", process, qmp, 200));
        } finally {
            process.kill();
        }
    }

    /** A QEMU that is merely slow to answer, with no SHUTDOWN announced, is neither killed nor taken as shut down. */
    @Test
    public void aQemuThatAnnouncedNoShutdownIsNotKilledForAnUnansweredCall() throws Exception {
        RunFiles files = runFiles();
        QemuProcess process = QemuProcess.start(List.of("sleep", "600"), tmp.getRoot().toPath().resolve("vm.log"));
        try (FakeQmp qemu = new FakeQmp(files.qmp(), (command, out) -> { });
                Qmp qmp = Qmp.connect(files.qmp(), 10_000, process::isAlive, process::lastLogLine)) {
            assertThrows(HypervisorException.class, () -> qmp.execute("query-migrate", null, 200));

            assertFalse(GuestShutDown.happened("slow", process, qmp, 200));
            assertTrue("QEMU still runs", process.isAlive());
        } finally {
            process.kill();
        }
    }

    /** A QEMU that exits with {@code status} as it is told to stop, after a SHUTDOWN event if {@code announced}. */
    private String pauseEndingQemuWith(int status, boolean announced) throws Exception {
        DomainSpec spec = Guests.spec("poweroff", 32, "0");
        RunFiles files = runFiles();
        Path off = tmp.getRoot().toPath().resolve("off");
        QemuProcess process = QemuProcess.start(List.of("sh", "-c", "while [ ! -e " + off + " ]; do sleep 0.01; done; exit "
                + status), tmp.getRoot().toPath().resolve("vm.log"));
        try (FakeQmp qemu = new FakeQmp(files.qmp(), (command, out) -> {
            if (command.contains("\"stop\"")) { // QEMU ends before it answers
                if (announced) {
                    FakeQmp.write(out, SHUTDOWN_EVENT);
                }
                end(out, off);
            } else {
                FakeQmp.write(out, "{\"return\": {}, \"id\": \"" + FakeQmp.id(command) + "\"}\n");
            }
        }); Qmp qmp = Qmp.connect(files.qmp(), 10_000, process::isAlive, process::lastLogLine)) {
            QemuVirtualMachine vm = vm(spec, files, process, qmp);
            return assertThrows(IllegalStateException.class, vm::pause).getMessage();
        } finally {
            process.kill();
        }
    }

    private RunFiles runFiles() throws Exception {
        RunFiles files = new RunFiles(tmp.newFolder("run").toPath());
        files.prepare(null);
        return files;
    }

    /** A VM over a stand-in QEMU: its exit actions run at once. */
    private QemuVirtualMachine vm(DomainSpec spec, RunFiles files, QemuProcess process, Qmp qmp) throws Exception {
        return Guests.vm(spec, files, process, qmp, Guests.settings(tmp.newFolder("state").toPath()),
                () -> { });
    }

    private static void end(OutputStream monitor, Path off) {
        try {
            Files.createFile(off);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        close(monitor);
    }

    private static void close(OutputStream monitor) {
        try {
            monitor.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
