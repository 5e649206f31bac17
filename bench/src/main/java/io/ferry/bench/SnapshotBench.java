package io.ferry.bench;

import io.ferry.api.snapshot.SnapshotStore;
import io.ferry.core.snapshot.SnapshotFiles;
import io.ferry.launcher.LocalDaemon;
import io.ferry.protocol.ControlClient;
import io.ferry.protocol.HttpPeer;
import io.ferry.protocol.Messages;
import io.ferry.protocol.MigrationDriver;
import io.ferry.protocol.MigrationFlags;
import io.ferry.protocol.Peer;
import io.ferry.protocol.Xml;
import io.ferry.protocol.xml.HardenedXmlParser;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

/**
 * Snapshot metadata migration, in one run: an idle 16 MiB VM with N snapshots (default 10,000, a chain, each
 * created through the HTTP API) migrates live between two real ferryd processes; printed beside the time to
 * copy the same bytes (the snapshots side stream's length) over a raw loopback socket, and beside the migration
 * of the same VM without snapshots (after that VM went there and back once: a daemon's first migration is
 * slower). Then both VMs go back and come again, a few round trips, and the share of the later arrivals is printed
 * apart: a daemon's first migration of thousands of snapshots pays for compiling the code that reads them, and a
 * daemon lives long. Asserts nothing.
 */
public final class SnapshotBench {
    private static final String WITH = "00000000-0000-4000-8000-00000000c001";
    private static final String WITHOUT = "00000000-0000-4000-8000-00000000c002";
    /** Round trips after the first migration of each VM, the later arrivals measured. */
    static final int ROUND_TRIPS = 3;
    /** How long a failed migration waits for its watcher to see the interrupt (a poll under way ends first). */
    private static final long WATCHER_STOP_MILLIS = 10_000;

    private SnapshotBench() {
    }

    public static void main(String[] args) throws Exception {
        Path home = Path.of(args.length > 0 ? args[0] : "distribution/target/ferry").toAbsolutePath();
        int count = args.length > 1 ? Integer.parseInt(args[1]) : 10_000;
        Path work = Files.createTempDirectory("ferry-snapshot-bench-");
        try {
            Result r = measure(home, work, count);
            System.out.printf("snapshots created:           %8d in %.1f s (HTTP API, one request each, a chain)%n", count,
                    r.createNanos() / 1e9);
            System.out.printf("one call of the channel:     %8.2f ms (a POST that does next to nothing, the median)%n",
                    r.channelCallNanos() / 1e6);
            System.out.printf("side stream:                 %8d bytes (%.1f MiB)%n", r.streamBytes(), r.streamBytes() / 1048576.0);
            System.out.printf("raw loopback copy:           %8.1f ms (same bytes, one connection)%n", r.rawNanos() / 1e6);
            System.out.printf("migration with %d snapshots: %8.1f ms (live, idle 16 MiB VM, all five phases)%n", count, r.withNanos() / 1e6);
            System.out.printf("migration without snapshots: %8.1f ms (same VM size)%n", r.withoutNanos() / 1e6);
            System.out.printf("phases with snapshots:       %s%n", r.phases());
            System.out.printf("phases without snapshots:    %s%n", r.plainPhases());
            System.out.printf("daemons' CPU, migration:     %8.0f ms source, %.0f ms destination (without snapshots: %.0f, %.0f)%n",
                    r.cpuMillis()[0], r.cpuMillis()[1], r.plainCpuMillis()[0], r.plainCpuMillis()[1]);
            System.out.printf("snapshot share:              %8.1f ms, %.1fx the raw copy%n", r.shareNanos() / 1e6,
                    (double) r.shareNanos() / r.rawNanos());
            System.out.printf("snapshot share, again:       %8.1f ms, %.1fx the raw copy (median of %d later arrivals at the"
                    + " destination; the last: %s)%n", r.againShareNanos() / 1e6, (double) r.againShareNanos() / r.rawNanos(),
                    ROUND_TRIPS, r.againPhases());
            System.out.printf("daemons' CPU share, again:   %8.0f ms source, %.0f ms destination (each the median of the later arrivals,"
                    + " less the migration without snapshots after each)%n", r.againCpuMillis()[0], r.againCpuMillis()[1]);
            System.out.printf("destination:                 %8d snapshots%n", r.arrived());
        } finally {
            Bench.deleteUnlessKept(work);
        }
    }

