package io.ferry.driver.qemu;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.api.hypervisor.VmNotStoppedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.After;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * A process with a VM's command line in its run directory ({@code -uuid UUID -pidfile RUN/qemu.pid}) that the driver
 * does not drive: the QEMU of a guest that migrated away, still ending when the daemon restarted (on its way out it
 * unlinks the pidfile and QMP socket of whatever QEMU then has the directory:
 * QemuRoundTripIT.aDaemonRestartedWhileTheQemuItLeftStillEndsLeavesTheReturningOnesFilesAlone), or one of the guest
 * that runs on. The stand-in is a shell carrying that command line. Where the daemon recorded the QEMU it started in
 * the directory ({@link StartRecord}), that record says which process it is, whatever command lines say.
 */
public class UnknownQemuTest {
    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    private Process stranger;
    private QemuProcess standIn;
    private QemuDriver driver;

    @After
    public void tearDown() {
        if (driver != null) {
            driver.vms().forEach(QemuVirtualMachine::destroy);
        }
        if (stranger != null) {
            stranger.descendants().forEach(ProcessHandle::destroyForcibly); // the sleep sh started
            stranger.destroyForcibly();
        }
        if (standIn != null) {
            standIn.kill();
        }
    }

    @Test
    public void aStartWaitsForAnUnknownQemuOfItsRunDirectoryAndIsRefusedWhileItRunsOn() throws Exception {
        DomainSpec spec = Guests.spec("stranger", 32, "0");
        Path runDir = tmp.newFolder("run").toPath();
        RunFiles files = new RunFiles(runDir);
        stranger = new ProcessBuilder("sh", "-c", "sleep 600", "qemu", "-uuid", spec.uuid().toString(), "-pidfile",
                files.pidfile().toString()).start();
        driver = new QemuDriver("qemu", Guests.settings(tmp.newFolder("state").toPath()));

        VmNotStoppedException refused = assertThrows(VmNotStoppedException.class, () -> driver.boot(spec, runDir));

        assertEquals("cannot start domain 'stranger': QEMU process " + stranger.pid() + " still runs with this domain's"
                + " command line (-uuid " + spec.uuid() + ", -pidfile " + files.pidfile() + "), not driven by this daemon:"
                + " stop it first", refused.getMessage());
        assertTrue(stranger.isAlive());
        assertFalse("a QEMU was started beside it", Files.exists(files.pidfile()));
        assertEquals(List.of(), driver.vms());

        stranger.descendants().forEach(ProcessHandle::destroyForcibly); // else left running once sh has gone
        stranger.destroy();
        stranger.waitFor();
        QemuVirtualMachine vm = (QemuVirtualMachine) driver.boot(spec, runDir); // the directory is free again
        assertEquals("running", vm.status());
    }

    /**
     * The recorded QEMU of the directory runs on with its command line rewritten (a guest took it over): a start
     * took it for gone and ran the guest twice.
     */
    @Test
    public void aStartIsRefusedWhileTheRecordedQemuRunsOnWithItsCommandLineRewritten() throws Exception {
        DomainSpec spec = Guests.spec("hijacked", 32, "0");
        Path state = tmp.newFolder("state").toPath();
        RunFiles files = new RunFiles(tmp.newFolder("run").toPath());
        standIn = StandInQemu.rewritingItsCommandLine(files, spec.uuid().toString(), state.resolve("stand-in.log"));
        StartRecord.of(standIn).write(files);
        StandInQemu.awaitRewritten(standIn);
        driver = new QemuDriver("qemu", Guests.settings(state));

        VmNotStoppedException refused = assertThrows(VmNotStoppedException.class, () -> driver.boot(spec, files.dir()));

        assertEquals("cannot start domain 'hijacked': QEMU process " + standIn.pid() + " that " + files.started()
                + " records still runs, not driven by this daemon: stop it first", refused.getMessage());
        assertTrue(standIn.isAlive());
        assertEquals(List.of(), driver.vms());
    }

    /**
     * A QEMU a guest took over copies this VM's command line: once the QEMU the directory records is gone, the copy
     * does not hold the VM's start.
     */
    @Test
    public void aCopyOfTheCommandLineDoesNotHoldAStartOnceTheRecordedQemuIsGone() throws Exception {
        DomainSpec spec = Guests.spec("copied", 32, "0");
        Path state = tmp.newFolder("state").toPath();
        RunFiles files = new RunFiles(tmp.newFolder("run").toPath());
        StandInQemu.recordedAndEnded(files, spec.uuid().toString(), state.resolve("stand-in.log"));
        standIn = StandInQemu.start(files, spec.uuid().toString(), state.resolve("stand-in.log"));
        driver = new QemuDriver("qemu", Guests.settings(state));

        QemuVirtualMachine vm = (QemuVirtualMachine) driver.boot(spec, files.dir());

        assertEquals("running", vm.status());
        assertTrue(standIn.isAlive());
    }
}
