package io.ferry.driver.qemu;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import io.ferry.api.hypervisor.DomainSpec;
import java.nio.file.Files;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * Confirm's destroy of a QEMU whose guest migrated away ({@code postmigrate}, or {@code finish-migrate} the moment
 * before, its migration {@code completed}) does not wait for the process, but on its way out QEMU unlinks its pidfile
 * and QMP socket by their paths: until it has ended, the driver must neither delete its run files nor let the
 * directory go, or a QEMU of the guest back at once in the same directory loses its files to it
 * (QemuRoundTripIT.theQemuOfTheStayItLeftEndingLateLeavesTheReturningOnesFilesAlone). The QEMU is a fake monitor and a
 * process that ignores {@code quit}, killed after the quit timeout.
 */
public class MigratedAwayQemuTest {
    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    private interface Check {
        void after(QemuProcess process, RunFiles files, CountDownLatch gone) throws Exception;
    }

    @Test
    public void theRunFilesOfAQemuWhoseGuestLeftStayItsOwnUntilItHasEnded() throws Exception {
        destroy("postmigrate", "completed", MigratedAwayQemuTest::endsInTheBackground);
    }

    @Test
    public void aConfirmBeforeTheRunStateLeftFinishMigrateFindsTheGuestGoneAsWell() throws Exception {
        destroy("finish-migrate", "completed", MigratedAwayQemuTest::endsInTheBackground);
    }

    @Test
    public void aQemuDestroyedWhileItsMigrationStillCompletesIsWaitedForInTheCall() throws Exception {
        destroy("finish-migrate", "active", (process, files, gone) -> {
            assertFalse("the guest did not leave: its QEMU may still write its disks", process.isAlive());
            assertEquals(0, gone.getCount());
            assertFalse(Files.exists(files.pidfile()));
        });
    }

    private static void endsInTheBackground(QemuProcess process, RunFiles files, CountDownLatch gone) throws Exception {
        assertTrue("its QEMU is still ending", process.isAlive());
        assertEquals("the driver was told the run directory is free while its QEMU still ends", 1, gone.getCount());
        assertTrue("its pidfile was removed while its QEMU still ends", Files.exists(files.pidfile()));

        assertTrue("the VM is let go once its QEMU is killed after the quit timeout", gone.await(10, TimeUnit.SECONDS));
        assertFalse(process.isAlive());
        assertFalse(Files.exists(files.pidfile()));
    }

    /** Destroys a VM whose QEMU answers {@code runState} and {@code migration} and ignores quit; then {@code check}. */
    private void destroy(String runState, String migration, Check check) throws Exception {
        DomainSpec spec = Guests.spec("left", 32, "0");
        RunFiles files = Guests.preparedRunFiles(tmp.newFolder("run").toPath());
        QemuProcess process = QemuProcess.start(List.of("sleep", "600"), tmp.getRoot().toPath().resolve("vm.log"));
        CountDownLatch gone = new CountDownLatch(1);
        ExecutorService exits = Executors.newSingleThreadExecutor();
        try (FakeQmp qemu = new FakeQmp(files.qmp(), (command, out) -> FakeQmp.write(out, "{\"return\": "
                + (command.contains("query-status") ? "{\"status\": \"" + runState + "\", \"running\": false}"
                        : command.contains("query-migrate") ? "{\"status\": \"" + migration + "\"}" : "{}")
                + ", \"id\": \"" + FakeQmp.id(command) + "\"}\n"));
                Qmp qmp = Qmp.connect(files.qmp(), 10_000, process::isAlive, () -> "")) {
            QemuVirtualMachine vm = new QemuVirtualMachine(QemuDomain.of(spec), files, process, qmp,
                    Guests.settings(tmp.newFolder("state").toPath()), new NicPlumbing(null), gone::countDown, exits,
                    List::of);

            vm.destroy();

            check.after(process, files, gone);
        } finally {
            process.kill();
            exits.shutdownNow();
            assertTrue(exits.awaitTermination(10, TimeUnit.SECONDS));
        }
    }
}
