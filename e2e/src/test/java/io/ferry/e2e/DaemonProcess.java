package io.ferry.e2e;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A real {@code bin/ferryd} process with its own state and deploy directories and an ephemeral port. */
final class DaemonProcess implements AutoCloseable {
    final Path stateDir;
    final Path deployDir;
    final Path log;
    private final Process process;
    private final List<String> command;
    private String url;

    private DaemonProcess(Path stateDir, Path deployDir, Path log, Process process, List<String> command) {
        this.stateDir = stateDir;
        this.deployDir = deployDir;
        this.log = log;
        this.process = process;
        this.command = command;
    }

    static DaemonProcess start(String name, String... extraFlags) throws IOException {
        return start(Installation.HOME, name, extraFlags);
    }

    /** A daemon of the installation at {@code home} (a modified copy of the built one, say). */
    static DaemonProcess start(Path home, String name, String... extraFlags) throws IOException {
        Path dir = Files.createDirectories(Installation.WORK.resolve(name + "-" + System.nanoTime()));
        Path stateDir = dir.resolve("state");
        Path deployDir = Files.createDirectories(dir.resolve("deploy"));
        Path log = dir.resolve("ferryd.log");
        List<String> command = new ArrayList<>(List.of(home.resolve("bin/ferryd").toString(),
                "--state-dir", stateDir.toString(), "--deploy-dir", deployDir.toString(), "--listen", "127.0.0.1:0",
                "--hostname", name));
        command.addAll(List.of(extraFlags));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        return new DaemonProcess(stateDir, deployDir, log, process, command);
    }

    /** Stops this daemon (SIGTERM) and starts it again on the same state: a new process, a new control URI. */
    DaemonProcess restart() throws IOException, InterruptedException {
        terminate();
        Files.deleteIfExists(stateDir.resolve("control-url"));
        Process next = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        return new DaemonProcess(stateDir, deployDir, log, next, command);
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

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        }
    }
}
