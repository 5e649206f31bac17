package io.ferry.bench;

import io.ferry.launcher.LocalDaemon;
import io.ferry.protocol.ControlClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * bench/run-qemu: for 128 MiB and 1 GiB QEMU guests, idle and dirtying 16 MiB, in one run: the migration driven
 * straight over QMP ({@link RawQmpMigration}: from {@code migrate} to the destination running) beside {@code ferry
 * migrate --live --p2p} between two local daemons (the whole command, JVM start included), with Ferry's phases read
 * from the daemons' journal records in their logs. Prints the figures; asserts nothing.
 */
public final class QemuBench {
    private static final int[] SIZES_MIB = {128, 1024};
    private static final String[] WORKLOADS = {"0", "16M"};
    /** How long a guest runs after boot before it moves (a dirtying guest has dirtied its working set by then). */
    private static final long WARM_UP_MILLIS = 1000;
    private static final Pattern JOURNAL = Pattern.compile(
            "^(\\S+ \\S+) .* journal: (source|destination) (\\S+) of (\\S+) at (\\S+)$");
    private static final DateTimeFormatter LOG_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS");

    private QemuBench() {
    }

    public static void main(String[] args) throws Exception {
        Path home = Path.of(args.length > 0 ? args[0] : "distribution/target/ferry").toAbsolutePath();
        Path kernel = home.resolve("share/guest/ferry-guest.elf");
        if (!Files.isRegularFile(kernel)) {
            System.err.println("bench/run-qemu needs the test guest " + kernel + " (built with gcc -m32) and QEMU >= 9.1");
            System.exit(1);
        }
        Path work = Files.createTempDirectory("ferry-qb-");
        try {
            long jvm = command(home, "version");
            System.out.printf("load average: %s; JVM start and exit of bin/ferry (ferry version, no daemon): %d ms%n%n",
                    Files.readString(Path.of("/proc/loadavg")).trim(), jvm);
            System.out.printf("%-17s %9s %9s %9s %7s | %9s %8s %8s %7s %8s %5s | %s%n", "guest", "raw QMP", "ferry",
                    "added", "ratio", "CLI+Begin", "Prepare", "Perform", "Finish", "Confirm", "exit",
                    "QEMU total/downtime/passes: raw | ferry");
            try (LocalDaemon a = daemon(home, work, "qb-a"); LocalDaemon b = daemon(home, work, "qb-b")) {
                Set<String> started = new LinkedHashSet<>();
                try {
                    // the daemons' first migration loads their code
                    ferry(home, work, kernel, a, b, started, "qb-warm-up", 64, "0");
                    for (int mib : SIZES_MIB) {
                        for (String workingSet : WORKLOADS) {
                            row(home, work, kernel, a, b, started, mib, workingSet);
                        }
                    }
                } finally {
                    destroyQuietly(home, started, a, b);
                }
            }
            System.out.println();
            System.out.println("raw QMP: `migrate` on the source to `cont` answered on the destination; ferry: the whole"
                    + " `ferry migrate --live --p2p` command. Ferry's phases, from the daemons' journal records:");
            System.out.println("CLI+Begin from the command's start to the source's BEGUN, Prepare to its PERFORMING (the"
                    + " destination QEMU starts), Perform to PERFORMED, Finish to the destination's FINISHED, Confirm to"
                    + " the source's CONFIRMED, exit to the command's end.");
        } finally {
            Bench.deleteUnlessKept(work);
        }
    }

    private static void row(Path home, Path work, Path kernel, LocalDaemon a, LocalDaemon b, Set<String> started,
            int mib, String workingSet) throws Exception {
        boolean idle = workingSet.equals("0");
        String label = (mib >= 1024 ? mib / 1024 + " GiB" : mib + " MiB") + (idle ? " idle" : " dirty 16M");
        RawQmpMigration.Result raw;
        try (RawQmpMigration migration = new RawQmpMigration()) {
            raw = migration.migrate(kernel, mib, workingSet, work, WARM_UP_MILLIS);
        }
        Ferry ferry = ferry(home, work, kernel, a, b, started, "qb-" + mib + "-" + (idle ? "idle" : "dirty"), mib,
                workingSet);
        Map<String, Long> at = ferry.steps();
        System.out.printf("%-17s %6d ms %6d ms %+6d ms %6.1fx | %6d ms %5d ms %5d ms %4d ms %5d ms %2d ms | %d/%d/%d | %s/%s/%s%n",
                label, raw.wallMillis(), ferry.wall(), ferry.wall() - raw.wallMillis(),
                (double) ferry.wall() / Math.max(1, raw.wallMillis()),
                at.get("source begun") - ferry.started(), at.get("source performing") - at.get("source begun"),
                at.get("source performed") - at.get("source performing"),
                at.get("destination finished") - at.get("source performed"),
                at.get("source confirmed") - at.get("destination finished"),
                ferry.started() + ferry.wall() - at.get("source confirmed"),
                raw.qemuTotalMillis(), raw.downtimeMillis(), raw.passes(), attr(ferry.job(), "elapsed"),
                attr(ferry.job(), "downtime"), Long.parseLong(attr(ferry.job(), "iteration")) - 1);
    }

