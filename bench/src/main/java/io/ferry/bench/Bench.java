package io.ferry.bench;

import io.ferry.protocol.ControlClient;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Map;
import java.util.stream.Stream;

/** What the benchmarks share: idle VMs, the raw loopback yardstick, clean-up. */
final class Bench {
    private Bench() {
    }

    /** Defines and starts an idle embedded VM (its memory does not change, so only the transfer is measured). */
    static void startIdle(ControlClient client, String name, String uuid, int mib) throws Exception {
        String xml = "<domain type='sim'><name>" + name + "</name><uuid>" + uuid + "</uuid><memory unit='MiB'>" + mib
                + "</memory><vcpu>1</vcpu><metadata><sim:workload xmlns:sim='http://ferry.io/xmlns/sim/1.0'"
                + " dirty-pages-per-second='0'/></metadata></domain>";
        client.post("domains", Map.of(), xml.getBytes(StandardCharsets.UTF_8));
        client.post("domains/" + name + "/start", Map.of(), new byte[0]);
    }

    /**
     * Sends {@code data} {@code times} over one loopback connection and receives it all on the other end: the
     * wall time, from connect to the last byte received.
     */
    static long rawCopyNanos(byte[] data, long times) throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            long start = System.nanoTime();
            Thread sender = new Thread(() -> {
                try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort());
                        OutputStream out = socket.getOutputStream()) {
                    for (long i = 0; i < times; i++) {
                        out.write(data);
                    }
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            sender.start();
            try (Socket socket = server.accept(); InputStream in = socket.getInputStream()) {
                byte[] buffer = new byte[256 * 1024];
                long received = 0;
                for (int n; (n = in.read(buffer)) > 0;) {
                    received += n;
                }
                sender.join();
                if (received != data.length * times) {
                    throw new IllegalStateException("received " + received + " of " + data.length * times + " bytes");
                }
                return System.nanoTime() - start;
            }
        }
    }

    /** Raw loopback now: MiB/s of 1 GiB over one loopback connection in 256 KiB writes ({@link #rawCopyNanos}). */
    static double rawLoopbackMiBs() throws Exception {
        long gib = 1L << 30;
        return gib / (rawCopyNanos(new byte[256 * 1024], gib / (256 * 1024)) / 1e9) / (1 << 20);
    }

    /**
     * Deletes a bench's work directory, unless {@code FERRY_BENCH_KEEP} is set: then its daemons' logs (each line timed
     * and tagged with its migration) stay, to see where a phase's milliseconds go, and the bench says where.
     */
    static void deleteUnlessKept(Path work) throws IOException {
        if (System.getenv("FERRY_BENCH_KEEP") == null) {
            deleteTree(work);
        } else {
            System.out.println("daemons' state and logs kept in " + work);
        }
    }

    /** The {@code p}th percentile of {@code values} (the median at 50): the value below which {@code p}% of them lie. */
    static long percentile(long[] values, int p) {
        long[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[Math.min(sorted.length - 1, sorted.length * p / 100)];
    }

    static void deleteTree(Path directory) throws IOException {
        try (Stream<Path> paths = Files.walk(directory)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        }
    }
}
