package io.ferry.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The yardstick for an idle guest: QEMU alone migrating an idle guest of the same size between two
 * {@code qemu-system-x86_64} processes on this machine (TCG, never started: its memory is zero, as the idle
 * embedded guest's), over QMP; QEMU's own {@code total-time}.
 */
final class QemuBaseline {
    private static final Pattern TOTAL = Pattern.compile("\"total-time\": *(\\d+)");
    private static final Pattern STATUS = Pattern.compile("\"status\": *\"([a-z-]+)\"");

    private QemuBaseline() {
    }

    /** Milliseconds QEMU took to migrate an idle guest of {@code mib}, or -1 when there is no QEMU here. */
    static long idleMigrationMillis(Path work, int mib) throws Exception {
        Path qemu = Path.of("/usr/bin/qemu-system-x86_64");
        if (!Files.isExecutable(qemu)) {
            return -1;
        }
        Path dir = Files.createTempDirectory(work, "qemu-");
        int port;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = probe.getLocalPort();
        }
        List<Process> processes = new ArrayList<>();
        try {
            processes.add(start(qemu, dir, "src", mib, null));
            processes.add(start(qemu, dir, "dst", mib, "tcp:127.0.0.1:" + port));
            try (Qmp source = new Qmp(dir.resolve("src.qmp")); Qmp destination = new Qmp(dir.resolve("dst.qmp"))) {
                source.call("{\"execute\":\"migrate\",\"arguments\":{\"uri\":\"tcp:127.0.0.1:" + port + "\"}}");
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
                while (System.nanoTime() < deadline) {
                    String info = source.call("{\"execute\":\"query-migrate\"}");
                    Matcher status = STATUS.matcher(info);
                    if (status.find() && status.group(1).equals("completed")) {
                        Matcher total = TOTAL.matcher(info);
                        return total.find() ? Long.parseLong(total.group(1)) : -1;
                    }
                    if (status.find(0) && status.group(1).equals("failed")) {
                        throw new IOException("QEMU's migration failed: " + info);
                    }
                    Thread.sleep(5);
                }
                throw new IOException("QEMU's migration did not complete within 120 s");
            }
        } finally {
            for (Process process : processes) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
            Bench.deleteTree(dir);
        }
    }

    private static Process start(Path qemu, Path dir, String name, int mib, String incoming) throws Exception {
        List<String> command = new ArrayList<>(List.of(qemu.toString(), "-nodefaults", "-display", "none", "-M", "pc",
                "-accel", "tcg", "-m", Integer.toString(mib), "-S", "-qmp", "unix:" + dir.resolve(name + ".qmp") + ",server=on,wait=off"));
        if (incoming != null) {
            command.addAll(List.of("-incoming", incoming));
        }
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(dir.resolve(name + ".log").toFile()).start();
        for (int i = 0; i < 500 && !Files.exists(dir.resolve(name + ".qmp")); i++) {
            Thread.sleep(10);
        }
        return process;
    }

    /** A QMP connection: the greeting read and capabilities negotiated. */
    private static final class Qmp implements AutoCloseable {
        private final SocketChannel channel;
        private final BufferedReader in;
        private final OutputStream out;

        Qmp(Path socket) throws IOException {
            channel = SocketChannel.open(StandardProtocolFamily.UNIX);
            channel.connect(UnixDomainSocketAddress.of(socket));
            in = new BufferedReader(new InputStreamReader(Channels.newInputStream(channel), StandardCharsets.UTF_8));
            out = Channels.newOutputStream(channel);
            in.readLine(); // greeting
            call("{\"execute\":\"qmp_capabilities\"}");
        }

        /** Sends a command; its reply line (events that come first are skipped). */
        String call(String command) throws IOException {
            out.write((command + "\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                if (line.contains("\"return\"") || line.contains("\"error\"")) {
                    return line;
                }
            }
            throw new IOException("QMP closed");
        }

        @Override
        public void close() throws IOException {
            channel.close();
        }
    }
}
