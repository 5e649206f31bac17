package io.ferry.driver.qemu;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.api.hypervisor.HypervisorException;
import java.io.FileOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.UUID;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * At re-attach the daemon trusts the pidfile QEMU wrote in the run directory only as far as it can check it: a QEMU a
 * guest took over may write anything there.
 */
public class QemuPidfileTest {
    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    @Test
    public void aHugeGarbagePidfileGivesAShortError() throws Exception {
        Path pidfile = tmp.getRoot().toPath().resolve("qemu.pid");
        Files.writeString(pidfile, "x".repeat(8 << 20));
        try {
            QemuPidfile.find(pidfile, UUID.randomUUID().toString(), tmp.getRoot().toPath().resolve("log"));
            fail("a garbage pidfile was taken");
        } catch (HypervisorException e) {
            assertTrue("an error of " + e.getMessage().length() + " characters", e.getMessage().length() < 1000);
            assertTrue(e.getMessage(), e.getMessage().contains(pidfile.toString()));
        }
    }

    @Test(timeout = 20_000) // a hang guard: the old code blocked for good opening the FIFO
    public void aFifoAsPidfileIsRefusedWithoutBlocking() throws Exception {
        Path pidfile = tmp.getRoot().toPath().resolve("qemu.pid");
        assertEquals(0, new ProcessBuilder("mkfifo", pidfile.toString()).start().waitFor());
        try {
            QemuPidfile.find(pidfile, UUID.randomUUID().toString(), tmp.getRoot().toPath().resolve("log"));
            fail("a FIFO was taken as a pidfile");
        } catch (HypervisorException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("not a regular file"));
        } finally {
            Thread unblock = new Thread(() -> {
                try (FileOutputStream writer = new FileOutputStream(pidfile.toFile())) {
                    writer.write('1');
                } catch (java.io.IOException e) {
                    // gone already
                }
            });
            unblock.setDaemon(true);
            unblock.start();
        }
    }

    @Test
    public void aProcessThatMerelyMentionsTheUuidIsNotAdopted() throws Exception {
        String uuid = UUID.randomUUID().toString();
        Path pidfile = tmp.getRoot().toPath().resolve("qemu.pid");
        // say, another VM's QEMU whose disk is named after this VM's UUID, or an operator's command
        Process other = new ProcessBuilder("sh", "-c", "sleep 600; :", "qemu", "/images/" + uuid + ".qcow2").start();
        try {
            Files.writeString(pidfile, other.pid() + "\n");
            Optional<QemuProcess> found = QemuPidfile.find(pidfile, uuid, tmp.getRoot().toPath().resolve("log"));
            assertEquals("process " + other.pid() + " was adopted as the VM's QEMU", Optional.empty(),
                    found.map(QemuProcess::pid));
            assertTrue(other.isAlive());
        } finally {
            other.descendants().forEach(ProcessHandle::destroyForcibly); // the sleep sh started
            other.destroyForcibly();
        }
    }

    /**
     * A pidfile an operator deleted (cleaning up the run directory) while the guest ran: the re-attach took the QEMU for
     * gone, deleted its run files (its QMP socket) and the daemon gave the guest's disk leases back while it ran on.
     */
    @Test
    public void aQemuWhosePidfileWasDeletedIsNotTakenForGone() throws Exception {
        DomainSpec spec = Guests.spec("unlisted", 32, "0");
        QemuSettings settings = Guests.settings(tmp.newFolder("state").toPath());
        RunFiles files = new RunFiles(tmp.newFolder().toPath());
        Path dir = files.dir();
        QemuDriver driver = new QemuDriver("qemu", settings);
        long pid = ((QemuVirtualMachine) driver.boot(spec, dir)).process().pid();
        driver.detachAll(); // the daemon restarts
        Files.delete(files.pidfile());
        QemuDriver restarted = new QemuDriver("qemu", settings);
        try {
            HypervisorException refused = assertThrows(HypervisorException.class, () -> restarted.reattach(spec, dir));
            assertEquals("cannot re-attach domain 'unlisted': QEMU pidfile " + files.pidfile() + " does not name a QEMU of"
                    + " this VM, but process " + pid + " runs with its command line (-uuid " + spec.uuid() + "): write its"
                    + " pid into the pidfile and restart the daemon to re-attach it, or stop it", refused.getMessage());
            assertTrue("its monitor's socket is kept", Files.exists(files.qmp()));

            Files.writeString(files.pidfile(), pid + "\n");
            restarted.reattach(spec, dir).orElseThrow().destroy();
        } finally {
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly); // gone already unless the test failed
        }
    }

    /** A process with the VM's command line is not taken for gone whatever the pidfile names. */
    @Test
    public void aProcessWithTheVmsCommandLineRefusesTheReattachWhenThePidfileNamesAnother() throws Exception {
        String uuid = UUID.randomUUID().toString();
        Path pidfile = tmp.getRoot().toPath().resolve("qemu.pid");
        Process running = new ProcessBuilder("sh", "-c", "sleep 600; :", "qemu", "-uuid", uuid, "-pidfile", pidfile.toString())
                .start();
        try {
            Files.writeString(pidfile, "1\n");
            HypervisorException refused = assertThrows(HypervisorException.class,
                    () -> QemuPidfile.find(pidfile, uuid, tmp.getRoot().toPath().resolve("log")));
            assertTrue(refused.getMessage(), refused.getMessage().contains("but process " + running.pid() + " runs"));
        } finally {
            running.descendants().forEach(ProcessHandle::destroyForcibly);
            running.destroyForcibly();
        }
    }
}