    /** What one run measured; times in nanoseconds. */
    record Result(int count, long createNanos, long channelCallNanos, long streamBytes, long rawNanos, long withNanos,
            long withoutNanos, String phases, String plainPhases, int arrived, double[] cpuMillis, double[] plainCpuMillis,
            long againShareNanos, String againPhases, double[] againCpuMillis) {
        long shareNanos() {
            return withNanos - withoutNanos;
        }
    }

    /** Creates {@code count} snapshots of an idle VM through the API, then migrates it beside one without. */
    static Result measure(Path home, Path work, int count) throws Exception {
        List<String> flags = LocalDaemon.sharedLeases(work);
        try (LocalDaemon a = LocalDaemon.start(home, work, "snap-a", flags, Map.of());
                LocalDaemon b = LocalDaemon.start(home, work, "snap-b", flags, Map.of())) {
            ControlClient source = new ControlClient(a.uri());
            ControlClient destination = new ControlClient(b.uri());
            Bench.startIdle(source, "snapshots-vm", WITH, 16);
            Bench.startIdle(source, "plain-vm", WITHOUT, 16);

            long start = System.nanoTime();
            for (int i = 0; i < count; i++) {
                source.post("domains/snapshots-vm/snapshots", Map.of("name", String.format(Locale.ROOT, "s%05d", i),
                        "description", "benchmark snapshot " + i), new byte[0]);
            }
            long createNanos = System.nanoTime() - start;
            long[] calls = new long[201];
            for (int i = 0; i < calls.length; i++) { // a POST that does next to nothing: the channel's part of a creation
                long t = System.nanoTime();
                source.post("domains/snapshots-vm/job/maxdowntime", Map.of("ms", "300"), new byte[0]);
                calls[i] = System.nanoTime() - t;
            }
            java.util.Arrays.sort(calls);

            byte[] stream = sideStream(a.stateDir(), UUID.fromString(WITH));
            long[] raw = new long[11]; // a copy of a few MiB takes milliseconds: the median of several
            for (int i = 0; i < raw.length; i++) {
                raw[i] = Bench.rawCopyNanos(stream, 1);
            }
            java.util.Arrays.sort(raw);
            long rawNanos = raw[raw.length / 2];
            // the daemons' first migration ever (classes loaded, the engine's code run for the first time) is not the
            // snapshots' share: the guest without them goes there and back before anything is measured
            migrate(source, destination, "plain-vm", b.uri());
            migrate(destination, source, "plain-vm", a.uri());
            double[] cpu = cpuSeconds(a, b);
            start = System.nanoTime();
            String phases = migrate(source, destination, "snapshots-vm", b.uri());
            long withNanos = System.nanoTime() - start;
            double[] cpuMillis = cpuSince(cpu, a, b);
            cpu = cpuSeconds(a, b);
            start = System.nanoTime();
            String plainPhases = migrate(source, destination, "plain-vm", b.uri());
            long withoutNanos = System.nanoTime() - start;
            double[] plainCpuMillis = cpuSince(cpu, a, b);
            Xml arrived = Xml.of(ControlClient.parse(destination.get("domains/snapshots-vm/snapshots")));
            long[] again = new long[ROUND_TRIPS];
            double[][] againCpu = new double[2][ROUND_TRIPS]; // source's, destination's: on a busy machine steadier than time
            String againPhases = "";
            for (int i = 0; i < ROUND_TRIPS; i++) {
                migrate(destination, source, "snapshots-vm", a.uri());
                migrate(destination, source, "plain-vm", a.uri());
                cpu = cpuSeconds(a, b);
                start = System.nanoTime();
                againPhases = migrate(source, destination, "snapshots-vm", b.uri());
                long with = System.nanoTime() - start;
                double[] withCpu = cpuSince(cpu, a, b);
                cpu = cpuSeconds(a, b);
                start = System.nanoTime();
                migrate(source, destination, "plain-vm", b.uri());
                again[i] = with - (System.nanoTime() - start);
                double[] plainCpu = cpuSince(cpu, a, b);
                againCpu[0][i] = withCpu[0] - plainCpu[0];
                againCpu[1][i] = withCpu[1] - plainCpu[1];
            }
            java.util.Arrays.sort(again);
            java.util.Arrays.sort(againCpu[0]);
            java.util.Arrays.sort(againCpu[1]);
            return new Result(count, createNanos, calls[calls.length / 2], stream.length, rawNanos, withNanos, withoutNanos, phases,
                    plainPhases, arrived.children("snapshot").size(), cpuMillis, plainCpuMillis, again[ROUND_TRIPS / 2], againPhases,
                    new double[] {againCpu[0][ROUND_TRIPS / 2], againCpu[1][ROUND_TRIPS / 2]});
        }
    }

