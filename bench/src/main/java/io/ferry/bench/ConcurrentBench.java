package io.ferry.bench;

import io.ferry.launcher.LocalDaemon;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Concurrent migrations between two real ferryd processes, in batches: COUNT guests of MIB random memory, each
 * migrated live and client-managed by a thread of its own, all at once, back and forth. Each batch is printed beside
 * raw loopback measured just before it, with both daemons' CPU over the batch and where its wall time went (the
 * migrations' five phases against their memory streams). The report's "16 concurrent" section runs the same
 * batches. Asserts nothing.
 */
public final class ConcurrentBench {
    private ConcurrentBench() {
    }

    /** What a batch of concurrent migrations did. */
    record Batch(double seconds, int verified, long bytes, double[] cpuSeconds, List<Migrations.Measured> runs,
            Map<String, List<JobSampler.Sample>> samples, List<String> failures) {
        double medianWallMillis() {
            return runs.isEmpty() ? Double.NaN : BenchReport.median(runs.stream().mapToDouble(Migrations.Measured::wallMillis).toArray());
        }

        double medianStreamMillis() {
            return runs.isEmpty() ? Double.NaN : BenchReport.median(runs.stream().mapToDouble(Migrations.Measured::streamMillis).toArray());
        }

        /** The memory of the guests that moved and were verified, MiB: a failed or unverified migration moved none. */
        double verifiedMiB(int mibPerGuest) {
            return (double) verified * mibPerGuest;
        }

        /** The aggregate throughput, MiB/s: {@link #verifiedMiB} over the batch's wall time. */
        double aggregateMiBs(int mibPerGuest) {
            return verifiedMiB(mibPerGuest) / seconds;
        }

        /** How many of the batch's migrations failed or arrived unverified: left out of {@link #aggregateMiBs}. */
        int notVerified() {
            return runs.size() + failures.size() - verified;
        }
    }

    /** @param args the installation, then optionally COUNT (16), MIB (64), BATCHES (5) and options: "tmpfs", "tunnelled" or both, comma-separated */
    public static void main(String[] args) throws Exception {
        Path home = Path.of(args.length > 0 ? args[0] : "distribution/target/ferry").toAbsolutePath();
        int count = args.length > 1 ? Integer.parseInt(args[1]) : 16;
        int mib = args.length > 2 ? Integer.parseInt(args[2]) : 64;
        int batches = args.length > 3 ? Integer.parseInt(args[3]) : 5;
        List<String> options = args.length > 4 ? List.of(args[4].split(",")) : List.of();
        boolean tmpfs = options.contains("tmpfs");
        boolean tunnelled = options.contains("tunnelled");
        Path work = Files.createTempDirectory("ferry-concurrent-bench-");
        Path shm = Files.createTempDirectory(Path.of("/dev/shm"), "ferry-concurrent-bench-");
        try (LocalDaemon a = LocalDaemon.start(home, work, "bench-a", runDir(tmpfs, shm, "a"), Map.of());
                LocalDaemon b = LocalDaemon.start(home, work, "bench-b", runDir(tmpfs, shm, "b"), Map.of())) {
            Migrations m = new Migrations(a, b);
            List<String> names = new ArrayList<>();
            for (int i = 1; i <= count; i++) {
                names.add(String.format(Locale.ROOT, "c%02d", i));
                m.start(names.get(i - 1), mib, 0, "random");
            }
            System.out.printf("%d guests of %d MiB random memory, run directories %s, %s; the first batch warms the daemons up%n",
                    count, mib, tmpfs ? "on tmpfs" : "in the state directories", tunnelled ? "tunnelled" : "direct");
            for (int i = 0; i <= batches; i++) {
                double raw = Bench.rawLoopbackMiBs();
                boolean threads = System.getenv("FERRY_BENCH_THREADS") != null;
                Map<String, double[]> threadsA = threads ? ProcCpu.byThread(a.pid()) : Map.of();
                Map<String, double[]> threadsB = threads ? ProcCpu.byThread(b.pid()) : Map.of();
                Batch batch = run(m, names, tunnelled, 0);
                if (threads) {
                    printThreads("a", threadsA, ProcCpu.byThread(a.pid()));
                    printThreads("b", threadsB, ProcCpu.byThread(b.pid()));
                }
                double aggregate = batch.aggregateMiBs(mib);
                System.out.printf("%s %2d of %d verified in %5.2f s: %5.0f MiB/s of their memory = %.2fx raw"
                        + " loopback (%4.0f MiB/s); CPU %.2f s + %.2f s; each migration %4.0f ms, its stream %4.0f ms"
                        + " (medians)%n", i == 0 ? "warm-up" : "batch  ", batch.verified(), count, batch.seconds(),
                        aggregate, aggregate / raw, raw, batch.cpuSeconds()[0], batch.cpuSeconds()[1],
                        batch.medianWallMillis(), batch.medianStreamMillis());
                batch.failures().forEach(f -> System.out.println("  failed: " + f));
            }
        } finally {
            Bench.deleteUnlessKept(work);
            Bench.deleteTree(shm);
        }
    }

    private static List<String> runDir(boolean tmpfs, Path shm, String host) {
        return tmpfs ? List.of("--run-dir", shm.resolve(host).toString()) : List.of();
    }

    /** Migrates every named guest at once, each on a thread of its own, to the other host (jobs sampled every period, 0: not). */
    static Batch run(Migrations m, List<String> names, boolean tunnelled, int samplePeriodMillis) throws Exception {
        long[] pids = {m.pid(0), m.pid(1)};
        ExecutorService pool = Executors.newFixedThreadPool(names.size());
        try {
            double[] cpu = {ProcCpu.seconds(pids[0]), ProcCpu.seconds(pids[1])};
            long start = System.nanoTime();
            List<Future<Migrations.Measured>> futures = new ArrayList<>();
            for (String name : names) {
                futures.add(pool.submit(() -> m.migrate(name, tunnelled, samplePeriodMillis)));
            }
            List<Migrations.Measured> runs = new ArrayList<>();
            Map<String, List<JobSampler.Sample>> samples = new LinkedHashMap<>();
            int verified = 0;
            long bytes = 0;
            List<String> failures = new ArrayList<>();
            for (int i = 0; i < names.size(); i++) {
                try {
                    Migrations.Measured run = futures.get(i).get();
                    runs.add(run);
                    verified += run.verified() ? 1 : 0;
                    bytes += run.processed();
                    samples.put(names.get(i), run.samples());
                } catch (Exception e) {
                    failures.add(names.get(i) + ": " + e.getMessage());
                }
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            cpu[0] = ProcCpu.seconds(pids[0]) - cpu[0];
            cpu[1] = ProcCpu.seconds(pids[1]) - cpu[1];
            return new Batch(seconds, verified, bytes, cpu, runs, samples, failures);
        } finally {
            pool.shutdown();
        }
    }

    /** Each thread group's user and system CPU over the batch (threads started and ended within it are not seen). */
    private static void printThreads(String host, Map<String, double[]> before, Map<String, double[]> after) {
        StringBuilder line = new StringBuilder("  " + host + ":");
        after.forEach((name, cpu) -> {
            double[] was = before.getOrDefault(name, new double[2]);
            double user = cpu[0] - was[0];
            double system = cpu[1] - was[1];
            if (user + system >= 0.02) {
                line.append(String.format(" %s %.2f+%.2f", name, user, system));
            }
        });
        System.out.println(line);
    }
}
