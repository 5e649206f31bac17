package io.ferry.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** A ferryd process of the benchmark. */
final class Daemon implements AutoCloseable {
    private final Process process;
    private final String uri;

    private Daemon(Process process, String uri) {
        this.process = process;
        this.uri = uri;
    }

    static Daemon start(Path home, Path work, String name) throws Exception {
        Path state = Files.createDirectories(work.resolve(name));
        Process process = new ProcessBuilder(home.resolve("bin/ferryd").toString(), "--state-dir", state.toString(),
                "--deploy-dir", Files.createDirectories(work.resolve(name + "-deploy")).toString(), "--listen", "127.0.0.1:0",
                "--hostname", name).redirectErrorStream(true).redirectOutput(work.resolve(name + ".log").toFile()).start();
        Path url = state.resolve("control-url");
        long deadline = System.currentTimeMillis() + 60_000;
        while (!Files.exists(url)) {
            if (!process.isAlive() || System.currentTimeMillis() > deadline) {
                process.destroyForcibly();
                throw new IllegalStateException("ferryd " + name + " did not start; see " + work.resolve(name + ".log"));
            }
            Thread.sleep(100);
        }
        return new Daemon(process, Files.readString(url, StandardCharsets.US_ASCII).trim());
    }

    String uri() {
        return uri;
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }

    static void delete(Path directory) throws IOException {
        try (Stream<Path> paths = Files.walk(directory)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        }
    }
}
