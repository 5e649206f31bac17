package io.ferry.bench;

import io.ferry.launcher.LocalDaemon;
import io.ferry.protocol.ControlClient;
import io.ferry.protocol.HttpPeer;
import io.ferry.protocol.Messages;
import io.ferry.protocol.MigrationDriver;
import io.ferry.protocol.MigrationFlags;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The control plane: an idle 64 MiB VM with a leased disk, an Open vSwitch NIC and graphics migrated back and forth
 * between two real ferryd processes; each phase timed from the migration driver, as libvirt's virsh would see it.
 * The daemons have no OVS database configured (no {@code --ovsdb}): the network section bakes the NIC without its
 * port data, and no port is plugged: the source's read of the port data at Perform, the destination's plug of the
 * incoming VM's port at Prepare and its write of the port data at Finish, the source's unplug at the end (each an
 * {@code ovs-vsctl} run) are not measured. The VM has no snapshots, so the snapshots section bakes nothing
 * (SnapshotBench measures them). Prints the median and 90th percentile of each phase and of the five together once
 * the daemons have warmed up (a daemon runs for weeks), the median of the fresh daemons' first migrations apart,
 * beside the in-run baseline of one control-channel round trip ({@code version} on a kept-alive connection: a reply
 * held back by Nagle against the client's delayed ACK would show here as 40 ms); asserts nothing. With {@code
 * FERRY_BENCH_KEEP} set, the daemons' directories (their logs) are kept.
 */
public final class ControlPlaneBench {
    private static final List<String> PHASES = List.of("begin", "prepare", "perform", "finish", "confirm");
    private static final String NAME = "cp-vm";
    /** How many of a fresh pair's first migrations stand for a daemon that has not warmed up. */
    private static final int FRESH = 5;

    private ControlPlaneBench() {
    }

    /** The figures of one run: phases and totals of the measured migrations, the fresh daemons' first ones apart. */
    record Result(int warmUp, int runs, double roundTripMillis, long[] fresh, Map<String, long[]> phases, long[] totals,
            double cpuMillisA, double cpuMillisB) {
        double median() {
            return percentile(totals, 50);
        }

        double p90() {
            return percentile(totals, 90);
        }

        double freshMedian() {
            return percentile(fresh, 50);
        }
    }

    public static void main(String[] args) throws Exception {
        Path home = Path.of(args.length > 0 ? args[0] : "distribution/target/ferry").toAbsolutePath();
        int runs;
        int warmUp;
        try {
            runs = args.length > 1 ? Integer.parseInt(args[1]) : 200;
            warmUp = args.length > 2 ? Integer.parseInt(args[2]) : 1000;
            requireCounts(warmUp, runs);
        } catch (IllegalArgumentException e) { // a number that is none too
            System.err.println(e.getMessage() + "\nusage: bench/run-control-plane [RUNS [WARM-UP]]: RUNS migrations"
                    + " measured (default 200) after WARM-UP to warm the daemons up (default 1000), each at least 1");
            System.exit(2);
            return;
        }
        // FERRYD_JAVA_OPTS reaches both daemons: a flight recording of each, say, to see where the milliseconds go
        Map<String, String> env = System.getenv("FERRYD_JAVA_OPTS") == null ? Map.of()
                : Map.of("FERRYD_JAVA_OPTS", System.getenv("FERRYD_JAVA_OPTS"));
        Result r = measure(home, warmUp, runs, env);
        System.out.printf("control plane of an idle 64 MiB VM (leased disk, OVS NIC without an OVS database,"
                + " graphics; no snapshots), %d migrations after %d to warm up%n", r.runs(), r.warmUp());
        System.out.printf("baseline, one control-channel round trip (version): %6.2f ms%n", r.roundTripMillis());
        System.out.printf("fresh daemons, their first %d migrations: median %6.2f ms%n", r.fresh().length, r.freshMedian());
        for (Map.Entry<String, long[]> phase : r.phases().entrySet()) {
            System.out.printf("  %-8s median %6.2f ms   p90 %6.2f ms%n", phase.getKey(), percentile(phase.getValue(), 50),
                    percentile(phase.getValue(), 90));
        }
        System.out.printf("CPU per migration: %.1f ms in one daemon, %.1f ms in the other%n", r.cpuMillisA(), r.cpuMillisB());
        System.out.printf("five phases, warmed: median %6.2f ms   p90 %6.2f ms   (%.1fx a round trip; target 25 ms)%n", r.median(), r.p90(),
                r.median() / r.roundTripMillis());
    }

