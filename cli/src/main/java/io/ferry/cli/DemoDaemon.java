package io.ferry.cli;

import io.ferry.launcher.FerryHome;
import io.ferry.protocol.ControlClient;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** A ferryd the demo starts and stops: its own state directory, an ephemeral port. */
final class DemoDaemon implements AutoCloseable {
    private final Process process;
    private final String uri;

    private DemoDaemon(Process process, String uri) {
        this.process = process;
        this.uri = uri;
    }

    static DemoDaemon start(FerryHome home, Path work, String name) throws CliException {
        Path state = work.resolve(name);
        try {
            Files.createDirectories(state);
            Process process = new ProcessBuilder(home.root().resolve("bin/ferryd").toString(), "--state-dir", state.toString(),
                    "--deploy-dir", Files.createDirectories(work.resolve(name + "-deploy")).toString(),
                    "--listen", "127.0.0.1:0", "--hostname", name)
                    .redirectErrorStream(true).redirectOutput(work.resolve(name + ".log").toFile()).start();
            Path urlFile = state.resolve("control-url");
            long deadline = System.currentTimeMillis() + 60_000;
            while (!Files.exists(urlFile)) {
                if (!process.isAlive() || System.currentTimeMillis() > deadline) {
                    process.destroyForcibly();
                    throw new CliException("ferryd for " + name + " did not start:\n"
                            + Files.readString(work.resolve(name + ".log"), StandardCharsets.UTF_8));
                }
                Thread.sleep(100);
            }
            return new DemoDaemon(process, Files.readString(urlFile, StandardCharsets.US_ASCII).trim());
        } catch (IOException e) {
            throw new CliException("cannot start ferryd for " + name + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException("interrupted");
        }
    }

    String uri() {
        return uri;
    }

    DaemonChannel channel() throws CliException {
        return new DaemonChannel(Cli.call(() -> new ControlClient(uri)));
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    static void delete(Path directory) {
        try (Stream<Path> paths = Files.walk(directory)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            // a temp directory left behind is harmless
        }
    }
}
