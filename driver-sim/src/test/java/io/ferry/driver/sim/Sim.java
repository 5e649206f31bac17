package io.ferry.driver.sim;

import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.api.hypervisor.MigrationControl;
import io.ferry.api.hypervisor.MigrationStats;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

/** Test fixtures: domain definitions, a migration control, bounded waits. */
final class Sim {
    static final long MIB_KIB = 1024;
    /** Small chunks, so that every test crosses mapping boundaries. */
    static final int TEST_CHUNK = 1 << 20;

    private Sim() {
    }

    /** A guest that boots with random memory, so that every page it sends has bytes to check. */
    static DomainSpec spec(String name, UUID uuid, long memoryKiB, long dirtyPagesPerSecond,
            DomainSpec.Graphics... graphics) {
        return spec(name, uuid, memoryKiB, dirtyPagesPerSecond, "random", graphics);
    }

    /** @param fill {@code zero} or {@code random} */
    static DomainSpec spec(String name, UUID uuid, long memoryKiB, long dirtyPagesPerSecond, String fill,
            DomainSpec.Graphics... graphics) {
        String xml = "<domain type='sim'><name>" + name + "</name><uuid>" + uuid + "</uuid><memory unit='KiB'>"
                + memoryKiB + "</memory><vcpu>1</vcpu><metadata>"
                + "<sim:workload xmlns:sim='http://ferry.io/xmlns/sim/1.0' dirty-pages-per-second='"
                + dirtyPagesPerSecond + "' fill='" + fill + "'/></metadata></domain>";
        return spec(name, uuid, memoryKiB, xml, graphics);
    }

    static DomainSpec spec(String name, UUID uuid, long memoryKiB, String xml, DomainSpec.Graphics... graphics) {
        return new DomainSpec(name, uuid, "sim", memoryKiB, 1, List.of(), List.of(), List.of(graphics), xml);
    }

    /** A control whose figures the test sets, recording every report. */
    static final class Control implements MigrationControl {
        volatile long bandwidth;
        volatile long downtime = 300;
        volatile BooleanSupplier abort = () -> false;
        final List<MigrationStats> reports = Collections.synchronizedList(new ArrayList<>());

        @Override
        public long maxBandwidth() {
            return bandwidth;
        }

        @Override
        public long maxDowntimeMillis() {
            return downtime;
        }

        @Override
        public boolean aborted() {
            return abort.getAsBoolean();
        }

        @Override
        public void progress(MigrationStats stats) {
            reports.add(stats);
        }

        /** Aborts once {@link #aborted} has been asked {@code checks} times. */
        Control abortAfter(int checks) {
            AtomicInteger asked = new AtomicInteger();
            abort = () -> asked.incrementAndGet() > checks;
            return this;
        }
    }

    /** Runs {@code task} on its own daemon thread. */
    static <T> FutureTask<T> async(String name, Callable<T> task) {
        FutureTask<T> future = new FutureTask<>(task);
        Thread thread = new Thread(future, name);
        thread.setDaemon(true);
        thread.start();
        return future;
    }

    /** Waits at most 10 s for {@code condition}; false if it never held. */
    static boolean eventually(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(5);
        }
        return true;
    }

    /** The digest of what the memory file in a VM's run directory holds, read afresh (not what the VM knows of it). */
    static String fileDigest(Path runDir) throws IOException {
        Path file = runDir.resolve("memory");
        GuestMemory memory = GuestMemory.open(file, Files.size(file), TEST_CHUNK);
        try {
            return PageCrcs.of(memory).digest();
        } finally {
            memory.close(false);
        }
    }

    static List<String> threadsOf(String domain) {
        List<String> names = new ArrayList<>();
        for (Thread thread : Thread.getAllStackTraces().keySet()) {
            if (thread.isAlive() && thread.getName().startsWith("sim-" + domain + "-")) {
                names.add(thread.getName());
            }
        }
        return names;
    }
}
