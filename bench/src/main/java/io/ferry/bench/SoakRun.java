package io.ferry.bench;

import io.ferry.launcher.LocalDaemon;
import io.ferry.protocol.ControlClient;
import io.ferry.protocol.HttpPeer;
import io.ferry.protocol.Messages;
import io.ferry.protocol.MigrationDriver;
import io.ferry.protocol.MigrationFlags;
import io.ferry.protocol.Xml;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The soak run ({@code bench/run-soak}): one guest migrated back and forth between two real ferryd processes,
 * a thousand times by default, while a section bundle is updated in both daemons' {@code deploy/} every fifty
 * migrations. Prints, for each daemon at the start and at the end: threads, open file descriptors, resident
 * memory and the number of bundle class loaders alive after a full GC, and how many migrations failed. Asserts
 * nothing: a person reads it.
 */
public final class SoakRun {
    private static final String VM = "soak-vm";

    private SoakRun() {
    }

    /** @param args home, section jar A, section jar B (the same bundle, another version), migrations, update interval */
    public static void main(String[] args) throws Exception {
        Path home = Path.of(args[0]).toAbsolutePath();
        List<Path> versions = List.of(Path.of(args[1]).toAbsolutePath(), Path.of(args[2]).toAbsolutePath());
        int count = args.length > 3 ? Integer.parseInt(args[3]) : 1000;
        int every = args.length > 4 ? Integer.parseInt(args[4]) : 50;
        Path work = Files.createTempDirectory("ferry-soak-");
        List<String> flags = LocalDaemon.sharedLeases(work);
        try (LocalDaemon a = LocalDaemon.start(home, work, "soak-a", flags, Map.of());
                LocalDaemon b = LocalDaemon.start(home, work, "soak-b", flags, Map.of())) {
            List<LocalDaemon> hosts = List.of(a, b);
            deploy(hosts, versions.get(0));
            ControlClient first = new ControlClient(a.uri());
            first.post("domains", Map.of(), ("<domain type='sim'><name>" + VM + "</name><memory unit='MiB'>16</memory>"
                    + "<vcpu>1</vcpu><metadata><sim:workload xmlns:sim='http://ferry.io/xmlns/sim/1.0' dirty-pages-per-second='100'/>"
                    + "</metadata><devices><disk type='file'><source file='/images/soak.img'/><target dev='vda'/></disk>"
                    + "</devices></domain>").getBytes());
            first.post("domains/" + VM + "/start", Map.of(), new byte[0]);
            migrateTimes(hosts, 2 * every, -1, versions); // warm up: the JIT and the pools reach their working size
            String start = figures(hosts);
            long began = System.nanoTime();
            int failed = migrateTimes(hosts, count, every, versions);
            System.out.printf("%d migrations in %.1f s, %d failed, section bundle updated every %d%n", count,
                    (System.nanoTime() - began) / 1e9, failed, every);
            System.out.println("at the start (after a warm-up of " + 2 * every + " migrations):");
            System.out.print(start);
            System.out.println("at the end:");
            System.out.print(figures(hosts));
        } finally {
            Bench.deleteTree(work);
        }
    }

    /** Migrates the guest from whichever host runs it to the other, {@code count} times; returns the failures. */
    private static int migrateTimes(List<LocalDaemon> hosts, int count, int every, List<Path> versions) throws Exception {
        int failed = 0;
        for (int i = 1; i <= count; i++) {
            LocalDaemon from = runner(hosts);
            LocalDaemon to = hosts.get(0) == from ? hosts.get(1) : hosts.get(0);
            try {
                new MigrationDriver(MigrationDriver.Listener.NONE).run(new HttpPeer(new ControlClient(from.uri())),
                        new HttpPeer(new ControlClient(to.uri())), new Messages.Migrate(VM, to.uri(),
                                new MigrationFlags(true, i % 2 == 0, false, false, false, false, false), null, null, 0));
            } catch (Exception e) {
                failed++;
                System.out.println("migration " + i + " failed: " + e.getMessage());
            }
            if (every > 0 && i % every == 0) {
                deploy(hosts, versions.get(i / every % 2));
            }
        }
        return failed;
    }

    private static LocalDaemon runner(List<LocalDaemon> hosts) throws Exception {
        for (LocalDaemon host : hosts) {
            String state = Xml.of(ControlClient.parse(new ControlClient(host.uri()).get("domains/" + VM))).attr("state");
            if ("running".equals(state)) {
                return host;
            }
        }
        throw new IllegalStateException(VM + " runs on neither host");
    }

    /** Drops the bundle into both deploy directories and waits until both daemons serve that version. */
    private static void deploy(List<LocalDaemon> hosts, Path jar) throws Exception {
        String version = bundleVersion(jar);
        for (LocalDaemon host : hosts) {
            Path temp = host.deployDir().resolveSibling("section.jar.part");
            Files.copy(jar, temp, StandardCopyOption.REPLACE_EXISTING);
            Files.move(temp, host.deployDir().resolve("section.jar"), StandardCopyOption.ATOMIC_MOVE,
                    StandardCopyOption.REPLACE_EXISTING);
        }
        for (LocalDaemon host : hosts) {
            long deadline = System.currentTimeMillis() + 60_000;
            while (!new ControlClient(host.uri()).get("sections").contains(version)) {
                if (System.currentTimeMillis() > deadline) {
                    throw new IllegalStateException(host.uri() + " did not take section bundle " + version);
                }
                Thread.sleep(100);
            }
        }
    }

    private static String bundleVersion(Path jar) throws IOException {
        try (var file = new java.util.jar.JarFile(jar.toFile())) {
            return file.getManifest().getMainAttributes().getValue("Bundle-Version");
        }
    }

    private static String figures(List<LocalDaemon> hosts) throws Exception {
        StringBuilder out = new StringBuilder();
        for (LocalDaemon host : hosts) {
            long pid = host.pid();
            run("jcmd", Long.toString(pid), "GC.run");
            String status = Files.readString(Path.of("/proc", Long.toString(pid), "status"));
            long fds;
            try (var list = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
                fds = list.count();
            }
            long loaders = run("jcmd", Long.toString(pid), "GC.class_histogram").lines()
                    .filter(line -> line.contains("BundleClassLoader")).mapToLong(SoakRun::instances).sum();
            out.append(String.format("  %-7s threads %4s  fds %5d  RSS %8s  bundle class loaders %d%n", host.logFile().getFileName()
                    .toString().replace(".log", ""), field(status, "Threads"), fds, field(status, "VmRSS"), loaders));
        }
        return out.toString();
    }

    private static long instances(String histogramLine) {
        String[] cells = histogramLine.trim().split("\\s+");
        return Long.parseLong(cells[1]);
    }

    private static String field(String status, String name) {
        return status.lines().filter(line -> line.startsWith(name + ":")).map(line -> line.substring(name.length() + 1).trim())
                .findFirst().orElse("?");
    }

    private static String run(String... command) throws Exception {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(process.getInputStream().readAllBytes());
        process.waitFor(60, TimeUnit.SECONDS);
        return out;
    }
}
