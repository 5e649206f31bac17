package io.ferry.e2e;

import io.ferry.launcher.BundleJars;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import io.ferry.launcher.LocalDaemon;
import io.ferry.launcher.QemuMonitor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.rules.ExternalResource;

/**
 * Two real {@code ferryd} processes of the installation, a source and a destination, for a test class
 * ({@code @ClassRule}); tests give their domains names of their own. Also the placement check every migration
 * test ends with: the domain runs on exactly one host, with the memory it had.
 */
final class TwoHosts extends ExternalResource {
    private static final Path TEST_SECTION = Path.of(System.getProperty("ferry.test.section"));

    private final String[] sourceFlags;
    private final Map<String, String> destinationEnv;
    private final String[] destinationFlags;
    private final boolean qemu;
    DaemonProcess source;
    DaemonProcess destination;
    /** QEMU hosts: their short directory, the wrapper QEMU their guests run ({@link QemuGuest#wrapper}), the gate. */
    Path dir;
    Path emulator;
    Path gate;

    TwoHosts(String[] sourceFlags, Map<String, String> destinationEnv, String[] destinationFlags) {
        this(sourceFlags, destinationEnv, destinationFlags, false);
    }

    private TwoHosts(String[] sourceFlags, Map<String, String> destinationEnv, String[] destinationFlags, boolean qemu) {
        this.sourceFlags = sourceFlags;
        this.destinationEnv = destinationEnv;
        this.destinationFlags = destinationFlags;
        this.qemu = qemu;
    }

    /**
     * Two daemons for QEMU guests, in a short temporary directory, sharing a lease directory, both with the test
     * section (the destination's gate, {@link #holdFinish}); whatever QEMU they leave is killed at the end.
     */
    static TwoHosts forQemu(String... sourceFlags) {
        return forQemu(sourceFlags, new String[0]);
    }

    /** {@link #forQemu()} with further flags for each daemon. */
    static TwoHosts forQemu(String[] sourceFlags, String[] destinationFlags) {
        return new TwoHosts(sourceFlags, Map.of(), destinationFlags, true);
    }

    /** Two daemons as shipped. */
    static TwoHosts standard() {
        return new TwoHosts(new String[0], Map.of(), new String[0]);
    }

    /** The source daemon started with extra {@code ferryd} flags. */
    static TwoHosts withSourceFlags(String... flags) {
        return new TwoHosts(flags, Map.of(), new String[0]);
    }

    /** The destination daemon started with extra environment and {@code ferryd} flags. */
    static TwoHosts withDestination(Map<String, String> env, String... flags) {
        return new TwoHosts(new String[0], env, flags);
    }

    @Override
    protected void before() throws Throwable {
        if (qemu) {
            startForQemu();
            return;
        }
        source = DaemonProcess.start("source", sourceFlags);
        destination = DaemonProcess.start("destination", destinationEnv, destinationFlags);
        source.url(); // both boot at once; wait for each
        destination.url();
    }

    private void startForQemu() throws Exception {
        dir = Files.createTempDirectory("ferry-q");
        emulator = QemuMonitor.wrapper(dir);
        gate = Files.createDirectories(dir.resolve("gate"));
        List<String> flags = new ArrayList<>(LocalDaemon.sharedLeases(dir));
        flags.addAll(List.of(sourceFlags));
        source = DaemonProcess.startIn(dir.resolve("src"), "source", Map.of(), flags.toArray(String[]::new));
        List<String> destinationFlags = new ArrayList<>(LocalDaemon.sharedLeases(dir));
        destinationFlags.addAll(List.of(this.destinationFlags));
        destination = DaemonProcess.startIn(dir.resolve("dst"), "destination",
                Map.of("FERRYD_JAVA_OPTS", "-Dferry.test.gate=" + gate), destinationFlags.toArray(String[]::new));
        for (DaemonProcess daemon : List.of(source, destination)) {
            BundleJars.dropInto(TEST_SECTION, daemon.deployDir, "test-section.jar");
        }
        for (DaemonProcess daemon : List.of(source, destination)) {
            Poll.until("the gate section on " + daemon, () -> daemon.ferryOk("sections").out().lines()
                    .anyMatch(line -> line.startsWith(" gate ")));
        }
    }

    @Override
    protected void after() {
        if (dir != null) {
            QemuProcesses.killUnder(dir);
        }
        for (DaemonProcess daemon : new DaemonProcess[] {destination, source}) {
            try {
                if (daemon != null) {
                    daemon.close();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (dir != null) {
            keepLogs();
            try (Stream<Path> paths = Files.walk(dir)) {
                paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
            } catch (IOException e) {
                // a temporary directory left behind is harmless
            }
        }
    }

    /** The daemons' logs outlive the temporary directory, under the tests' work directory, to read after a failure. */
    private void keepLogs() {
        for (DaemonProcess daemon : new DaemonProcess[] {source, destination}) {
            if (daemon != null && Files.exists(daemon.log)) {
                try {
                    Path kept = Files.createDirectories(Installation.WORK.resolve("qemu-host-logs"));
                    Files.copy(daemon.log, kept.resolve(dir.getFileName() + "-" + daemon.name + ".log"));
                } catch (IOException e) {
                    // a log not kept only makes a failure harder to read
                }
            }
        }
    }

    /**
     * Holds the destination's Finish of {@code domain} at the gate section: after its memory arrived, before it
     * commits (and resumes it). {@link #awaitHeld} waits until it is there, {@link #release} lets it go on.
     */
    void holdFinish(String domain) throws Exception {
        Files.writeString(gate.resolve(domain + ".hold"), "");
    }

    void awaitHeld(String domain, Installation.Running migration) throws Exception {
        Poll.until("the Finish of " + domain + " at the gate", () -> {
            if (!migration.isAlive()) {
                throw new AssertionError("the migration ended before Finish was held:\n" + migration.await());
            }
            return Files.exists(gate.resolve(domain + ".held"));
        });
    }

    void release(String domain) throws Exception {
        Files.deleteIfExists(gate.resolve(domain + ".hold"));
    }

    /** {@code ferry -c SOURCE migrate FLAGS… NAME DESTINATION}. */
    Installation.Result migrate(String domain, String... flags) throws Exception {
        return source.ferry(migrateArgs(destination, domain, flags));
    }

    /** {@link #migrate}, which must exit 0. */
    Installation.Result migrateOk(String domain, String... flags) throws Exception {
        return migrateOk(source, domain, flags);
    }

    /** {@code ferry -c FROM migrate FLAGS… NAME OTHER}, which must succeed: either way between the two. */
    Installation.Result migrateOk(DaemonProcess from, String domain, String... flags) throws Exception {
        return from.ferryOk(migrateArgs(other(from), domain, flags));
    }

    /** {@link #migrate}, left running. */
    Installation.Running migrateInBackground(String domain, String... flags) throws Exception {
        return source.ferryInBackground(migrateArgs(destination, domain, flags));
    }

    private static String[] migrateArgs(DaemonProcess to, String domain, String... flags) throws Exception {
        List<String> args = new ArrayList<>(List.of("migrate"));
        args.addAll(List.of(flags));
        args.add(domain);
        args.add(to.url());
        return args.toArray(String[]::new);
    }

    /** The host that is not {@code host}. */
    DaemonProcess other(DaemonProcess host) {
        return host == source ? destination : source;
    }

    /** {@code domain} runs on {@code host} and has no live copy on the other one ({@link Placement#assertRunsOnlyOn}). */
    void assertRunsOnlyOn(DaemonProcess host, String domain, String digest) throws Exception {
        Placement.assertRunsOnlyOn(host, other(host), domain, digest);
    }
}
