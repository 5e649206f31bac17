package io.ferry.driver.qemu;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.io.FileOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.After;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * A running QEMU's log is bounded too, not only between runs: a QEMU that writes without end (a guest that makes it
 * report an error over and over: a virtio device reset after each malformed request) must not fill the state disk.
 */
public class QemuLogBoundTest {
    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();
    private QemuDriver driver;

    @After
    public void tearDown() {
        if (driver != null) {
            driver.vms().forEach(QemuVirtualMachine::destroy);
            driver.stopWatchingLogs();
        }
    }

    @Test
    public void theLogOfARunningQemuThatWritesWithoutEndIsKeptAsideAndEmptied() throws Exception {
        Path state = tmp.newFolder("state").toPath();
        driver = new QemuDriver("qemu", Guests.settings(state));
        QemuVirtualMachine vm = (QemuVirtualMachine) driver.boot(Guests.spec("chatty", 32, "0"), tmp.newFolder().toPath());
        Path log = state.resolve("qemu/chatty.log");
        byte[] line = "qemu-system-x86_64: virtio-blk missing headers\n".getBytes(StandardCharsets.UTF_8);
        // appended as QEMU appends to it (its stderr, O_APPEND), while it runs
        try (OutputStream qemu = new FileOutputStream(log.toFile(), true)) {
            for (long written = 0; written <= 3 * QemuLog.MAX_BYTES; written += line.length) {
                qemu.write(line);
            }
            assertTrue("the log of a running QEMU was never bounded: " + Files.size(log) + " bytes",
                    Guests.eventually(() -> Files.size(log) < QemuLog.MAX_BYTES));
            qemu.write("after\n".getBytes(StandardCharsets.UTF_8));
        }
        // the check may have emptied the log before the loop above ended: the loop's last lines then come before "after"
        assertEquals("QEMU writes on in the emptied log, from its start", "after\n",
                Files.readString(log).replace(new String(line, StandardCharsets.UTF_8), ""));
        Path kept = QemuLog.backup(log, 1);
        assertEquals("the last 2 MiB are kept", QemuLog.MAX_BYTES, Files.size(kept));
        assertTrue(Files.readString(kept).endsWith(new String(line, StandardCharsets.UTF_8)));
        assertTrue("the guest runs on", vm.isRunning());
    }

    /** A component deactivated (a configuration update, the bundle updated) leaves no log thread behind for good. */
    @Test
    public void theLogThreadEndsWhenTheDriverStops() throws Exception {
        Set<Thread> before = Thread.getAllStackTraces().keySet();
        driver = new QemuDriver("qemu", Guests.settings(tmp.newFolder("state").toPath()));
        List<Thread> started = Thread.getAllStackTraces().keySet().stream()
                .filter(thread -> thread.getName().equals("qemu-logs") && !before.contains(thread)).toList();
        assertEquals("one log thread a driver", 1, started.size());

        driver.stopWatchingLogs();

        started.get(0).join(10_000);
        assertFalse("the log thread runs on after its driver stopped", started.get(0).isAlive());
    }
}
