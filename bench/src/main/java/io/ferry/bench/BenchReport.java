package io.ferry.bench;

import io.ferry.launcher.LocalDaemon;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * {@code bench/run}: every benchmark, each figure beside a baseline measured in the same run, written as
 * {@code bench/report/README.md} with a chart per migration. Asserts nothing: a person reads it.
 */
public final class BenchReport {
    private static final double MIB = 1 << 20;
    private static final int REPEATS = 5;
    private static final int CONTROL_PLANE_WARM_UP = 1000;
    private static final int CONTROL_PLANE_RUNS = 200;

    private final Path home;
    private final Path out;
    private final Path work;
    private final StringBuilder body = new StringBuilder();
    private final List<String> summary = new ArrayList<>();

    private BenchReport(Path home, Path out, Path work) {
        this.home = home;
        this.out = out;
        this.work = work;
    }

    /** @param args the installation (default distribution/target/ferry), the report's directory (default bench/report) */
    public static void main(String[] args) throws Exception {
        System.setProperty("java.awt.headless", "true");
        Path home = Path.of(args.length > 0 ? args[0] : "distribution/target/ferry").toAbsolutePath();
        Path out = Path.of(args.length > 1 ? args[1] : "bench/report");
        Files.createDirectories(out);
        Path work = Files.createTempDirectory("ferry-bench-");
        BenchReport report = new BenchReport(home, out, work);
        String started = ZonedDateTime.now().format(DateTimeFormatter.RFC_1123_DATE_TIME);
        double[] loadBefore = load();
        try {
            report.migrations();
            report.controlPlane();
            report.snapshots();
            report.cookieCodec();
            report.commandLine();
        } finally {
            Bench.deleteTree(work);
        }
        report.write(started, loadBefore, load());
        System.out.println("wrote " + out.resolve("README.md"));
    }

    /**
     * The data plane, with guest memory in the state directory (the default run directory, here on the work
     * directory's file system) and, beside it, on tmpfs ({@code --run-dir} under /dev/shm).
     */
    private void migrations() throws Exception {
        Path shm = Files.createTempDirectory(Path.of("/dev/shm"), "ferry-bench-");
        try (LocalDaemon a = LocalDaemon.start(home, work, "bench-a", List.of(), Map.of());
                LocalDaemon b = LocalDaemon.start(home, work, "bench-b", List.of(), Map.of());
                LocalDaemon ta = LocalDaemon.start(home, work, "bench-tmpfs-a", List.of("--run-dir", shm.resolve("a").toString()), Map.of());
                LocalDaemon tb = LocalDaemon.start(home, work, "bench-tmpfs-b", List.of("--run-dir", shm.resolve("b").toString()), Map.of())) {
            Migrations m = new Migrations(a, b);
            Migrations onTmpfs = new Migrations(ta, tb);
            m.start("idle", 1024, 0, "zero");
            m.start("random", 1024, 0, "random");
            onTmpfs.start("random", 1024, 0, "random");

            section("Data plane: 1 GiB guests between two daemons",
                    "Each migration is live and verified (the destination checked the digest of the whole memory). Throughput is"
                            + " guest memory over the time the memory stream took (the source's job `elapsed`); the raw"
                            + " loopback yardstick (`Bench.rawCopyNanos`: 1 GiB over one loopback connection in 256 KiB writes,"
                            + " nothing else) is measured just before each migration. CPU is each daemon's user + system time"
                            + " from `/proc/PID/stat` over the whole migration (all five phases), per GiB of guest memory."
                            + " Median of " + REPEATS + " runs, the range in brackets. Guest memory is a file in each VM's run"
                            + " directory: by default the state directory's `run/` (here on " + fileSystem(work) + "); the rows"
                            + " \"memory on tmpfs\" are two more daemons started with `--run-dir` under `/dev/shm`.");
            double[] qemu = new double[REPEATS];
            for (int i = 0; i < REPEATS; i++) {
                qemu[i] = QemuBaseline.idleMigrationMillis(work, 1024);
            }
            body.append("Idle rows: the yardstick is QEMU alone migrating an idle 1 GiB guest in the same run (TCG, never started,"
                    + " two `qemu-system-x86_64` on this machine, QMP `total-time`): **").append(qemu[0] < 0 ? "n/a (no QEMU here)" : ms(qemu))
                    .append("**; the ratio is QEMU's time over the memory stream's (above 1: faster than QEMU). Random rows: the"
                            + " ratio is the throughput over raw loopback's; the row \"QEMU alone\" is QEMU migrating a 1 GiB guest"
                            + " whose RAM holds random bytes, its RAM over its `total-time`, against raw loopback likewise (a"
                            + " hypervisor's own migration of the same bytes, fresh memory at the destination included).\n\n");
            table("| guest | path | memory stream | throughput | yardstick | ratio | whole migration | CPU source | CPU destination | downtime |",
                    "|---|---|---|---|---|---|---|---|---|---|");
            List<String> charts = new ArrayList<>();
            for (String guest : List.of("idle", "random")) {
                for (boolean tunnelled : List.of(false, true)) {
                    charts.add(dataPlane(m, guest, tunnelled, guest.equals("idle") ? qemu : null, false));
                }
            }
            for (boolean tunnelled : List.of(false, true)) {
                charts.add(dataPlane(onTmpfs, "random", tunnelled, null, true));
            }
            qemuRandom();
            summary.add("QEMU alone, idle 1 GiB guest: " + (qemu[0] < 0 ? "n/a" : ms(qemu)) + " (the yardstick for the idle rows)");
            body.append("\nThe charts come from one more run of each, its job sampled every 10 ms (the sampling costs the source daemon"
                    + " CPU, so the figures above come from runs without it).\n");
            charts.forEach(name -> body.append("\n![").append(name).append("](").append(name).append(".png)\n"));

            m.start("busy", 512, 20_000, "random"); // only now: its guest's writes cost its daemon CPU all along
            Migrations.Measured busy = m.migrate("busy", false, 10);
            m.client(m.where("busy")).post("domains/busy/destroy", Map.of(), new byte[0]);
            Charts.migration(out.resolve("busy.png"), "busy 512 MiB guest (random, 20,000 dirty pages/s), direct", busy.samples());
            body.append("\nA busy guest (512 MiB random, dirtying 20,000 pages/s) for the pre-copy passes: stream ")
                    .append(busy.streamMillis()).append(" ms, ").append(busy.iterations()).append(" passes, ")
                    .append(String.format("%.0f MiB sent, downtime %d ms, verified %s.%n%n", busy.processed() / MIB, busy.downtimeMillis(),
                            busy.verified())).append("![busy](busy.png)\n");

            concurrent(m, onTmpfs);
        } finally {
            Bench.deleteTree(shm);
        }
    }