    /** The CPU seconds each daemon (source, destination) has used so far. */
    private static double[] cpuSeconds(LocalDaemon source, LocalDaemon destination) throws IOException {
        return new double[] {ProcCpu.seconds(source.pid()), ProcCpu.seconds(destination.pid())};
    }

    /** The CPU milliseconds each daemon spent since {@code before} ({@link #cpuSeconds} then). */
    private static double[] cpuSince(double[] before, LocalDaemon source, LocalDaemon destination) throws IOException {
        double[] now = cpuSeconds(source, destination);
        return new double[] {(now[0] - before[0]) * 1000, (now[1] - before[1]) * 1000};
    }

    /**
     * Migrates live; returns the wall time of each phase ("begin 12 ms, prepare …") and how long after Perform's
     * end (the source paused for good) the destination showed the domain running: the guest's downtime beyond
     * the memory switch-over.
     */
    private static String migrate(ControlClient source, ControlClient destination, String name, String destUri) throws Exception {
        return migrate(new HttpPeer(source), new HttpPeer(destination), destination, name, destUri);
    }

    /**
     * {@link #migrate(ControlClient, ControlClient, String, String)} between two peers, {@code watched} the
     * destination's client. The watcher of the domain running there, which polls until it is, ends with the migration,
     * a failed one too (the destination may never show it running); a daemon thread, it never holds the JVM up.
     */
    static String migrate(Peer source, Peer destination, ControlClient watched, String name, String destUri)
            throws Exception {
        Messages.Migrate request = new Messages.Migrate(name, destUri,
                new MigrationFlags(true, false, false, false, false, false, false), null, null, 0);
        StringBuilder phases = new StringBuilder();
        long[] last = {System.nanoTime()};
        long[] running = {0};
        Thread[] watcher = {null};
        MigrationDriver driver = new MigrationDriver(new MigrationDriver.Listener() {
            @Override
            public void step(String phase, String host, String cookieOut) {
                long now = System.nanoTime();
                phases.append(phases.length() == 0 ? "" : ", ").append(phase).append(' ').append((now - last[0]) / 1_000_000).append(" ms");
                last[0] = now;
                if (phase.equals("perform")) {
                    watcher[0] = new Thread(() -> running[0] = awaitRunning(watched, name) - now,
                            "running-watcher-" + name);
                    watcher[0].setDaemon(true);
                    watcher[0].start();
                }
            }

            @Override
            public void warning(String message) {
            }
        });
        try {
            driver.run(source, destination, request);
            watcher[0].join();
        } finally {
            if (watcher[0] != null) {
                watcher[0].interrupt();
                watcher[0].join(WATCHER_STOP_MILLIS);
            }
        }
        return phases + "; destination running " + running[0] / 1_000_000 + " ms after Perform";
    }

    private static long awaitRunning(ControlClient destination, String name) {
        while (true) {
            try {
                if ("running".equals(Xml.of(ControlClient.parse(destination.get("domains/" + name))).attr("state"))) {
                    return System.nanoTime();
                }
            } catch (Exception e) {
                // not there yet
            }
            try {
                Thread.sleep(2);
            } catch (InterruptedException e) {
                return System.nanoTime();
            }
        }
    }

