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
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.junit.After;
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

    private final String uuid = UUID.randomUUID().toString();
    private final List<QemuProcess> standIns = new ArrayList<>();

    @After
    public void killStandIns() {
        standIns.forEach(QemuProcess::kill);
    }

    @Test
    public void aHugeGarbagePidfileGivesAShortError() throws Exception {
        RunFiles files = files();
        Path pidfile = files.pidfile();
        Files.writeString(pidfile, "x".repeat(8 << 20));
        try {
            QemuPidfile.find(files, uuid, log());
            fail("a garbage pidfile was taken");
        } catch (HypervisorException e) {
            assertTrue("an error of " + e.getMessage().length() + " characters", e.getMessage().length() < 1000);
            assertTrue(e.getMessage(), e.getMessage().contains(pidfile.toString()));
        }
    }

    @Test(timeout = 20_000) // a hang guard: the old code blocked for good opening the FIFO
    public void aFifoAsPidfileIsRefusedWithoutBlocking() throws Exception {
        RunFiles files = files();
        Path pidfile = files.pidfile();
        assertEquals(0, new ProcessBuilder("mkfifo", pidfile.toString()).start().waitFor());
        try {
            QemuPidfile.find(files, uuid, log());
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
        RunFiles files = files();
        // say, another VM's QEMU whose disk is named after this VM's UUID, or an operator's command
        Process other = new ProcessBuilder("sh", "-c", "sleep 600; :", "qemu", "/images/" + uuid + ".qcow2").start();
        try {
            Files.writeString(files.pidfile(), other.pid() + "\n");
            Optional<QemuProcess> found = QemuPidfile.find(files, uuid, log());
            assertEquals("process " + other.pid() + " was adopted as the VM's QEMU", Optional.empty(),
                    found.map(QemuProcess::pid));
            assertTrue(other.isAlive());
        } finally {
            other.descendants().forEach(ProcessHandle::destroyForcibly); // the sleep sh started
            other.destroyForcibly();
        }
    }

    /**
     * A pidfile an operator deleted (cleaning up the run directory) while the guest ran: the daemon's record of the
     * QEMU it started still names it, so the re-attach finds it.
     */
    @Test
    public void aQemuWhosePidfileWasDeletedIsReattachedThroughTheDaemonsRecord() throws Exception {
        DomainSpec spec = Guests.spec("unlisted", 32, "0");
        QemuSettings settings = Guests.settings(tmp.newFolder("state").toPath());
        RunFiles files = new RunFiles(tmp.newFolder().toPath());
        long pid = bootedBeforeARestart(spec, settings, files);
        Files.delete(files.pidfile());
        try {
            QemuVirtualMachine found = (QemuVirtualMachine) new QemuDriver("qemu", settings).reattach(spec, files.dir())
                    .orElseThrow(() -> new AssertionError("the running QEMU " + pid + " was taken for gone"));
            assertEquals(pid, found.process().pid());
            found.destroy();
        } finally {
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly); // gone already unless the test failed
        }
    }

    /**
     * The same in a run directory of an earlier build, which has no record: the re-attach took the QEMU for gone,
     * deleted its run files (its QMP socket) and the daemon gave the guest's disk leases back while it ran on. Once
     * re-attached through its command line, the QEMU is recorded: the next restart finds it without.
     */
    @Test
    public void aQemuOfAnEarlierBuildWhosePidfileWasDeletedIsNotTakenForGone() throws Exception {
        DomainSpec spec = Guests.spec("unlisted", 32, "0");
        QemuSettings settings = Guests.settings(tmp.newFolder("state").toPath());
        RunFiles files = new RunFiles(tmp.newFolder().toPath());
        Path dir = files.dir();
        long pid = bootedBeforeARestart(spec, settings, files);
        Files.deleteIfExists(files.started()); // as an earlier build left it
        Files.delete(files.pidfile());
        QemuDriver restarted = new QemuDriver("qemu", settings);
        try {
            HypervisorException refused = assertThrows(HypervisorException.class, () -> restarted.reattach(spec, dir));
            assertEquals("cannot re-attach domain 'unlisted': QEMU pidfile " + files.pidfile() + " does not name a QEMU of"
                    + " this VM, but process " + pid + " runs with its command line (-uuid " + spec.uuid() + "): write its"
                    + " pid into the pidfile and restart the daemon to re-attach it, or stop it", refused.getMessage());
            assertTrue("its monitor's socket is kept", Files.exists(files.qmp()));

            Files.writeString(files.pidfile(), pid + "\n");
            QemuVirtualMachine found = (QemuVirtualMachine) restarted.reattach(spec, dir).orElseThrow();
            assertEquals(Optional.of(pid),
                    StartRecord.read(files).filter(StartRecord::isRunning).map(StartRecord::pid));
            found.destroy();
        } finally {
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly); // gone already unless the test failed
        }
    }

    /**
     * A process with the VM's command line is not taken for gone whatever the pidfile names, in a run directory of an
     * earlier build.
     */
    @Test
    public void aProcessWithTheVmsCommandLineRefusesTheReattachWhenThePidfileNamesAnother() throws Exception {
        RunFiles files = files();
        Path pidfile = files.pidfile();
        Process running = new ProcessBuilder("sh", "-c", "sleep 600; :", "qemu", "-uuid", uuid, "-pidfile", pidfile.toString())
                .start();
        try {
            Files.writeString(pidfile, "1\n");
            HypervisorException refused = assertThrows(HypervisorException.class,
                    () -> QemuPidfile.find(files, uuid, log()));
            assertTrue(refused.getMessage(), refused.getMessage().contains("but process " + running.pid() + " runs"));
        } finally {
            running.descendants().forEach(ProcessHandle::destroyForcibly);
            running.destroyForcibly();
        }
    }

    /**
     * A guest that took its QEMU over rewrote the command line (its argv is QEMU's memory): the re-attach took the QEMU
     * for gone, and the daemon gave its disk leases back while the guest ran on, unseen; a start on another host ran
     * it twice on one disk. The daemon's record of the process it started still names it.
     */
    @Test
    public void aQemuThatRewroteItsCommandLineIsNotTakenForGone() throws Exception {
        QemuProcess hijacked = standIn(StandInQemu.rewritingItsCommandLine(files(), uuid, log()));
        StartRecord.of(hijacked).write(files());
        Files.writeString(files().pidfile(), hijacked.pid() + "\n"); // as QEMU writes it
        StandInQemu.awaitRewritten(hijacked);

        assertEquals("the running QEMU " + hijacked.pid() + " was taken for gone", Optional.of(hijacked.pid()),
                foundPid());
    }

    /**
     * A QEMU a guest took over copies another VM's {@code -uuid} and {@code -pidfile} into its command line: once that
     * VM's recorded QEMU has ended, the copy does not fail its re-attach, and is not taken for it.
     */
    @Test
    public void aCopyOfTheVmsCommandLineDoesNotFailTheReattachOnceTheRecordedQemuIsGone() throws Exception {
        StandInQemu.recordedAndEnded(files(), uuid, log());
        QemuProcess copy = standIn(StandInQemu.start(files(), uuid, log()));

        assertEquals(Optional.empty(), foundPid());
        assertTrue(copy.isAlive());
    }

    /**
     * The recorded pid, now another process's (its start time is another), or a record from an earlier boot of the
     * host: the recorded QEMU is gone, whatever that process's command line and the pidfile say.
     */
    @Test
    public void aProcessOnTheRecordedPidIsTakenOnlyWithTheRecordedStartTimeInThisBoot() throws Exception {
        QemuProcess other = standIn(StandInQemu.start(files(), uuid, log()));
        Files.writeString(files().pidfile(), other.pid() + "\n");
        StartRecord recorded = StartRecord.of(other);
        new StartRecord(other.pid(), recorded.startTime() - 1, recorded.boot()).write(files());
        assertEquals("another start time", Optional.empty(), foundPid());
        new StartRecord(other.pid(), recorded.startTime(), UUID.randomUUID().toString()).write(files());
        assertEquals("another boot", Optional.empty(), foundPid());

        recorded.write(files());
        assertEquals(Optional.of(other.pid()), foundPid());
    }

    /** A record the daemon did not write is an error naming it, not a QEMU taken for gone. */
    @Test
    public void aRecordThatIsNotTheDaemonsIsRefusedNamingIt() throws Exception {
        Files.writeString(files().started(), "1 2\n");
        HypervisorException refused = assertThrows(HypervisorException.class, this::foundPid);
        assertEquals("QEMU start record " + files().started() + " is not one this daemon wrote (PID START-TIME"
                + " BOOT-ID): '1 2'", refused.getMessage());
    }

    /** Boots {@code spec} in {@code files}, then lets its driver go as a daemon that restarts does; its QEMU's pid. */
    private static long bootedBeforeARestart(DomainSpec spec, QemuSettings settings, RunFiles files)
            throws HypervisorException {
        QemuDriver driver = new QemuDriver("qemu", settings);
        long pid = ((QemuVirtualMachine) driver.boot(spec, files.dir())).process().pid();
        driver.detachAll();
        return pid;
    }

    private QemuProcess standIn(QemuProcess process) {
        standIns.add(process);
        return process;
    }

    /** The pid of the QEMU of the VM {@link #uuid} found in the run directory of {@link #files}, if any. */
    private Optional<Long> foundPid() throws HypervisorException {
        return QemuPidfile.find(files(), uuid, log()).map(QemuProcess::pid);
    }

    private RunFiles files() {
        return new RunFiles(tmp.getRoot().toPath());
    }

    private Path log() {
        return tmp.getRoot().toPath().resolve("log");
    }
}
