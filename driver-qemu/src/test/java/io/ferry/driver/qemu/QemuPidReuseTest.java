package io.ferry.driver.qemu;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import io.ferry.api.hypervisor.DomainSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * A re-attached QEMU that exits on its own (the guest powers off, crashes, is killed) while nothing tells the daemon,
 * and whose pid another process then takes: destroy must not SIGKILL that process. Needs root, to make the pid
 * reuse happen at once (/proc/sys/kernel/ns_last_pid) instead of after a wrap-around.
 */
public class QemuPidReuseTest {
    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    @Test
    public void destroyNeverKillsAProcessThatMerelyReusedTheQemusPid() throws Exception {
        Path state = tmp.newFolder("state").toPath();
        DomainSpec spec = Guests.spec("reused", 32, "0");
        Path dir = tmp.newFolder().toPath();
        QemuDriver driver = new QemuDriver("qemu", Guests.settings(state));
        long pid = ((QemuVirtualMachine) driver.boot(spec, dir)).process().pid();
        driver.detachAll(); // the daemon restarts
        QemuVirtualMachine vm = (QemuVirtualMachine) new QemuDriver("qemu", Guests.settings(state)).reattach(spec, dir)
                .orElseThrow(); // as a restarted daemon finds it

        Guests.signal(pid, "KILL");
        for (int i = 0; i < 5000 && Files.exists(Path.of("/proc", Long.toString(pid))); i++) {
            Thread.sleep(1); // reaped by this JVM, its parent
        }
        Process innocent = null;
        for (int attempt = 0; attempt < 20 && (innocent == null || innocent.pid() != pid); attempt++) {
            if (innocent != null) {
                innocent.destroyForcibly();
            }
            Files.writeString(Path.of("/proc/sys/kernel/ns_last_pid"), Long.toString(pid - 1)); // root only
            innocent = new ProcessBuilder("sleep", "600").start();
        }
        assertEquals("the QEMU's pid went to the test's own process", pid, innocent.pid());
        try {
            assertTrue("the QEMU counts as gone", !vm.process().isAlive());
            vm.destroy(); // the operator's destroy of a domain still listed as running
            Thread.sleep(200); // a SIGKILL sent would have landed by now
            assertTrue("destroy killed process " + pid + " (sleep 600), not the guest's QEMU", innocent.isAlive());
        } finally {
            innocent.destroyForcibly();
        }
    }
}
