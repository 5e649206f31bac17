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
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * QEMU alone migrating a guest between two {@code qemu-system-x86_64} processes on this machine (TCG, never started),
 * over QMP, with QEMU's own figures: an idle guest (its memory zero, as the idle embedded guest's) for the idle
 * yardstick, and one whose RAM holds random bytes (loaded at boot by QEMU's generic loader), beside the embedded
 * guest of random memory, as libvirt would run it (no bandwidth cap).
 */
final class QemuBaseline {
    private static final Pattern TOTAL = Pattern.compile("\"total-time\": *(\\d+)");
    private static final Pattern RAM_TOTAL = Pattern.compile("\"ram\": *\\{[^}]*\"total\": *(\\d+)");
    private static final Pattern STATUS = Pattern.compile("\"status\": *\"([a-z-]+)\"");

    /** Where a random guest's bytes start in its RAM: above the first MiB (the BIOS and VGA areas). */
    private static final long RANDOM_AT = 1 << 20;

    private QemuBaseline() {
    }

    /** Milliseconds QEMU took to migrate an idle guest of {@code mib}, or -1 when there is no QEMU here. */
    static long idleMigrationMillis(Path work, int mib) throws Exception {
        String info = migrate(work, mib, null);
        if (info == null) {
            return -1;
        }
        Matcher total = TOTAL.matcher(info);
        return total.find() ? Long.parseLong(total.group(1)) : -1;
    }

    /**
     * A file of random bytes for {@link #randomMigrationMiBs}: all of a guest of {@code mib} but its first and last
     * MiB (the first holds the BIOS and VGA areas).
     */
    static Path randomRam(Path work, int mib) throws IOException {
        Path file = work.resolve("random-ram-" + mib);
        SplittableRandom random = new SplittableRandom(mib);
        byte[] block = new byte[1 << 20];
        try (OutputStream out = Files.newOutputStream(file)) {
            for (int i = 0; i < mib - 2; i++) {
                random.nextBytes(block);
                out.write(block);
            }
        }
        return file;
    }

    /**
     * MiB/s of RAM QEMU migrated (its RAM size over its {@code total-time}) for a guest of {@code mib} whose RAM holds
     * {@code randomRam}; -1 when there is no QEMU here.
     */
    static double randomMigrationMiBs(Path work, int mib, Path randomRam) throws Exception {
        String info = migrate(work, mib, randomRam);
        if (info == null) {
            return -1;
        }
        Matcher total = TOTAL.matcher(info);
        Matcher ram = RAM_TOTAL.matcher(info);
        if (!total.find() || !ram.find()) {
            throw new IOException("QEMU's migration reported no time or RAM: " + info);
        }
        return Long.parseLong(ram.group(1)) / 1048576.0 / (Math.max(1, Long.parseLong(total.group(1))) / 1e3);
    }

    /** QEMU's last {@code query-migrate} reply once its migration completed; null when there is no QEMU here. */
    private static String migrate(Path work, int mib, Path randomRam) throws Exception {
        Path qemu = Path.of("/usr/bin/qemu-system-x86_64");
        if (!Files.isExecutable(qemu)) {
            return null;
        }
        Path dir = Files.createTempDirectory(work, "qemu-");
        int port;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = probe.getLocalPort();
        }
        List<Process> processes = new ArrayList<>();
        try {
            processes.add(start(qemu, dir, "src", mib, null, randomRam));
            processes.add(start(qemu, dir, "dst", mib, "tcp:127.0.0.1:" + port, null));
            try (Qmp source = new Qmp(dir.resolve("src.qmp")); Qmp destination = new Qmp(dir.resolve("dst.qmp"))) {
                // QEMU caps a migration at 128 MiB/s unless told otherwise; libvirt lifts the cap by default
                String lifted = source.call("{\"execute\":\"migrate-set-parameters\",\"arguments\":{\"max-bandwidth\":" + Long.MAX_VALUE / 2 + "}}");
                if (lifted.contains("\"error\"")) {
                    throw new IOException("QEMU kept its bandwidth cap: " + lifted);
                }
                source.call("{\"execute\":\"migrate\",\"arguments\":{\"uri\":\"tcp:127.0.0.1:" + port + "\"}}");
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
                while (System.nanoTime() < deadline) {
                    String info = source.call("{\"execute\":\"query-migrate\"}");
                    Matcher status = STATUS.matcher(info);
                    if (status.find() && status.group(1).equals("completed")) {
                        return info;
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

    private static Process start(Path qemu, Path dir, String name, int mib, String incoming, Path randomRam) throws Exception {
        List<String> command = new ArrayList<>(List.of(qemu.toString(), "-nodefaults", "-display", "none", "-M", "pc",
                "-accel", "tcg", "-m", Integer.toString(mib), "-S", "-qmp", "unix:" + dir.resolve(name + ".qmp") + ",server=on,wait=off"));
        if (incoming != null) {
            command.addAll(List.of("-incoming", incoming));
        }
        if (randomRam != null) {
            command.addAll(List.of("-device", "loader,file=" + randomRam + ",addr=" + RANDOM_AT + ",force-raw=on"));
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
