package io.ferry.launcher;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A {@code bin/ferryd} process of this installation with its own state and deploy directories under a work
 * directory, listening on an ephemeral loopback port: what the demo, the benchmark and the tests run.
 */
public final class LocalDaemon implements AutoCloseable {
    private static final long START_MILLIS = 60_000;

    private final Process process;
    private final Path stateDir;
    private final Path deployDir;
    private final Path log;
    private final String uri;

    private LocalDaemon(Process process, Path stateDir, Path deployDir, Path log, String uri) {
        this.process = process;
        this.stateDir = stateDir;
        this.deployDir = deployDir;
        this.log = log;
        this.uri = uri;
    }

    /**
     * Starts a daemon named {@code name} (its hostname in cookies) and waits until it publishes its control URI.
     *
     * @param extraFlags further ferryd flags
     * @param environment extra environment (FERRYD_JAVA_OPTS …)
     */
    public static LocalDaemon start(Path home, Path work, String name, List<String> extraFlags, Map<String, String> environment)
            throws IOException, InterruptedException {
        Path stateDir = Files.createDirectories(work.resolve(name));
        Path deployDir = Files.createDirectories(work.resolve(name + "-deploy"));
        Path log = work.resolve(name + ".log");
        Files.deleteIfExists(stateDir.resolve("control-url"));
        List<String> command = new ArrayList<>(List.of(home.resolve("bin/ferryd").toString(), "--state-dir", stateDir.toString(),
                "--deploy-dir", deployDir.toString(), "--listen", "127.0.0.1:0", "--hostname", name));
        command.addAll(extraFlags);
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        builder.environment().putAll(environment);
        Process process = builder.start();
        Path urlFile = stateDir.resolve("control-url");
        long deadline = System.currentTimeMillis() + START_MILLIS;
        while (!Files.exists(urlFile)) {
            if (!process.isAlive() || System.currentTimeMillis() > deadline) {
                process.destroyForcibly();
                throw new IOException("ferryd " + name + " did not start:\n" + Files.readString(log, StandardCharsets.UTF_8));
            }
            Thread.sleep(100);
        }
        return new LocalDaemon(process, stateDir, deployDir, log,
                Files.readString(urlFile, StandardCharsets.US_ASCII).trim());
    }

    public String uri() {
        return uri;
    }

    public Path stateDir() {
        return stateDir;
    }

    public Path deployDir() {
        return deployDir;
    }

    public Path log() {
        return log;
    }

    /** The daemon's process id, for tools that look at it from outside (jcmd, /proc). */
    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** SIGTERM and wait; returns the exit status. */
    public int terminate() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        }
        return process.exitValue();
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            terminate();
        }
    }
}
