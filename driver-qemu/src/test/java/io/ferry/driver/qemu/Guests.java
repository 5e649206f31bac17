package io.ferry.driver.qemu;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.api.hypervisor.HypervisorException;
import io.ferry.api.hypervisor.MigrationControl;
import io.ferry.api.hypervisor.MigrationStats;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;

/**
 * Test fixtures: the test guest (src/guest, built by Maven), definitions of it, the driver's settings, its
 * status block (src/guest/status.h) and a migration control.
 */
final class Guests {
    static final int STATUS_ADDRESS = 0x200000;
    static final int STATUS_MAGIC = 0x59525246;

    private Guests() {
    }

    /** The guest kernel the build made; a missing one fails the test (gcc or ld missing). */
    static Path kernel() {
        String property = System.getProperty("ferry.guest.kernel", "target/guest/ferry-guest.elf");
        Path kernel = Path.of(property).toAbsolutePath();
        assertTrue("the test guest " + kernel + " was not built (gcc -m32 and ld -m elf_i386 are needed)",
                Files.isRegularFile(kernel));
        return kernel;
    }

    static String xml(String name, UUID uuid, int memoryMiB, String workingSet, String devices) {
        return "<domain type='qemu'><name>" + name + "</name><uuid>" + uuid + "</uuid>"
                + "<memory unit='MiB'>" + memoryMiB + "</memory><vcpu>1</vcpu>"
                + "<os><type arch='x86_64' machine='pc'>hvm</type><kernel>" + kernel() + "</kernel>"
                + "<cmdline>working-set=" + workingSet + "</cmdline></os>"
                + "<devices>" + devices + "</devices></domain>";
    }

    static DomainSpec spec(String name, int memoryMiB, String workingSet) {
        return spec(xml(name, UUID.randomUUID(), memoryMiB, workingSet, ""));
    }

    /** Runs a command of the host (ip, qemu-img), which must succeed within 30 s; its output, in {@code outputs}. */
    static String run(Path outputs, String... command) throws Exception {
        Path out = Files.createTempFile(outputs, "cmd", ".out");
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        assertTrue(String.join(" ", command) + " finishes", process.waitFor(30, TimeUnit.SECONDS));
        String output = Files.readString(out, StandardCharsets.UTF_8).strip();
        assertEquals(String.join(" ", command) + ": " + output, 0, process.exitValue());
        return output;
    }

    /** A spec as the core would make it from {@code xml} (the driver reads only name, uuid, type, memory, vcpus). */
    static DomainSpec spec(String xml) {
        String name = between(xml, "<name>", "</name>");
        String uuid = between(xml, "<uuid>", "</uuid>");
        String type = between(xml, "<domain type='", "'");
        long memoryKiB = Long.parseLong(between(xml, "<memory unit='MiB'>", "</memory>")) * 1024;
        return new DomainSpec(name, UUID.fromString(uuid), type, memoryKiB, 1, List.of(), List.of(), List.of(), xml);
    }

    private static String between(String text, String start, String end) {
        int from = text.indexOf(start) + start.length();
        return text.substring(from, text.indexOf(end, from));
    }

    /** The run files of a fake QEMU in {@code dir}, prepared, with a pidfile (its content is no process of the test's). */
    static RunFiles preparedRunFiles(Path dir) throws IOException, HypervisorException {
        RunFiles files = new RunFiles(dir);
        files.prepare(null);
        Files.writeString(files.pidfile(), "1\n");
        return files;
    }

    /**
     * A VM over the test's stand-in for QEMU (its process and monitor): no NICs, no shared paths, its exit handled on
     * the thread that sees it; {@code onGone} is the driver's forgetting it.
     */
    static QemuVirtualMachine vm(DomainSpec spec, RunFiles files, QemuProcess process, Qmp qmp, QemuSettings settings,
            Runnable onGone) throws HypervisorException {
        return new QemuVirtualMachine(QemuDomain.of(spec), files, process, qmp, settings, new NicPlumbing(null), onGone,
                Runnable::run, List::of);
    }

    static QemuSettings settings(Path state) {
        return settings(state, 30_000);
    }

    static QemuSettings settings(Path state, long progressTimeoutMillis) {
        return new QemuSettings(QemuSettings.DEFAULT_EMULATOR, 49152, 49215, progressTimeoutMillis, 1000, 10_000,
                state.resolve("qemu"), null);
    }

    /** The guest's status block, read with pmemsave. */
    record Status(int magic, long passes, long writes, int workingSetPages) {
    }

