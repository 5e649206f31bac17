package io.ferry.e2e;

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
 * A real {@code bin/ferryd} process with its own state and deploy directories and an ephemeral port. It can be
 * killed ({@code SIGKILL}) and restarted on the same directories and port, as a host whose daemon crashed.
 */
final class DaemonProcess implements AutoCloseable {
    final String name;
    final Path stateDir;
    final Path deployDir;
    final Path log;
    private final Map<String, String> env;
    private final Process process;
    private String url;

    private DaemonProcess(String name, Path stateDir, Path deployDir, Path log, Map<String, String> env, Process process) {
        this.name = name;
        this.stateDir = stateDir;
        this.deployDir = deployDir;
        this.log = log;
        this.env = env;
        this.process = process;
    }

    static DaemonProcess start(String name, String... extraFlags) throws IOException {
        return start(name, Map.of(), extraFlags);
    }

    /** @param env extra environment, such as {@code FERRYD_JAVA_OPTS} for the daemon's JVM */
    static DaemonProcess start(String name, Map<String, String> env, String... extraFlags) throws IOException {
        Path dir = Files.createDirectories(Installation.WORK.resolve(name + "-" + System.nanoTime()));
        Path deployDir = Files.createDirectories(dir.resolve("deploy"));
        return launch(name, dir.resolve("state"), deployDir, dir.resolve("ferryd.log"), env, "127.0.0.1:0", extraFlags);
    }

    private static DaemonProcess launch(String name, Path stateDir, Path deployDir, Path log, Map<String, String> env,
            String listen, String... extraFlags) throws IOException {
        List<String> command = new ArrayList<>(List.of(Installation.HOME.resolve("bin/ferryd").toString(),
                "--state-dir", stateDir.toString(), "--deploy-dir", deployDir.toString(), "--listen", listen,
                "--hostname", name));
        command.addAll(List.of(extraFlags));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        builder.environment().putAll(env);
        return new DaemonProcess(name, stateDir, deployDir, log, env, builder.start());
    }

    /**
     * A new daemon on this one's state and deploy directories, environment and port (peers' journals know its
     * URI), once this one is dead; {@code extraFlags} replace the first start's.
     */
    DaemonProcess restart(String... extraFlags) throws Exception {
        if (process.isAlive()) {
            throw new IllegalStateException("ferryd " + name + " still runs");
        }
        URI uri = URI.create(url());
        Files.deleteIfExists(stateDir.resolve("control-url")); // a killed daemon leaves its file behind
        return launch(name, stateDir, deployDir, log, env, uri.getHost() + ":" + uri.getPort(), extraFlags);
    }

    /** The control URI, once the daemon wrote it (bounded wait). */
    String url() throws Exception {
        if (url == null) {
            Path file = stateDir.resolve("control-url");
            Poll.until("ferryd to publish its control URI (log: " + log + ")", () -> Files.exists(file) || !process.isAlive());
            if (!process.isAlive()) {
                throw new AssertionError("ferryd exited with " + process.exitValue() + ":\n" + log());
            }
            url = Files.readString(file, StandardCharsets.US_ASCII).trim();
        }
        return url;
    }

    String log() throws IOException {
        return Files.readString(log, StandardCharsets.UTF_8);
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** SIGTERM, as an init system stops it; returns the exit status. */
    int terminate() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("ferryd did not stop within 60 s of SIGTERM");
        }
        return process.exitValue();
    }

    /** SIGKILL, as a crash: nothing of the daemon runs any more when this returns. */
    void kill() throws InterruptedException {
        if (!process.destroyForcibly().waitFor(30, TimeUnit.SECONDS)) {
            throw new AssertionError("ferryd did not die within 30 s of SIGKILL");
        }
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        }
    }

    @Override
    public String toString() {
        return name;
    }
}