    /** The type of the file system {@code path} is on ("ext4"), from /proc/self/mounts: the longest mount point over it. */
    private static String fileSystem(Path path) throws IOException {
        String type = "an unknown file system";
        int longest = -1;
        for (String line : Files.readAllLines(Path.of("/proc/self/mounts"))) {
            String[] fields = line.split(" ");
            if (fields.length > 2 && path.toAbsolutePath().startsWith(fields[1]) && fields[1].length() > longest) {
                longest = fields[1].length();
                type = fields[2];
            }
        }
        return type;
    }

    /** One row of the data-plane table, from unsampled runs, and a sampled run for its chart; returns the chart's name. */
    private String dataPlane(Migrations m, String guest, boolean tunnelled, double[] qemu, boolean tmpfs) throws Exception {
        double[] stream = new double[REPEATS];
        double[] throughput = new double[REPEATS];
        double[] yardstick = new double[REPEATS];
        double[] ratio = new double[REPEATS];
        double[] wall = new double[REPEATS];
        double[] cpuSource = new double[REPEATS];
        double[] cpuDestination = new double[REPEATS];
        double[] downtime = new double[REPEATS];
        boolean verified = true;
        for (int i = 0; i < REPEATS; i++) {
            double raw = Bench.rawLoopbackMiBs();
            Migrations.Measured run = m.migrate(guest, tunnelled, 0);
            verified &= run.verified();
            stream[i] = run.streamMillis();
            throughput[i] = 1024 / (Math.max(1, run.streamMillis()) / 1e3);
            yardstick[i] = qemu == null ? raw : qemu[i];
            ratio[i] = qemu == null ? throughput[i] / raw : qemu[i] / Math.max(1, run.streamMillis());
            wall[i] = run.wallMillis();
            cpuSource[i] = run.sourceCpu();
            cpuDestination[i] = run.destinationCpu();
            downtime[i] = run.downtimeMillis();
        }
        String path = tunnelled ? "tunnelled (p2p)" : "direct";
        String name = guest + (tunnelled ? "-tunnelled" : "-direct") + (tmpfs ? "-tmpfs" : "");
        String label = guest + " 1 GiB" + (tmpfs ? ", memory on tmpfs" : "");
        boolean noQemu = qemu != null && qemu[0] < 0; // the idle rows' yardstick, never measured on this machine
        String yardstickCell = qemu == null ? mibs(yardstick) + " raw loopback"
                : noQemu ? "n/a (no QEMU here)" : ms(yardstick) + " QEMU";
        row(label + (verified ? "" : " **(NOT verified)**"), path, ms(stream), mibs(throughput), yardstickCell,
                noQemu ? "n/a" : x(ratio), ms(wall), s(cpuSource) + " s/GiB", s(cpuDestination) + " s/GiB",
                ms(downtime));
        Migrations.Measured sampled = m.migrate(guest, tunnelled, 10);
        Charts.migration(out.resolve(name + ".png"), label + " guest, " + path, sampled.samples());
        String against = qemu == null
                ? String.format(", %.2fx raw loopback (%.0f MiB/s)", median(ratio), median(yardstick))
                : noQemu ? "" : String.format(", %.2fx QEMU's time (%.0f ms)", median(ratio), median(yardstick));
        summary.add(String.format("%s, %s: stream %.0f ms, %.0f MiB/s%s; CPU %.2f / %.2f s per GiB (source /"
                + " destination)", label, path, median(stream), median(throughput), against, median(cpuSource),
                median(cpuDestination)));
        return name;
    }

