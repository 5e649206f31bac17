package io.ferry.driver.qemu;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.api.hypervisor.VmNotStoppedException;
import java.nio.file.Files;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * A QEMU that outlives SIGKILL (uninterruptible sleep on hung storage) may write the guest's disks when it wakes: its
 * destroy must fail, as libvirt's does, and leave the VM as it is, never report it gone. No signal makes a test's
 * process unkillable, so the process's kill is a stand-in that does nothing while the QEMU "hangs".
 */
public class QemuUnkillableTest {
    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    @Test
    public void aQemuThatOutlivesSigkillIsNotDestroyedUntilItDies() throws Exception {
        DomainSpec spec = Guests.spec("stuck", 32, "0");
        RunFiles files = runFiles();
        QemuProcess real = QemuProcess.start(List.of("sleep", "600"), tmp.getRoot().toPath().resolve("vm.log"));
        AtomicBoolean hung = new AtomicBoolean(true);
        QemuProcess process = real.killedBy(p -> {
            if (!hung.get()) {
                real.kill();
            }
        });
        AtomicInteger gone = new AtomicInteger();
        // a QEMU that takes quit and does not go: its quit waits on the same hung storage
        try (FakeQmp qemu = new FakeQmp(files.qmp(), (command, out) -> FakeQmp.write(out, "{\"return\": "
                + (command.contains("query-status") ? "{\"status\": \"running\", \"running\": true}" : "{}")
                + ", \"id\": \"" + FakeQmp.id(command) + "\"}\n"));
                Qmp qmp = Qmp.connect(files.qmp(), 10_000, process::isAlive, () -> "")) {
            QemuVirtualMachine vm = Guests.vm(spec, files, process, qmp, Guests.settings(tmp.newFolder("state").toPath()),
                    gone::incrementAndGet);
            try {
                vm.destroy();
                fail("destroy of a QEMU that outlived SIGKILL reported it gone");
            } catch (VmNotStoppedException e) {
                assertTrue(e.getMessage(), e.getMessage().startsWith("QEMU of domain 'stuck' (pid " + real.pid()
                        + ") did not die after SIGKILL within 1000 ms"));
                assertTrue(e.getMessage(), e.getMessage().contains("disk leases stay held"));
            }
            assertEquals("the driver was told the VM is gone", 0, gone.get());
            assertTrue("its run files were removed", Files.exists(files.pidfile()));
            assertTrue("the VM no longer answers, as if destroyed", vm.responds());

            hung.set(false); // the storage came back: its pending SIGKILL takes it
            real.kill();
            assertTrue(real.awaitGone(10_000));
            vm.destroy();
            assertEquals(1, gone.get());
            assertFalse(Files.exists(files.pidfile()));
            assertFalse(real.isAlive());
        } finally {
            real.kill();
        }
    }

    /**
     * The core tries an aborted arrival's destroy again every 5 s while its QEMU outlives SIGKILL: each try must not send
     * quit again and wait out two quit timeouts, holding a thread and warning "did not quit ...: killing it" in the log
     * every time; but it sends SIGKILL again, as libvirt's virProcessKillPainfully does on every destroy (a repeated
     * {@code ferry destroy} sent none: the first kill was the only one).
     */
    @Test
    public void aLaterDestroyOfAQemuThatOutlivedSigkillKillsItAgainWithoutWaiting() throws Exception {
        DomainSpec spec = Guests.spec("stuck", 32, "0");
        RunFiles files = runFiles();
        QemuProcess real = QemuProcess.start(List.of("sleep", "600"), tmp.getRoot().toPath().resolve("vm.log"));
        AtomicInteger kills = new AtomicInteger();
        QemuProcess process = real.killedBy(p -> kills.incrementAndGet()); // hung: SIGKILL pending, not taken
        ConcurrentLinkedQueue<String> commands = new ConcurrentLinkedQueue<>();
        AtomicInteger gone = new AtomicInteger();
        try (FakeQmp qemu = new FakeQmp(files.qmp(), (command, out) -> {
            commands.add(FakeQmp.command(command));
            FakeQmp.write(out, "{\"return\": " + (command.contains("query-status")
                    ? "{\"status\": \"running\", \"running\": true}" : "{}") + ", \"id\": \"" + FakeQmp.id(command) + "\"}\n");
        }); Qmp qmp = Qmp.connect(files.qmp(), 10_000, process::isAlive, () -> "")) {
            QemuVirtualMachine vm = Guests.vm(spec, files, process, qmp, Guests.settings(tmp.newFolder("state").toPath()),
                    gone::incrementAndGet);
            String first = destroyFailure(vm);
            assertEquals(List.of("query-status", "quit"), List.copyOf(commands));
            assertEquals(1, kills.get());

            for (int retry = 0; retry < 3; retry++) {
                assertEquals("a retry says so again", first, destroyFailure(vm));
            }
            assertEquals("a retry asked QEMU to quit again", List.of("query-status", "quit"), List.copyOf(commands));
            assertEquals("each retry sends SIGKILL again", 4, kills.get());
            assertEquals(0, gone.get());
            assertTrue(Files.exists(files.pidfile()));

            real.kill(); // it woke: the pending SIGKILL takes it
            assertTrue(real.awaitGone(10_000));
            vm.destroy();
            assertEquals(1, gone.get());
            assertFalse(Files.exists(files.pidfile()));
        } finally {
            real.kill();
        }
    }

    private RunFiles runFiles() throws Exception {
        return Guests.preparedRunFiles(tmp.newFolder("run").toPath());
    }

    private static String destroyFailure(QemuVirtualMachine vm) {
        try {
            vm.destroy();
            throw new AssertionError("destroy of a QEMU that outlived SIGKILL reported it gone");
        } catch (VmNotStoppedException e) {
            return e.getMessage();
        }
    }
}