    /** The bytes the snapshots section streams: a count, then per snapshot a current flag, a length and the XML. */
    private static byte[] sideStream(Path stateDir, UUID domain) throws Exception {
        SnapshotFiles store = new SnapshotFiles(stateDir, HardenedXmlParser.DEFAULT_MAX_BYTES, HardenedXmlParser.DEFAULT_MAX_DEPTH);
        List<SnapshotStore.Snapshot> snapshots = store.list(domain);
        String current = store.current(domain).orElse(null);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.writeInt(snapshots.size());
        for (SnapshotStore.Snapshot snapshot : snapshots) {
            byte[] xml = snapshot.xml().getBytes(StandardCharsets.UTF_8);
            out.writeByte(snapshot.name().equals(current) ? 1 : 0);
            out.writeInt(xml.length);
            out.write(xml);
        }
        return bytes.toByteArray();
    }

    /** What the store itself takes for a snapshot, in this process: figures in milliseconds. */
    record StoreFigures(int before, int added, double perAdd, double perSync) {
    }

    /**
     * The store's part of a snapshot-create-as, without the channel: {@code added} snapshots (the XML the API makes)
     * added to a store that already holds {@code before}, beside the yardstick of one append and
     * {@code fdatasync} of the same size on the same file system, the least a durable creation costs.
     */
    static StoreFigures store(Path work, int before, int added) throws Exception {
        Path dir = Files.createDirectories(work.resolve("store"));
        SnapshotFiles store = new SnapshotFiles(dir, HardenedXmlParser.DEFAULT_MAX_BYTES, HardenedXmlParser.DEFAULT_MAX_DEPTH);
        UUID domain = UUID.fromString(WITH);
        List<SnapshotStore.Snapshot> chain = new java.util.ArrayList<>();
        for (int i = 0; i < before; i++) {
            chain.add(snapshot(String.format(Locale.ROOT, "p%05d", i),
                    i == 0 ? null : String.format(Locale.ROOT, "p%05d", i - 1)));
        }
        store.stage("bench", domain, chain, chain.isEmpty() ? null : chain.get(before - 1).name());
        store.commit("bench");
        String parent = before == 0 ? null : chain.get(before - 1).name();
        long start = System.nanoTime();
        for (int i = 0; i < added; i++) {
            SnapshotStore.Snapshot s = snapshot(String.format(Locale.ROOT, "s%05d", i), parent);
            store.add(domain, s);
            parent = s.name();
        }
        double perAdd = (System.nanoTime() - start) / 1e6 / added;
        byte[] record = snapshot("s00000", "p00000").xml().getBytes(StandardCharsets.UTF_8);
        Path file = dir.resolve("sync-yardstick");
        start = System.nanoTime();
        try (java.nio.channels.FileChannel channel = java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.CREATE,
                java.nio.file.StandardOpenOption.WRITE, java.nio.file.StandardOpenOption.APPEND)) {
            for (int i = 0; i < added; i++) {
                channel.write(java.nio.ByteBuffer.wrap(record));
                channel.force(false);
            }
        }
        return new StoreFigures(before, added, perAdd, (System.nanoTime() - start) / 1e6 / added);
    }

    /** A snapshot as {@code POST /v1/domains/NAME/snapshots} makes it: metadata, then the domain's definition. */
    private static SnapshotStore.Snapshot snapshot(String name, String parent) {
        String xml = "<domainsnapshot>\n  <name>" + name + "</name>\n  <description>benchmark snapshot</description>\n"
                + "  <state>running</state>\n  <creationTime>1764500000</creationTime>\n"
                + (parent == null ? "" : "  <parent>\n    <name>" + parent + "</name>\n  </parent>\n")
                + "  <domain type='sim'>\n    <name>snapshots-vm</name>\n    <uuid>" + WITH + "</uuid>\n"
                + "    <memory unit='MiB'>16</memory>\n    <vcpu>1</vcpu>\n  </domain>\n</domainsnapshot>\n";
        return new SnapshotStore.Snapshot(name, parent, xml);
    }
}