    /** QEMU alone migrating a 1 GiB guest of random RAM: what the random rows' ratio means beside a hypervisor's own. */
    private void qemuRandom() throws Exception {
        Path ram = QemuBaseline.randomRam(work, 1024);
        double[] throughput = new double[REPEATS];
        double[] yardstick = new double[REPEATS];
        double[] ratio = new double[REPEATS];
        for (int i = 0; i < REPEATS; i++) {
            yardstick[i] = Bench.rawLoopbackMiBs();
            throughput[i] = QemuBaseline.randomMigrationMiBs(work, 1024, ram);
            ratio[i] = throughput[i] / yardstick[i];
        }
        Files.delete(ram);
        if (throughput[0] < 0) {
            return; // no QEMU here: the idle rows say so
        }
        row("random 1 GiB, **QEMU alone** (its RAM loaded with random bytes at boot, no bandwidth cap)", "direct", "", mibs(throughput),
                mibs(yardstick) + " raw loopback", x(ratio), "", "", "", "");
        summary.add(String.format("QEMU alone, random 1 GiB guest: %.0f MiB/s, %.2fx raw loopback (%.0f MiB/s): the random rows'"
                + " hypervisor yardstick", median(throughput), median(ratio), median(yardstick)));
    }

    private void controlPlane() throws Exception {
        ControlPlaneBench.Result r = ControlPlaneBench.measure(home, CONTROL_PLANE_WARM_UP, CONTROL_PLANE_RUNS, Map.of());
        section("Control plane: an idle 64 MiB guest, all five phases",
                "`ControlPlaneBench` (as `bench/run-control-plane`): a guest with a leased disk, an Open vSwitch"
                        + " NIC and graphics, migrated live and client-managed back and forth between two fresh"
                        + " daemons, each phase timed from the migration driver (this JVM); the memory stream of an"
                        + " idle guest is a few dozen bytes. The daemons have no OVS database configured (no"
                        + " `--ovsdb`): the network section bakes the NIC without its port data, and no port is"
                        + " plugged: the source's read of the port data at Perform, the destination's plug of the"
                        + " incoming VM's port at Prepare and its write of the port data at Finish, the source's"
                        + " unplug at the end (each an `ovs-vsctl` run) are not in the figure. The guest has no"
                        + " snapshots, so the snapshots section bakes nothing (their cost is in \"Snapshots\" below). "
                        + r.warmUp() + " migrations warm the daemons up (the JIT compiles a hot path after some"
                        + " thousand calls of it; a daemon runs for weeks), then " + r.runs() + " are measured; the first "
                        + r.fresh().length + " migrations of the fresh daemons are shown apart. Beside them, one control-channel"
                        + " round trip in the same run (the median of 200 `GET /v1/version` on a kept-alive connection).");
        table("| figure | median | p90 |", "|---|---|---|");
        row("five phases, warmed daemons", String.format("%.1f ms", r.median()), String.format("%.1f ms", r.p90()));
        r.phases().forEach((phase, nanos) -> row("- " + phase, String.format("%.1f ms", ControlPlaneBench.percentile(nanos, 50)),
                String.format("%.1f ms", ControlPlaneBench.percentile(nanos, 90))));
        row("five phases, fresh daemons' first " + r.fresh().length, String.format("%.1f ms", r.freshMedian()), "");
        row("one control-channel round trip (baseline)", String.format("%.2f ms", r.roundTripMillis()), "");
        body.append(String.format("%nWarmed: %.1fx one round trip; CPU per migration %.1f ms in one daemon, %.1f ms in the other.%n",
                r.median() / r.roundTripMillis(), r.cpuMillisA(), r.cpuMillisB()));
        summary.add(String.format("control plane, idle 64 MiB guest, 5 phases: %.1f ms warmed (p90 %.1f; the lead's target: 25 ms),"
                + " %.1f ms for fresh daemons' first %d; %.0fx one control-channel round trip (%.2f ms)", r.median(), r.p90(),
                r.freshMedian(), r.fresh().length, r.median() / r.roundTripMillis(), r.roundTripMillis()));
    }

