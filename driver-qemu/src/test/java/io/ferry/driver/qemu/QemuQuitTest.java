package io.ferry.driver.qemu;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import io.ferry.api.hypervisor.DomainSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * A destroyed VM's QEMU is asked to quit and given the quit timeout to exit by itself (it closes the guest's disks on
 * its way out); SIGKILL is for one that does not. A fake QEMU that exits 200 ms after its quit answer shows which.
 */
public class QemuQuitTest {
    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    @Test
    public void aQemuThatQuitsWithinTheQuitTimeoutIsNotKilled() throws Exception {
        DomainSpec spec = Guests.spec("quits", 32, "0");
        RunFiles files = Guests.preparedRunFiles(tmp.newFolder("run").toPath());
        QemuProcess real = QemuProcess.start(List.of("sleep", "600"), tmp.getRoot().toPath().resolve("vm.log"));
        AtomicInteger kills = new AtomicInteger();
        QemuProcess process = real.killedBy(p -> {
            kills.incrementAndGet();
            real.kill();
        });
        // its own exit, a moment after the answer
        try (FakeQmp qemu = quitting(files, () -> CompletableFuture.delayedExecutor(200, TimeUnit.MILLISECONDS)
                .execute(real::kill)); Qmp qmp = Qmp.connect(files.qmp(), 10_000, process::isAlive, () -> "")) {
            QemuVirtualMachine vm = Guests.vm(spec, files, process, qmp, Guests.settings(tmp.newFolder("state").toPath()),
                    () -> { });

            vm.destroy();

            assertFalse(real.isAlive());
            assertEquals("SIGKILLs sent to a QEMU that quit within the 1000 ms quit timeout", 0, kills.get());
        } finally {
            real.kill();
        }
    }

    /**
     * A destroy of a VM already destroyed (the core retries, an operator's second {@code ferry destroy}) does nothing:
     * the run directory may hold the next QEMU of the domain by then, whose files it must not remove, nor tell the
     * driver again that the VM is gone (the driver would forget the new one).
     */
    @Test
    public void aSecondDestroyLeavesTheNextQemusRunFilesAndTellsNothing() throws Exception {
        DomainSpec spec = Guests.spec("twice", 32, "0");
        RunFiles files = Guests.preparedRunFiles(tmp.newFolder("run").toPath());
        QemuProcess process = QemuProcess.start(List.of("sleep", "600"), tmp.getRoot().toPath().resolve("vm.log"));
        AtomicInteger gone = new AtomicInteger();
        try (FakeQmp qemu = quitting(files, process::kill);
                Qmp qmp = Qmp.connect(files.qmp(), 10_000, process::isAlive, () -> "")) {
            QemuVirtualMachine vm = Guests.vm(spec, files, process, qmp, Guests.settings(tmp.newFolder("state").toPath()),
                    gone::incrementAndGet);
            vm.destroy();
            RunFiles next = Guests.preparedRunFiles(files.dir()); // the domain's next QEMU, started in its run directory

            vm.destroy();

            assertEquals("times the driver was told the VM is gone", 1, gone.get());
            assertTrue("the next QEMU's pidfile is there", Files.exists(next.pidfile()));
        } finally {
            process.kill();
        }
    }

    /** A stand-in QEMU whose guest runs and which does {@code onQuit} when told to quit, after its answer. */
    private static FakeQmp quitting(RunFiles files, Runnable onQuit) throws IOException {
        return new FakeQmp(files.qmp(), (command, out) -> {
            String answer = command.contains("query-status") ? "{\"status\": \"running\", \"running\": true}" : "{}";
            FakeQmp.write(out, "{\"return\": " + answer + ", \"id\": \"" + FakeQmp.id(command) + "\"}\n");
            if (FakeQmp.command(command).equals("quit")) {
                onQuit.run();
            }
        });
    }
}