    static Status status(QemuVirtualMachine vm, Path dir) throws HypervisorException, IOException {
        ByteBuffer block = ByteBuffer.wrap(pmemsave(vm, dir, STATUS_ADDRESS, 64)).order(ByteOrder.LITTLE_ENDIAN);
        return new Status(block.getInt(0), block.getLong(8), block.getLong(16), block.getInt(28));
    }

    static byte[] pmemsave(QemuVirtualMachine vm, Path dir, long address, long size) throws HypervisorException, IOException {
        Path file = dir.resolve("pmem-" + UUID.randomUUID() + ".bin"); // QEMU makes it: as its user, if it has one
        vm.execute("pmemsave", Qmp.JSON.createObjectNode().put("val", address).put("size", size)
                .put("filename", file.toString()));
        byte[] bytes = Files.readAllBytes(file);
        Files.delete(file);
        return bytes;
    }

    /** Waits at most 30 s for {@code condition}; false if it never held. */
    static boolean eventually(Check condition) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!condition.holds()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(20);
        }
        return true;
    }

    interface Check {
        boolean holds() throws Exception;
    }

    static <T> FutureTask<T> async(String name, Callable<T> task) {
        FutureTask<T> future = new FutureTask<>(task);
        Thread thread = new Thread(future, name);
        thread.setDaemon(true);
        thread.start();
        return future;
    }

    /** Sends a signal to a process (kill -STOP, -CONT, -KILL). */
    static void signal(long pid, String signal) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).inheritIO().start();
        assertTrue(kill.waitFor(10, TimeUnit.SECONDS) && kill.exitValue() == 0);
    }

    /** A control whose figures the test sets, recording every report. */
    static final class Control implements MigrationControl {
        volatile long bandwidth;
        volatile long downtime = 300;
        volatile BooleanSupplier abort = () -> false;
        final List<MigrationStats> reports = Collections.synchronizedList(new ArrayList<>());
        private volatile Predicate<MigrationStats> onProgress = s -> false;
        private volatile Runnable then = () -> { };

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
            if (onProgress.test(stats)) {
                onProgress = s -> false;
                then.run();
            }
        }

        /** A control that never converges by itself: a 1 ms downtime limit, the bandwidth capped at {@code bytesPerSecond}. */
        static Control capped(long bytesPerSecond) {
            Control control = new Control();
            control.downtime = 1;
            control.bandwidth = bytesPerSecond;
            return control;
        }

        /** Runs {@code action} once, at the first report that {@code when} accepts. */
        Control when(Predicate<MigrationStats> when, Runnable action) {
            this.then = action;
            this.onProgress = when;
            return this;
        }

        long maxIteration() {
            synchronized (reports) {
                return reports.stream().mapToLong(MigrationStats::iteration).max().orElse(0);
            }
        }
    }

    /** Migrates {@code src} to {@code dst} through a loopback socket standing for the core's stream. */
    static MigrationStats viaStreams(QemuVirtualMachine src, QemuVirtualMachine dst, Guests.Control sending,
            Guests.Control receiving) throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            FutureTask<MigrationStats> received = Guests.async("receiver", () -> {
                try (Socket socket = server.accept()) {
                    return dst.receiveMemory(new BufferedInputStream(socket.getInputStream()), receiving);
                }
            });
            MigrationStats sent;
            try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort())) {
                OutputStream out = new BufferedOutputStream(socket.getOutputStream(), 256 * 1024);
                sent = src.sendMemory(out, sending);
                out.flush();
                socket.shutdownOutput();
            } catch (HypervisorException e) {
                assertThrows(ExecutionException.class, () -> received.get(30, TimeUnit.SECONDS));
                throw e;
            }
            MigrationStats in = received.get(60, TimeUnit.SECONDS);
            assertTrue("the destination counted the stream", in.processed() > 0);
            assertFalse(in.memoryVerified());
            return sent;
        }
    }

    /** Migrates {@code src} to {@code dst} QEMU to QEMU, on a port of the driver's range. */
    static MigrationStats direct(QemuVirtualMachine src, QemuVirtualMachine dst, Guests.Control control)
            throws Exception {
        String uri = dst.listenForMemory("127.0.0.1");
        assertTrue(uri, uri.matches("tcp:127\\.0\\.0\\.1:(49(1[5-9][0-9]|2[01][0-9]))"));
        FutureTask<MigrationStats> received = Guests.async("receiver", () -> dst.awaitMemory(new Guests.Control()));
        MigrationStats sent = src.sendMemory(uri, control);
        received.get(60, TimeUnit.SECONDS);
        return sent;
    }
}