    private void concurrent(Migrations onDisk, Migrations onTmpfs) throws Exception {
        int count = 16;
        int mib = 64;
        List<String> names = new ArrayList<>();
        for (int i = 1; i <= count; i++) {
            names.add(String.format(Locale.ROOT, "c%02d", i));
            onDisk.start(names.get(i - 1), mib, 0, "random");
            onTmpfs.start(names.get(i - 1), mib, 0, "random");
        }
        section("16 concurrent migrations between two daemons",
                "16 guests of 64 MiB random memory on one daemon, each migrated live and client-managed by a thread of its own,"
                        + " all at once, to the other daemon; once with the guests' memory in the state directory, once on tmpfs"
                        + " (`--run-dir`). Aggregate throughput: the memory of the guests that moved and were"
                        + " verified over the wall time from the first Begin to the last Confirm (a failed or"
                        + " unverified migration counts for nothing). Raw loopback measured just before each batch. The"
                        + " chart is of the guests in the state directory going back, each job sampled every 100 ms.");
        table("| guest memory | succeeded and verified | aggregate | moved | raw loopback | ratio |", "|---|---|---|---|---|---|");
        List<String> failures = new ArrayList<>();
        for (Migrations m : List.of(onDisk, onTmpfs)) {
            String where = m == onDisk ? "in the state directory" : "on tmpfs";
            double raw = Bench.rawLoopbackMiBs();
            ConcurrentBench.Batch batch = ConcurrentBench.run(m, names, false, 0);
            double aggregate = batch.aggregateMiBs(mib);
            String notCounted = batch.notVerified() == 0 ? ""
                    : String.format("; %d failed or not verified, not counted", batch.notVerified());
            row(where, batch.verified() + " of " + count, String.format("**%.0f MiB/s**", aggregate),
                    String.format("%.0f MiB in %.2f s (%.0f MiB of stream)%s", batch.verifiedMiB(mib), batch.seconds(),
                            batch.bytes() / MIB, notCounted),
                    String.format("%.0f MiB/s", raw), String.format("**%.2f**", aggregate / raw));
            batch.failures().forEach(f -> failures.add("- failed (memory " + where + "): " + f + "\n"));
            summary.add(String.format("16 concurrent migrations, memory %s: %d of 16 verified, aggregate %.0f MiB/s"
                    + " (the verified guests) = %.2fx raw loopback (%.0f MiB/s)", where, batch.verified(), aggregate,
                    aggregate / raw, raw));
        }
        if (!failures.isEmpty()) {
            body.append('\n');
            failures.forEach(body::append);
        }
        ConcurrentBench.Batch sampled = ConcurrentBench.run(onDisk, names, false, 100); // back again, sampled for the chart
        Charts.concurrent(out.resolve("concurrent.png"), count + " concurrent migrations of 64 MiB random guests", sampled.samples());
        body.append("\n![concurrent](concurrent.png)\n");
    }

