package io.ferry.launcher;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A {@code bin/ferryd} process of an installation with its own state and deploy directories and log, on this
 * machine: what the demo, the benchmarks and the tests run, and the one place that starts one. It can be killed
 * ({@code SIGKILL}, as a crash) and restarted on the same directories and port, as a host whose daemon died.
 */
public final class LocalDaemon implements AutoCloseable {
    private static final long START_MILLIS = 60_000;

    /**
     * Where a daemon lives and how it is started.
     *
     * @param name its hostname in cookies
     * @param log its stdout (the log), appended to
     * @param stderr where its stderr goes; null: into the log
     * @param flags further ferryd flags
     * @param environment extra environment (FERRYD_JAVA_OPTS …)
     */
    public record Layout(Path home, String name, Path stateDir, Path deployDir, Path log, Path stderr, List<String> flags,
            Map<String, String> environment) {
        public Layout {
            flags = List.copyOf(flags);
            environment = Map.copyOf(environment);
        }

        /** The layout the demo and the benchmarks use: {@code work/NAME}, {@code work/NAME-deploy}, {@code work/NAME.log}. */
        public static Layout under(Path home, Path work, String name, List<String> flags, Map<String, String> environment) {
            return new Layout(home, name, work.resolve(name), work.resolve(name + "-deploy"), work.resolve(name + ".log"), null,
                    flags, environment);
        }

        public Layout withFlags(List<String> newFlags) {
            return new Layout(home, name, stateDir, deployDir, log, stderr, newFlags, environment);
        }

        List<String> command(String listen) {
            List<String> command = new ArrayList<>(List.of(home.resolve("bin/ferryd").toString(), "--state-dir", stateDir.toString(),
                    "--deploy-dir", deployDir.toString(), "--listen", listen, "--hostname", name));
            command.addAll(flags);
            return command;
        }
    }

    private final Layout layout;
    private final Process process;
    private String uri;

    private LocalDaemon(Layout layout, Process process) {
        this.layout = layout;
        this.process = process;
    }

    /**
     * The flags of daemons that share one lease directory, {@code work/leases}, as hosts share an NFS mount: made here
     * first, since ferryd makes no lease directory but its default (one configured and not there is a share not
     * mounted).
     */
    public static List<String> sharedLeases(Path work) throws IOException {
        Path leases = work.resolve("leases");
        PrivateDirectories.create(leases);
        return List.of("--lease-dir", leases.toString());
    }

    /** Starts a daemon on an ephemeral loopback port and waits until it publishes its control URI. */
    public static LocalDaemon start(Path home, Path work, String name, List<String> extraFlags, Map<String, String> environment)
            throws IOException, InterruptedException {
        LocalDaemon daemon = launch(Layout.under(home, work, name, extraFlags, environment), "127.0.0.1:0");
        daemon.awaitUri();
        return daemon;
    }

    /** Starts a daemon listening on {@code listen} and returns at once; {@link #awaitUri} waits for it. */
    public static LocalDaemon launch(Layout layout, String listen) throws IOException {
        PrivateDirectories.create(layout.stateDir());
        PrivateDirectories.create(layout.deployDir());
        Files.deleteIfExists(layout.stateDir().resolve("control-url")); // a killed daemon leaves its file behind
        ProcessBuilder builder = new ProcessBuilder(layout.command(listen))
                .redirectOutput(ProcessBuilder.Redirect.appendTo(layout.log().toFile()));
        if (layout.stderr() == null) {
            builder.redirectErrorStream(true);
        } else {
            builder.redirectError(ProcessBuilder.Redirect.appendTo(layout.stderr().toFile()));
        }
        builder.environment().putAll(layout.environment());
        return new LocalDaemon(layout, builder.start());
    }

    /** The control URI, once the daemon published it; fails with the log when it exits or takes a minute. */
    public String awaitUri() throws IOException, InterruptedException {
        if (uri == null) {
            Path urlFile = layout.stateDir().resolve("control-url");
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(START_MILLIS);
            while (!Files.exists(urlFile)) {
                if (!process.isAlive() || System.nanoTime() - deadline > 0) {
                    process.destroyForcibly();
                    throw new IOException("ferryd " + layout.name() + " did not start:\n" + log());
                }
                Thread.sleep(50);
            }
            uri = Files.readString(urlFile, StandardCharsets.US_ASCII).trim();
        }
        return uri;
    }

    /**
     * A new daemon on this one's layout and port (peers' journals know its URI); one still running is stopped
     * first (SIGTERM). Flags, when given, replace the first start's.
     */
    public LocalDaemon restart(List<String> flags) throws IOException, InterruptedException {
        URI previous = URI.create(awaitUri());
        if (process.isAlive()) {
            terminate();
        }
        return launch(flags == null ? layout : layout.withFlags(flags), previous.getHost() + ":" + previous.getPort());
    }

    /** A daemon expected not to start: waits for its exit (90 s at most) and returns its status. */
    public int awaitExit() throws InterruptedException {
        if (!process.waitFor(90, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            throw new IllegalStateException("ferryd " + layout.name() + " kept running without starting (log: " + layout.log() + ")");
        }
        return process.exitValue();
    }

    public String uri() {
        return uri;
    }

    public Layout layout() {
        return layout;
    }

    public Path stateDir() {
        return layout.stateDir();
    }

    public Path deployDir() {
        return layout.deployDir();
    }

    public Path logFile() {
        return layout.log();
    }

    public String log() throws IOException {
        return Files.exists(layout.log()) ? Files.readString(layout.log(), StandardCharsets.UTF_8) : "";
    }

    /** The daemon's process id, for tools that look at it from outside (jcmd, /proc). */
    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** SIGTERM, as an init system stops it, and wait; returns the exit status. */
    public int terminate() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            throw new IllegalStateException("ferryd " + layout.name() + " did not stop within 60 s of SIGTERM");
        }
        return process.exitValue();
    }

    /** SIGKILL, as a crash: nothing of the daemon runs any more when this returns. */
    public void kill() throws InterruptedException {
        if (!process.destroyForcibly().waitFor(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException("ferryd " + layout.name() + " did not die within 30 s of SIGKILL");
        }
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            terminate();
        }
    }
}