    /**
     * Two fresh daemons, {@code warmUp} migrations back and forth (a daemon's JIT compiles its hot paths only after
     * some thousand calls of each: the first migrations of a fresh daemon run mostly interpreted), then {@code runs}
     * measured ones.
     */
    static Result measure(Path home, int warmUp, int runs, Map<String, String> env) throws Exception {
        requireCounts(warmUp, runs);
        Path work = Files.createTempDirectory("ferry-bench-cp-");
        List<String> leases = LocalDaemon.sharedLeases(work);
        try (LocalDaemon a = LocalDaemon.start(home, work, "cp-a", leases, env);
                LocalDaemon b = LocalDaemon.start(home, work, "cp-b", leases, env)) {
            ControlClient[] hosts = {new ControlClient(a.uri()), new ControlClient(b.uri())};
            hosts[0].post("domains", Map.of(), domain().getBytes(StandardCharsets.UTF_8));
            hosts[0].post("domains/" + NAME + "/start", Map.of(), new byte[0]);
            Map<String, long[]> times = new LinkedHashMap<>();
            for (String phase : PHASES) {
                times.put(phase, new long[runs]);
            }
            long[] totals = new long[runs];
            long[] fresh = new long[Math.min(FRESH, warmUp)];
            double[] cpuBefore = new double[2];
            for (int i = -warmUp; i < runs; i++) {
                if (i == 0) {
                    cpuBefore = new double[] {ProcCpu.seconds(a.pid()), ProcCpu.seconds(b.pid())};
                }
                int from = (i + warmUp) % 2;
                Map<String, Long> phases = migrate(hosts[from], hosts[1 - from]);
                long total = phases.values().stream().mapToLong(Long::longValue).sum();
                if (i + warmUp < fresh.length) {
                    fresh[i + warmUp] = total;
                }
                if (i >= 0) {
                    int run = i;
                    phases.forEach((phase, nanos) -> times.get(phase)[run] = nanos);
                    totals[i] = total;
                }
            }
            double roundTrip = roundTripNanos(hosts[0]) / 1e6; // warmed too, like the migrations it stands beside
            return new Result(warmUp, runs, roundTrip, fresh, times, totals, (ProcCpu.seconds(a.pid()) - cpuBefore[0]) * 1000 / runs,
                    (ProcCpu.seconds(b.pid()) - cpuBefore[1]) * 1000 / runs);
        } finally {
            Bench.deleteUnlessKept(work);
        }
    }

    /**
     * Refuses a count below 1 before anything runs: the figures are percentiles of the measured migrations and of the
     * warm-up's first ones, and an empty set has none.
     */
    static void requireCounts(int warmUp, int runs) {
        requireAtLeastOne("warm-up migrations", warmUp);
        requireAtLeastOne("measured migrations", runs);
    }

    private static void requireAtLeastOne(String what, int count) {
        if (count < 1) {
            throw new IllegalArgumentException(what + ": " + count + ", where at least 1 is needed");
        }
    }

    /** One migration; each phase's time, measured between the driver's reports of consecutive phases. */
    private static Map<String, Long> migrate(ControlClient source, ControlClient destination) throws Exception {
        Map<String, Long> phases = new LinkedHashMap<>();
        long[] last = {System.nanoTime()};
        MigrationDriver driver = new MigrationDriver(new MigrationDriver.Listener() {
            @Override
            public void step(String phase, String host, String cookie) {
                long now = System.nanoTime();
                phases.put(phase, now - last[0]);
                last[0] = now;
            }

            @Override
            public void warning(String message) {
                System.err.println("warning: " + message);
            }
        });
        Messages.Migrate request = new Messages.Migrate(NAME, destination.uri(),
                new MigrationFlags(true, false, false, false, true, false, false), null, null, 0);
        driver.run(new HttpPeer(source), new HttpPeer(destination), request);
        return phases;
    }

    /** The median of 200 {@code GET version} on one kept-alive connection. */
    static long roundTripNanos(ControlClient client) throws Exception {
        long[] samples = new long[200];
        for (int i = 0; i < samples.length; i++) {
            long start = System.nanoTime();
            client.get("version");
            samples[i] = System.nanoTime() - start;
        }
        return (long) (percentile(samples, 50) * 1e6);
    }

    /** The {@code p}th percentile of {@code nanos}, in milliseconds. */
    static double percentile(long[] nanos, int p) {
        return Bench.percentile(nanos, p) / 1e6;
    }

    private static String domain() {
        return "<domain type='sim'><name>" + NAME + "</name><uuid>00000000-0000-4000-8000-0000000c0025</uuid>"
                + "<memory unit='MiB'>64</memory><vcpu>1</vcpu><metadata><sim:workload xmlns:sim='http://ferry.io/xmlns/sim/1.0'"
                + " dirty-pages-per-second='0'/></metadata><devices>"
                + "<disk type='file' device='disk'><source file='/var/lib/ferry/images/cp-vm.img'/><target dev='vda' bus='virtio'/></disk>"
                + "<interface type='bridge'><mac address='52:54:00:12:34:25'/><source bridge='br0'/><virtualport type='openvswitch'/>"
                + "</interface><graphics type='vnc' port='-1' autoport='yes' listen='127.0.0.1'/></devices></domain>";
    }
}
