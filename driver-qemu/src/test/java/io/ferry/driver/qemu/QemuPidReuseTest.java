package io.ferry.driver.qemu;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import io.ferry.api.hypervisor.DomainSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * A re-attached QEMU that exits on its own (the guest powers off, crashes, is killed) while nothing tells the daemon,
 * and whose pid another process then takes: destroy must not SIGKILL that process. Needs root, to make the pid
 * reuse happen at once (/proc/sys/kernel/ns_last_pid) instead of after a wrap-around.
 *
 * <p>Another program on the machine may kill that process too (a test run beside this one killing a pid it holds
 * stale; taking the QEMU's pid at once makes such pids come round again at once): who sent each signal is recorded
 * ({@link SignalWatch}), and a process killed by another program than this JVM says nothing of destroy, so the case
 * is played again. Any signal from this JVM fails the test, as does a death no recording explains.
 */
public class QemuPidReuseTest {
    private static final int ROUNDS = 3;

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    @Test
    public void destroyNeverKillsAProcessThatMerelyReusedTheQemusPid() throws Exception {
        List<String> othersKills = new ArrayList<>();
        for (int round = 0; round < ROUNDS; round++) {
            Optional<String> otherKiller = destroyAfterThePidWasReused();
            if (otherKiller.isEmpty()) {
                return;
            }
            othersKills.add(otherKiller.get());
        }
        fail("another program on the machine killed the process that took the QEMU's pid in every round, so destroy"
                + " could not be checked: " + othersKills);
    }

    /** One round: empty if the process that took the pid outlived destroy, else who else killed it. */
    private Optional<String> destroyAfterThePidWasReused() throws Exception {
        Path state = tmp.newFolder().toPath();
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
        Optional<SignalWatch> watch = SignalWatch.start(pid, tmp.newFolder().toPath());
        try {
            assertTrue("the QEMU counts as gone", !vm.process().isAlive());
            if (!innocent.isAlive()) {
                return Optional.of("process " + pid + " died before destroy");
            }
            vm.destroy(); // the operator's destroy of a domain still listed as running
            Thread.sleep(200); // a SIGKILL sent would have landed by now
            if (innocent.isAlive()) {
                return Optional.empty();
            }
            List<SignalWatch.Sent> sent = watch.isPresent() ? watch.get().stop() : List.of(); // its killer's signal in
            long self = ProcessHandle.current().pid();
            boolean byOthersOnly = !sent.isEmpty() && sent.stream().allMatch(s -> s.senderPid() != self);
            if (!byOthersOnly) {
                fail("destroy killed process " + pid + " (sleep 600), not the guest's QEMU"
                        + (watch.isEmpty() ? "" : "; signals sent to it: " + sent + ", this JVM is " + self));
            }
            return Optional.of("process " + pid + " killed by " + sent);
        } finally {
            innocent.destroyForcibly();
            if (watch.isPresent()) {
                watch.get().close();
            }
        }
    }
}