    private void snapshots() throws Exception {
        int count = 10_000;
        Path dir = Files.createDirectories(work.resolve("snapshots"));
        SnapshotBench.Result r = SnapshotBench.measure(home, dir, count);
        section("Snapshots: 10,000 through the API, then migrated",
                "An idle 16 MiB guest gets 10,000 snapshots (a chain), one `POST /v1/domains/NAME/snapshots` each, then migrates"
                        + " live beside the same guest without snapshots (which went there and back once before: the daemons' first"
                        + " migration is not the snapshots' share); the snapshot share is the difference, against a raw"
                        + " loopback copy of the side stream's bytes (the median of 11 copies). The channel's part of a creation is the median round trip of"
                        + " a POST that does next to nothing on the same daemon (`POST …/job/maxdowntime?ms=300`, libvirt's"
                        + " default); the store alone is measured in this process, on the same file system. Both guests then go"
                        + " back and come again " + SnapshotBench.ROUND_TRIPS + " times: the share of those later arrivals (the median)"
                        + " is the daemons' once their code for reading snapshots is compiled.");
        double perCreate = r.createNanos() / 1e6 / count;
        table("| figure | value | baseline | ratio |", "|---|---|---|---|");
        row("snapshot creation, per snapshot", String.format("%.2f ms", perCreate), String.format("%.2f ms (one POST of the channel)",
                r.channelCallNanos() / 1e6), String.format("%.1fx", perCreate / (r.channelCallNanos() / 1e6)));
        row("the store's part (creation less the channel's)", String.format("%.2f ms", perCreate - r.channelCallNanos() / 1e6), "", "");
        SnapshotBench.StoreFigures store = SnapshotBench.store(dir, count, 300);
        row(String.format("the store alone, in this process: %d snapshot-create-as into a store of %,d", store.added(), store.before()),
                String.format("%.2f ms", store.perAdd()), String.format("%.2f ms (one append + fdatasync of a snapshot's size)",
                        store.perSync()), String.format("%.2fx", store.perAdd() / store.perSync()));
        row("snapshot share of the migration", String.format("%.0f ms", r.shareNanos() / 1e6), String.format("%.1f ms (raw copy of %.1f MiB)",
                r.rawNanos() / 1e6, r.streamBytes() / MIB), String.format("%.1fx", (double) r.shareNanos() / r.rawNanos()));
        row("snapshot share, the later arrivals", String.format("%.0f ms", r.againShareNanos() / 1e6), String.format("%.1f ms",
                r.rawNanos() / 1e6), String.format("%.1fx", (double) r.againShareNanos() / r.rawNanos()));
        body.append("\nPhases with snapshots: ").append(r.phases()).append(".  \nWithout: ").append(r.plainPhases())
                .append(String.format(".  \nThe daemons' CPU over the migration: source %.0f ms, destination %.0f ms (without snapshots: %.0f"
                        + " and %.0f ms); the snapshots' share of it in the later arrivals: source %.0f ms, destination %.0f ms.",
                        r.cpuMillis()[0], r.cpuMillis()[1], r.plainCpuMillis()[0], r.plainCpuMillis()[1], r.againCpuMillis()[0],
                        r.againCpuMillis()[1]))
                .append("  \nArrived: ").append(r.arrived()).append(" snapshots.  \nPhases of the last later arrival: ")
                .append(r.againPhases()).append(".\n");
        summary.add(String.format("snapshots: creation %.2f ms each through the API (one POST of the channel %.2f ms; the store alone %.2f ms ="
                + " %.2fx one fdatasync, %.2f ms here); 10,000-snapshot share %.0f ms = %.1fx the raw copy (later arrivals %.0f ms"
                + " = %.1fx)", perCreate, r.channelCallNanos() / 1e6, store.perAdd(), store.perAdd() / store.perSync(), store.perSync(),
                r.shareNanos() / 1e6, (double) r.shareNanos() / r.rawNanos(), r.againShareNanos() / 1e6,
                (double) r.againShareNanos() / r.rawNanos()));
    }

    private void cookieCodec() throws Exception {
        Map<String, Double> scores = new LinkedHashMap<>();
        for (RunResult result : new Runner(new OptionsBuilder().include("CookieCodecBench").forks(1).threads(1)
                .warmupIterations(3).warmupTime(TimeValue.seconds(2)).measurementIterations(5).measurementTime(TimeValue.seconds(2))
                .build()).run()) {
            scores.put(result.getParams().getBenchmark().replaceAll(".*\\.", ""), result.getPrimaryResult().getScore());
        }
        double codec = scores.getOrDefault("parseAndFormat", 0.0);
        double parse = scores.getOrDefault("hardenedParseOnly", 0.0);
        section("Cookie codec (JMH)", "`CookieCodecBench`, JMH 1.37, one thread, one fork, 3 warm-up and 5 measured iterations of 2 s:"
                + " libvirt's fullest corpus cookie (`full-xml2xml-in.xml`, less its two libvirt-only features) parsed and"
                + " formatted with the six shipped sections; the baseline is the hardened DOM parse of the same bytes alone.");
        table("| benchmark | ops/s | baseline | ratio |", "|---|---|---|---|");
        row("parse + format", String.format("%,.0f", codec), String.format("%,.0f (DOM parse only)", parse), String.format("%.2f", codec / parse));
        summary.add(String.format("cookie codec: %,.0f parse+format/s (DOM parse alone %,.0f/s; target 50,000)", codec, parse));
    }

