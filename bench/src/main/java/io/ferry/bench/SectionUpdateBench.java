package io.ferry.bench;

import io.ferry.launcher.BundleJars;
import io.ferry.launcher.LocalDaemon;
import io.ferry.protocol.ControlClient;
import io.ferry.protocol.HttpPeer;
import io.ferry.protocol.Messages;
import io.ferry.protocol.MigrationDriver;
import io.ferry.protocol.MigrationFlags;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How soon a section's update serves: a third-party section (the test section's {@code probe}, baked at Begin) is
 * updated in both daemons' {@code deploy/} while an idle VM migrates back and forth without a pause; for each update,
 * the time from the file's drop to the old version leaving (FileInstall polls every second), to the new version's
 * registration, and to the first migration that baked with it (on the first host's log and clock). Prints the figures; asserts nothing.
 */
public final class SectionUpdateBench {
    private static final String NAME = "update-vm";
    private static final Pattern PROBE_VERSION = Pattern.compile("<probe bundle-version='([^']+)'");
    private static final DateTimeFormatter LOG_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS");
    /** The migrations that failed while sections were updated, by their error (migration ids left out). */
    private static final Map<String, Integer> FAILURES = new TreeMap<>();

    private SectionUpdateBench() {
    }

    /** One migration: when it began and ended, and which probe version baked its Begin cookie. */
    private record Run(long startMillis, long endMillis, String probe, int source) {
    }

    public static void main(String[] args) throws Exception {
        Path home = Path.of(args.length > 0 ? args[0] : "distribution/target/ferry").toAbsolutePath();
        Path section = Path.of(args.length > 1 ? args[1] : "test-section/target/ferry-test-section-0.1.0-SNAPSHOT.jar");
        int updates = args.length > 2 ? Integer.parseInt(args[2]) : 8;
        Path work = Files.createTempDirectory("ferry-bench-update-");
        Path probe = BundleJars.withoutComponent(BundleJars.withoutComponent(section, "io.ferry.testsection.FaultSection",
                work.resolve("probe-0.jar")), "io.ferry.testsection.GateSection", work.resolve("probe.jar"));
        List<String> flags = LocalDaemon.sharedLeases(work);
        try (LocalDaemon a = LocalDaemon.start(home, work, "upd-a", flags, Map.of());
                LocalDaemon b = LocalDaemon.start(home, work, "upd-b", flags, Map.of())) {
            String first = "1.0." + System.currentTimeMillis() % 100_000;
            deploy(probe, first, work, a, b);
            ControlClient[] hosts = {new ControlClient(a.uri()), new ControlClient(b.uri())};
            awaitProbe(hosts, first);
            Bench.startIdle(hosts[0], NAME, "00000000-0000-4000-8000-00000000d100", 16);

            List<Run> runs = new ArrayList<>();
            Thread migrating = new Thread(() -> migrateForever(hosts, runs), "migrations");
            migrating.setDaemon(true);
            migrating.start();
            System.out.println("version  drop -> old probe gone | -> new one registered | -> first migration baking with it"
                    + " (began, ended), on that migration's source");
            LocalDaemon[] daemons = {a, b};
            List<Long> swaps = new ArrayList<>();
            List<Long> waits = new ArrayList<>();
            for (int i = 1; i <= updates; i++) {
                Thread.sleep(1500); // a few migrations with the version before
                String version = "1." + i + ".0";
                long dropped = System.currentTimeMillis();
                deploy(probe, version, work, a, b);
                Run used = awaitRun(runs, version, dropped);
                LocalDaemon source = daemons[used.source()];
                long gone = logTime(source, "cookie section probe removed (io.ferry.test.section", dropped);
                long registered = logTime(source, "cookie section probe (element <probe>, version 1.0) added by"
                        + " io.ferry.test.section " + version, dropped);
                System.out.printf("%-7s %6d ms | %6d ms | %6d ms, %6d ms%n", version, gone - dropped, registered - dropped,
                        used.startMillis() - dropped, used.endMillis() - dropped);
                swaps.add(registered - gone);
                waits.add(Math.max(0, used.startMillis() - registered));
            }
            migrating.interrupt();
            System.out.printf("FileInstall polls every 1000 ms; then the old version left and the new one served in a median"
                    + " %d ms, and the next migration began %d ms later (median; it waits for the one in flight)%n",
                    median(swaps), median(waits));
            synchronized (runs) {
                System.out.printf("%d migrations succeeded, %d failed%s%n", runs.size(),
                        FAILURES.values().stream().mapToInt(Integer::intValue).sum(), FAILURES.isEmpty() ? "" : ":");
                FAILURES.forEach((why, count) -> System.out.printf("  %3d x %s%n", count, why));
            }
        } finally {
            Bench.deleteTree(work);
        }
    }

    private static long median(List<Long> values) {
        return Bench.percentile(values.stream().mapToLong(Long::longValue).toArray(), 50);
    }

    private static void deploy(Path probe, String version, Path work, LocalDaemon... daemons) throws Exception {
        Path jar = BundleJars.withVersion(probe, version, work.resolve("probe-" + version + ".jar"));
        for (LocalDaemon daemon : daemons) {
            BundleJars.dropInto(jar, daemon.deployDir(), "probe.jar");
        }
    }

    private static void awaitProbe(ControlClient[] hosts, String version) throws Exception {
        for (ControlClient host : hosts) {
            long deadline = System.currentTimeMillis() + 60_000;
            while (!host.get("sections").contains("io.ferry.test.section " + version)) {
                if (System.currentTimeMillis() > deadline) {
                    throw new IllegalStateException("the probe section " + version + " did not register on " + host.uri());
                }
                Thread.sleep(50);
            }
        }
    }

    /** Migrates the VM back and forth until interrupted; failed migrations (a section mid-update) are retried. */
    private static void migrateForever(ControlClient[] hosts, List<Run> runs) {
        int from = 0;
        while (!Thread.currentThread().isInterrupted()) {
            String[] probe = {null};
            MigrationDriver driver = new MigrationDriver(new MigrationDriver.Listener() {
                @Override
                public void step(String phase, String host, String cookie) {
                    Matcher m = phase.equals("begin") && cookie != null ? PROBE_VERSION.matcher(cookie) : null;
                    if (m != null && m.find()) {
                        probe[0] = m.group(1);
                    }
                }

                @Override
                public void warning(String message) {
                }
            });
            long start = System.currentTimeMillis();
            try {
                driver.run(new HttpPeer(hosts[from]), new HttpPeer(hosts[1 - from]), new Messages.Migrate(NAME, hosts[1 - from].uri(),
                        new MigrationFlags(true, false, false, false, false, false, false), null, null, 0));
                synchronized (runs) {
                    runs.add(new Run(start, System.currentTimeMillis(), probe[0], from));
                    runs.notifyAll();
                }
                from = 1 - from;
            } catch (Exception e) {
                // refused while the section was away: the next try goes on, and the reason is counted
                synchronized (runs) {
                    FAILURES.merge(String.valueOf(e.getMessage()).replaceAll("[0-9a-f]{8}-[0-9a-f-]{27}", "ID"), 1,
                            Integer::sum);
                }
            }
        }
    }

    private static Run awaitRun(List<Run> runs, String version, long after) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 60_000;
        synchronized (runs) {
            while (true) {
                for (Run run : runs) {
                    if (run.startMillis() >= after && version.equals(run.probe())) {
                        return run;
                    }
                }
                long left = deadline - System.currentTimeMillis();
                if (left <= 0) {
                    throw new IllegalStateException("no migration baked with probe " + version + " within 60 s");
                }
                runs.wait(left);
            }
        }
    }

    /** When the daemon's log first said {@code what} after {@code after} (the log's clock is this machine's). */
    private static long logTime(LocalDaemon daemon, String what, long after) throws Exception {
        for (String line : daemon.log().split("\n")) {
            if (line.contains(what) && line.length() > 23) {
                long time = LocalDateTime.parse(line.substring(0, 23), LOG_TIME).atZone(ZoneId.systemDefault()).toInstant()
                        .toEpochMilli();
                if (time >= after) {
                    return time;
                }
            }
        }
        return -1;
    }
}
