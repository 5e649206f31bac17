package io.ferry.driver.qemu;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

import io.ferry.api.hypervisor.DomainSpec;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * A guest that powers off ends its QEMU (status 0, after a SHUTDOWN event). A call it cuts short other than the
 * migration job's (a stop, a cont, a query-status) said "QEMU exited during stop: ...", a crash to whoever read it,
 * where libvirt says the domain is not running; a QEMU that crashed still says so, with its last words.
 */
public class QemuShutDownCallTest {
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

    /** A QEMU that exits with {@code status} as it is told to stop, after a SHUTDOWN event if {@code announced}. */
    private String pauseEndingQemuWith(int status, boolean announced) throws Exception {
        DomainSpec spec = Guests.spec("poweroff", 32, "0");
        RunFiles files = new RunFiles(tmp.newFolder("run").toPath());
        files.prepare(null);
        Path off = tmp.getRoot().toPath().resolve("off");
        QemuProcess process = QemuProcess.start(List.of("sh", "-c", "while [ ! -e " + off + " ]; do sleep 0.01; done; exit "
                + status), tmp.getRoot().toPath().resolve("vm.log"));
        try (FakeQmp qemu = new FakeQmp(files.qmp(), (command, out) -> {
            if (command.contains("\"stop\"")) { // QEMU ends before it answers
                if (announced) {
                    FakeQmp.write(out, "{\"event\": \"SHUTDOWN\", \"data\": {\"guest\": true, \"reason\": \"guest-shutdown\"}}\n");
                }
                end(out, off);
            } else {
                FakeQmp.write(out, "{\"return\": {}, \"id\": \"" + FakeQmp.id(command) + "\"}\n");
            }
        }); Qmp qmp = Qmp.connect(files.qmp(), 10_000, process::isAlive, process::lastLogLine)) {
            QemuVirtualMachine vm = new QemuVirtualMachine(QemuDomain.of(spec), files, process, qmp,
                    Guests.settings(tmp.newFolder("state").toPath()), new NicPlumbing(null), () -> { }, Runnable::run,
                    List::of);
            return assertThrows(IllegalStateException.class, vm::pause).getMessage();
        } finally {
            process.kill();
        }
    }

    private static void end(OutputStream monitor, Path off) {
        try {
            Files.createFile(off);
            monitor.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
