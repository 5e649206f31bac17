package io.ferry.driver.qemu;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import io.ferry.api.hypervisor.DomainSpec;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * Each core that re-attaches to a running QEMU (its bundle restarted or updated: a new domain manager) asks for the end
 * of its process ({@code VmProcess.onExit}). The driver kept every action given, each holding its core's domain
 * manager and class loader until the VM ended: a daemon whose core was updated N times held N cores per VM. It holds
 * the last one only, and runs only that one.
 */
public class QemuExitActionTest {
    private static final int MANAGERS = 3;

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    @Test
    public void aNewManagersExitActionReplacesTheOneBefore() throws Exception {
        DomainSpec spec = Guests.spec("exits", 32, "0");
        RunFiles files = Guests.preparedRunFiles(tmp.newFolder("run").toPath());
        QemuProcess process = QemuProcess.start(List.of("sleep", "600"), tmp.getRoot().toPath().resolve("vm.log"));
        try (FakeQmp qemu = new FakeQmp(files.qmp(), (command, out) -> FakeQmp.write(out, "{\"return\": {}, \"id\": \""
                + FakeQmp.id(command) + "\"}\n"));
                Qmp qmp = Qmp.connect(files.qmp(), 10_000, process::isAlive, () -> "")) {
            QemuVirtualMachine vm = Guests.vm(spec, files, process, qmp, Guests.settings(tmp.newFolder("state").toPath()),
                    () -> { });
            AtomicInteger earlierRan = new AtomicInteger();
            CountDownLatch lastRan = new CountDownLatch(1);
            List<WeakReference<Runnable>> given = new ArrayList<>();
            for (int manager = 1; manager <= MANAGERS; manager++) {
                Runnable action = manager == MANAGERS ? lastRan::countDown : earlierRan::incrementAndGet;
                given.add(new WeakReference<>(action));
                vm.onExit(action);
            }

            assertEquals("exit actions the driver holds", 1, held(given));

            process.kill();
            assertTrue("the last manager's action ran", lastRan.await(10, TimeUnit.SECONDS));
            assertEquals("earlier managers' actions that ran", 0, earlierRan.get());

            CountDownLatch lateRan = new CountDownLatch(1);
            vm.onExit(lateRan::countDown);
            assertTrue("a manager that came after QEMU ended is told at once", lateRan.await(10, TimeUnit.SECONDS));
        } finally {
            process.kill();
        }
    }

    /**
     * A QEMU found through its pidfile that has ended before its handle was taken (between the look-up and the watch)
     * has no end left to wait for: its exit action runs at once, before {@code onExit} returns.
     */
    @Test
    public void aReattachedQemuGoneWhenFoundIsToldAtOnce() throws Exception {
        Process ended = new ProcessBuilder("true").start();
        ended.waitFor();
        QemuProcess process = QemuProcess.attached(ended.pid(), tmp.getRoot().toPath().resolve("vm.log"));
        CountDownLatch ran = new CountDownLatch(1);

        process.onExit(ran::countDown);

        assertEquals("exit actions still to run once onExit returned", 0, ran.getCount());
    }

    /** How many of the actions given are still reachable, once the collector has had its chances to take the others. */
    private static long held(List<WeakReference<Runnable>> given) throws InterruptedException {
        for (int gc = 0; gc < 20 && given.stream().filter(r -> r.get() != null).count() > 1; gc++) {
            System.gc();
            Thread.sleep(10);
        }
        return given.stream().filter(r -> r.get() != null).count();
    }
}
