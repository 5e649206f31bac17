package io.ferry.bench;

import io.ferry.launcher.QemuMonitor;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * The yardstick of bench/run-qemu: the migration Ferry runs, driven straight over QMP between two QEMU processes
 * started by hand with the driver's options, as a script would: the destination waits with {@code -incoming
 * defer}, both get the driver's migration settings (events, no bandwidth cap, 300 ms downtime), and the wall time
 * runs from {@code migrate} on the source to the destination running after {@code cont}.
 */
final class RawQmpMigration implements AutoCloseable {
    private final List<Process> processes = new ArrayList<>();
    private final List<QemuMonitor> monitors = new ArrayList<>();

    /** The figures of one migration: wall time, and QEMU's own total time and downtime, in ms. */
    record Result(long wallMillis, long qemuTotalMillis, long downtimeMillis, long passes) {
    }

    /** Boots the guest, lets it run {@code warmUpMillis}, migrates it; QEMUs are gone after {@link #close}. */
    Result migrate(Path kernel, int memoryMiB, String workingSet, Path dir, long warmUpMillis) throws Exception {
        String name = "raw-" + memoryMiB + "-" + workingSet;
        QemuMonitor source = start(kernel, memoryMiB, workingSet, dir.resolve(name + "-src.sock"), false);
        QemuMonitor destination = start(kernel, memoryMiB, workingSet, dir.resolve(name + "-dst.sock"), true);
        source.awaitBooted(!workingSet.equals("0"), dir);
        Thread.sleep(warmUpMillis);
        String uri = "tcp:127.0.0.1:" + freePort();
        destination.execute("migrate-set-capabilities", events());
        destination.execute("migrate-incoming", QemuMonitor.arguments().put("uri", uri).put("exit-on-error", false));
        source.execute("migrate-set-capabilities", events());
        source.execute("migrate-set-parameters", QemuMonitor.arguments().put("max-bandwidth", Long.MAX_VALUE)
                .put("downtime-limit", 300));

        long start = System.nanoTime();
        source.execute("migrate", QemuMonitor.arguments().put("uri", uri));
        destination.awaitEvent("MIGRATION", "status", "completed");
        destination.execute("cont", null); // the guest runs when cont answers
        long wall = (System.nanoTime() - start) / 1_000_000;
        if (!destination.runState().equals("running")) {
            throw new IOException("the raw QMP migration of " + name + " left the destination " + destination.runState());
        }
        var info = source.execute("query-migrate", null);
        return new Result(wall, info.path("total-time").asLong(), info.path("downtime").asLong(),
                Math.max(0, info.path("ram").path("dirty-sync-count").asLong() - 1));
    }

    private static com.fasterxml.jackson.databind.node.ObjectNode events() {
        var arguments = QemuMonitor.arguments();
        arguments.putArray("capabilities").addObject().put("capability", "events").put("state", true);
        return arguments;
    }

    /** A QEMU with the driver's options (QemuCommandLine), its QMP on {@code socket}. */
    private QemuMonitor start(Path kernel, int memoryMiB, String workingSet, Path socket, boolean incoming) throws Exception {
        List<String> argv = new ArrayList<>(List.of("qemu-system-x86_64", "-name", "guest=bench", "-uuid",
                UUID.randomUUID().toString(), "-machine", "pc", "-accel", "tcg", "-cpu", "qemu64", "-m",
                "size=" + memoryMiB * 1024 + "k", "-smp", "1", "-nodefaults", "-no-user-config", "-display", "none",
                "-msg", "timestamp=on", "-chardev", "socket,id=qmp,path=" + socket + ",server=on,wait=off",
                "-mon", "chardev=qmp,mode=control", "-kernel", kernel.toString(), "-append", "working-set=" + workingSet));
        if (incoming) {
            argv.addAll(List.of("-S", "-incoming", "defer"));
        }
        processes.add(new ProcessBuilder(argv).redirectErrorStream(true)
                .redirectOutput(socket.resolveSibling(socket.getFileName() + ".log").toFile()).start());
        QemuMonitor monitor = QemuMonitor.connect(socket, 60_000);
        monitors.add(monitor);
        return monitor;
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    @Override
    public void close() throws InterruptedException {
        monitors.forEach(QemuMonitor::close);
        for (Process process : processes) {
            process.destroyForcibly().waitFor();
        }
    }
}
