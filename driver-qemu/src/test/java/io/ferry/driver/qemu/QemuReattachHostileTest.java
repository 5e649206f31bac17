package io.ferry.driver.qemu;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.api.hypervisor.HypervisorException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * A QEMU a guest took over, while the daemon is down, replaces its {@code qmp.sock} with a link to another VM's:
 * the restarted daemon must not drive that other VM as this one, nor keep its monitor.
 */
public class QemuReattachHostileTest {
    private static final String FORGED = "2026-12-02 14:00:00 INFO io.ferry.audit - operator root: undefine db1 ok";

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    @Test
    public void aQmpSocketLinkedToAnotherVmsIsRefused() throws Exception {
        DomainSpec spec = Guests.spec("hostile", 32, "0");
        RunFiles files = new RunFiles(tmp.newFolder("run").toPath());
        Path otherSocket = tmp.newFolder("other").toPath().resolve("qmp.sock");
        String otherUuid = UUID.randomUUID().toString();
        // the hostile QEMU itself: a live process with the command line this driver gave it
        Process hostile = new ProcessBuilder("sh", "-c", "sleep 600; :", "qemu", "-uuid", spec.uuid().toString(),
                "-pidfile", files.pidfile().toString()).start();
        try (FakeQmp other = new FakeQmp(otherSocket, (command, out) -> FakeQmp.write(out, "{\"return\": "
                + (command.contains("query-uuid") ? "{\"UUID\": \"" + otherUuid + "\"}"
                        : command.contains("query-status") ? "{\"status\": \"running\", \"running\": true}"
                        : "{}")
                + ", \"id\": \"" + FakeQmp.id(command) + "\"}\n"))) {
            Files.writeString(files.pidfile(), hostile.pid() + "\n");
            Files.createSymbolicLink(files.qmp(), otherSocket);
            QemuDriver driver = new QemuDriver("qemu", Guests.settings(tmp.newFolder("state").toPath()));
            try {
                driver.reattach(spec, files.dir());
                fail("re-attached domain '" + spec.name() + "' to the QEMU of VM " + otherUuid);
            } catch (HypervisorException e) {
                assertTrue(e.getMessage(), e.getMessage().contains(otherUuid));
            }
            // QEMU serves one monitor client: a connection kept would leave the other VM's daemon without its monitor
            assertTrue("the other VM's monitor is still held", other.clientGone(10_000));
        } finally {
            hostile.descendants().forEach(ProcessHandle::destroyForcibly); // the sleep sh started
            hostile.destroyForcibly();
        }
    }

    /** The run state re-attach logs is QEMU's word: a guest's QEMU must not write a daemon's log line with it. */
    @Test
    public void aRunStateOfTwoLinesIsOneLine() throws Exception {
        DomainSpec spec = Guests.spec("hostile", 32, "0");
        RunFiles files = new RunFiles(tmp.newFolder("run").toPath());
        Process hostile = new ProcessBuilder("sh", "-c", "sleep 600; :", "qemu", "-uuid", spec.uuid().toString(),
                "-pidfile", files.pidfile().toString()).start();
        try (FakeQmp qemu = new FakeQmp(files.qmp(), (command, out) -> FakeQmp.write(out, "{\"return\": "
                + (command.contains("query-uuid") ? "{\"UUID\": \"" + spec.uuid() + "\"}"
                        : command.contains("query-status") // a line feed, and Unicode's line separator
                                ? "{\"status\": \"running\\n" + FORGED + "\\u2028" + FORGED + "\"}"
                        : "{}")
                + ", \"id\": \"" + FakeQmp.id(command) + "\"}\n"))) {
            Files.writeString(files.pidfile(), hostile.pid() + "\n");
            QemuDriver driver = new QemuDriver("qemu", Guests.settings(tmp.newFolder("state").toPath()));
            try {
                QemuVirtualMachine vm = (QemuVirtualMachine) driver.reattach(spec, files.dir()).orElseThrow();
                assertEquals("running?" + FORGED + "?" + FORGED, vm.status());
            } finally {
                driver.detachAll();
            }
        } finally {
            hostile.descendants().forEach(ProcessHandle::destroyForcibly);
            hostile.destroyForcibly();
        }
    }
}