    private void commandLine() throws Exception {
        try (LocalDaemon a = LocalDaemon.start(home, work, "cli-a", List.of(), Map.of())) {
            double jvm = CliTimes.medianMillis(7, CliTimes.bareJvm());
            double version = CliTimes.medianMillis(7, CliTimes.ferry(home, "version", "-c", a.uri()));
            double list = CliTimes.medianMillis(7, CliTimes.ferry(home, "-c", a.uri(), "list"));
            double sections = CliTimes.medianMillis(7, CliTimes.ferry(home, "sections"));
            section("Command line", "Wall time of the `ferry` command (`bin/ferry`), the median of 7 runs, beside the JVM alone"
                    + " (`java -Xshare:auto -version`) in the same run.");
            table("| command | wall | JVM alone | ratio |", "|---|---|---|---|");
            for (Map.Entry<String, Double> e : Map.of("`ferry version -c URI`", version, "`ferry list`", list, "`ferry sections` (offline)",
                    sections).entrySet().stream().sorted(Map.Entry.comparingByKey()).toList()) {
                row(e.getKey(), String.format("%.0f ms", e.getValue()), String.format("%.0f ms", jvm), String.format("%.1fx", e.getValue() / jvm));
            }
            summary.add(String.format("CLI: version %.0f ms, list %.0f ms, sections offline %.0f ms (JVM alone %.0f ms)", version, list,
                    sections, jvm));
        }
    }

    private void section(String title, String text) {
        body.append("\n## ").append(title).append("\n\n").append(text).append("\n\n");
    }

    private void table(String header, String rule) {
        body.append(header).append('\n').append(rule).append('\n');
    }

    private void row(String... cells) {
        body.append("| ").append(String.join(" | ", cells)).append(" |\n");
    }

    private void write(String started, double[] loadBefore, double[] loadAfter) throws IOException {
        StringBuilder text = new StringBuilder();
        text.append("# Ferry bench report\n\n")
                .append("Written by `bench/run` (`io.ferry.bench.BenchReport`); measured ").append(started).append(" on ")
                .append(Runtime.getRuntime().availableProcessors()).append(" cores (").append(cpuModel()).append("), ")
                .append(System.getProperty("java.vm.name")).append(' ').append(System.getProperty("java.runtime.version"))
                .append(", ").append(System.getProperty("os.name")).append(' ').append(System.getProperty("os.version"))
                .append(String.format(". Load average %.1f when it began, %.1f when it ended: the cores are shared, so every figure"
                        + " stands beside a baseline measured in the same run, and the ratio is what compares across runs.%n%n",
                        loadBefore[0], loadAfter[0]))
                .append(Files.exists(out.resolve("before/README.md")) ? "The same harness against the installation this work started"
                        + " from: [before/](before/README.md).\n\n" : "")
                .append("## Summary\n\n");
        summary.forEach(line -> text.append("- ").append(line).append('\n'));
        text.append(body);
        Files.writeString(out.resolve("README.md"), text.toString(), StandardCharsets.UTF_8);
    }

    private static String cpuModel() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .map(l -> l.substring(l.indexOf(':') + 1).trim()).findFirst().orElse("unknown CPU");
        } catch (IOException e) {
            return "unknown CPU";
        }
    }

    private static double[] load() {
        try {
            String[] fields = Files.readString(Path.of("/proc/loadavg")).split(" ");
            return new double[] {Double.parseDouble(fields[0])};
        } catch (IOException e) {
            return new double[] {-1};
        }
    }

    static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }

    private static String range(double[] values, String format) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return String.format(format + " [" + format + "–" + format + "]", sorted[sorted.length / 2], sorted[0], sorted[sorted.length - 1]);
    }

    private static String ms(double[] values) {
        return range(values, "%.0f") + " ms";
    }

    private static String mibs(double[] values) {
        return range(values, "%.0f") + " MiB/s";
    }

    private static String x(double[] values) {
        return range(values, "%.2f");
    }

    private static String s(double[] values) {
        return range(values, "%.2f");
    }
}