    /** One {@code ferry migrate --live --p2p}: its start (epoch ms), wall time, the journal's steps, the source's job. */
    private record Ferry(long started, long wall, Map<String, Long> steps, String job) {
    }

    /**
     * Defines and starts the guest on {@code a}, lets it run, migrates it to {@code b}, destroys it there; {@code
     * started} holds its name from its start to that destroy.
     */
    private static Ferry ferry(Path home, Path work, Path kernel, LocalDaemon a, LocalDaemon b, Set<String> started,
            String name, int mib, String workingSet) throws Exception {
        Path xml = Files.writeString(work.resolve(name + ".xml"), "<domain type='qemu'><name>" + name + "</name><uuid>"
                + UUID.randomUUID() + "</uuid><memory unit='MiB'>" + mib + "</memory><vcpu>1</vcpu><os><type arch='x86_64'"
                + " machine='pc'>hvm</type><kernel>" + kernel + "</kernel><cmdline>working-set=" + workingSet
                + "</cmdline></os></domain>");
        command(home, "-c", a.uri(), "define", xml.toString());
        started.add(name);
        command(home, "-c", a.uri(), "start", name);
        Thread.sleep(WARM_UP_MILLIS + 200); // as long as the raw guest ran (its boot is awaited there)
        long startMillis = System.currentTimeMillis();
        long wall = command(home, "-c", a.uri(), "migrate", "--live", "--p2p", name, b.uri());
        Map<String, Long> steps = journal(a.logFile(), b.logFile(), name);
        String job = new ControlClient(a.uri()).get("domains/" + name + "/job?completed=yes");
        command(home, "-c", b.uri(), "destroy", name);
        started.remove(name);
        return new Ferry(startMillis, wall, steps, job);
    }

    /**
     * After a failure: {@code ferry destroy} of each guest still {@code started}, on both hosts, whatever it says (the
     * guest is on one of them at most). A QEMU outlives its daemon, and once the work directory (its QMP socket) is
     * deleted no daemon re-attaches to it: it would run on, a core busy, until someone kills it.
     */
    private static void destroyQuietly(Path home, Set<String> started, LocalDaemon a, LocalDaemon b) {
        for (String name : started) {
            for (LocalDaemon host : List.of(a, b)) {
                try {
                    command(home, "-c", host.uri(), "destroy", name);
                } catch (Exception e) {
                    // not on this host, or gone already
                }
            }
        }
    }

    /** When each side's journal first recorded each step of the migration of {@code domain} (epoch ms). */
    private static Map<String, Long> journal(Path sourceLog, Path destinationLog, String domain) throws Exception {
        Map<String, Long> steps = new HashMap<>();
        for (Path log : List.of(sourceLog, destinationLog)) {
            for (String line : Files.readAllLines(log, StandardCharsets.UTF_8)) {
                Matcher m = JOURNAL.matcher(line);
                if (m.matches() && m.group(4).equals(domain)) {
                    long at = LocalDateTime.parse(m.group(1), LOG_TIME).atZone(ZoneId.systemDefault()).toInstant().toEpochMilli();
                    steps.putIfAbsent(m.group(2) + " " + m.group(5), at);
                }
            }
        }
        return steps;
    }

    private static String attr(String xml, String name) {
        Matcher m = Pattern.compile(name + "='([^']*)'").matcher(xml);
        return m.find() ? m.group(1) : "?";
    }

    /** Runs {@code bin/ferry ARGS}, which must succeed; returns its wall time in ms. */
    private static long command(Path home, String... args) throws Exception {
        List<String> argv = new ArrayList<>(List.of(home.resolve("bin/ferry").toString()));
        argv.addAll(List.of(args));
        long start = System.nanoTime();
        Process process = new ProcessBuilder(argv).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(300, TimeUnit.SECONDS) || process.exitValue() != 0) {
            throw new IllegalStateException("ferry " + String.join(" ", args) + " failed: " + output);
        }
        return (System.nanoTime() - start) / 1_000_000;
    }

    private static LocalDaemon daemon(Path home, Path work, String name) throws Exception {
        return LocalDaemon.start(home, work, name, LocalDaemon.sharedLeases(work), Map.of());
    }
}
