package io.ferry.e2e;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** The built distribution, run as a user runs it: {@code bin/ferry} and {@code bin/ferryd} as processes. */
final class Installation {
    static final Path HOME = Path.of(System.getProperty("ferry.distribution")).toAbsolutePath();
    static final Path WORK = Path.of(System.getProperty("ferry.work")).toAbsolutePath();

    private Installation() {
    }

    /** The tests' work directory, created on first use. */
    static Path work() throws IOException {
        return Files.createDirectories(WORK);
    }

    /** What a finished command printed and returned. */
    record Result(int exit, String out, String err) {
        @Override
        public String toString() {
            return "exit " + exit + "\nstdout:\n" + out + "\nstderr:\n" + err;
        }
    }

    /** Runs {@code bin/ferry ARGS} to completion (bounded: a hung command fails the test). */
    static Result ferry(String... args) throws IOException, InterruptedException {
        return launch(Map.of(), args).await();
    }

    /** Runs {@code bin/ferry ARGS} with these environment variables and none of the test's own FERRY_TLS_*. */
    static Result ferry(Map<String, String> environment, String... args) throws IOException, InterruptedException {
        return launch(environment, args).await();
    }

    /** Starts {@code bin/ferry ARGS} and returns at once: for a command a test acts on while it runs. */
    static Running launch(String... args) throws IOException {
        return launch(Map.of(), args);
    }

    /** {@code bin/ferry -c URI ARGS}, which must succeed; its output. */
    static String ferryOkAt(String uri, String... args) throws IOException, InterruptedException {
        List<String> all = new ArrayList<>(List.of("-c", uri));
        all.addAll(List.of(args));
        return ferryOk(all.toArray(String[]::new)).out();
    }

    /** {@link #ferry(Map, String...)}, which must succeed ({@link #succeeded}). */
    static Result ferryOk(Map<String, String> environment, String... args) throws IOException, InterruptedException {
        return succeeded(ferry(environment, args), args);
    }

    /** {@link #ferry}, which must succeed ({@link #succeeded}). */
    static Result ferryOk(String... args) throws IOException, InterruptedException {
        return succeeded(ferry(args), args);
    }

    /**
     * Exit 0, and no warning that a migration's source failed its Confirm: such a migration exits 0 too, its guest
     * left paused on the source until that daemon settles it, which the tests' checks right after would catch only by
     * chance (QemuUserIT's did, in CI, from a Confirm's NoSuchFileException).
     */
    private static Result succeeded(Result result, String... args) {
        String command = "ferry " + String.join(" ", args) + "\n" + result;
        assertEquals(command, 0, result.exit());
        assertFalse(command, result.err().contains("Confirm failed"));
        return result;
    }

    /** Runs {@code command} (one of an installation's programs) in {@code directory} (null: the test's) to completion. */
    static Result run(Path directory, String... command) throws IOException, InterruptedException {
        // Both streams go to files, so a program that hangs with its output open fails the wait instead of the read.
        Path out = Files.createTempFile(work(), "out", ".txt");
        Path err = Files.createTempFile(work(), "err", ".txt");
        Process process = new ProcessBuilder(command).directory(directory == null ? null : directory.toFile())
                .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            fail(String.join(" ", command) + " did not finish in 60 s");
        }
        Result result = new Result(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                Files.readString(err, StandardCharsets.UTF_8));
        Files.delete(out);
        Files.delete(err);
        return result;
    }

    /** A copy of the built installation at {@code home}, to be modified by a test; returns {@code home}. */
    static Path copyTo(Path home) throws IOException {
        try (Stream<Path> paths = Files.walk(HOME)) {
            for (Path path : paths.toList()) {
                Path target = home.resolve(HOME.relativize(path).toString());
                if (Files.isDirectory(path)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(path, target, StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
        }
        return home;
    }

    /** A new file under the work directory with {@code content}, named {@code prefix…suffix}. */
    static Path file(String prefix, String suffix, String content) throws IOException {
        return Files.writeString(Files.createTempFile(work(), prefix + "-", suffix), content, StandardCharsets.UTF_8);
    }

    private static Running launch(Map<String, String> environment, String... args) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(HOME.resolve("bin/ferry").toString());
        command.addAll(List.of(args));
        Files.createDirectories(WORK);
        Path out = Files.createTempFile(WORK, "out", ".txt");
        Path err = Files.createTempFile(WORK, "err", ".txt");
        ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
        builder.environment().keySet().removeIf(name -> name.startsWith("FERRY_TLS_"));
        builder.environment().putAll(environment);
        return new Running(String.join(" ", args), builder.start(), out, err);
    }

    /** A {@code bin/ferry} command under way. */
    record Running(String args, Process process, Path out, Path err) {
        boolean isAlive() {
            return process.isAlive();
        }

        /** Sends the command signal {@code name} ({@code INT}: Ctrl-C), as a terminal would. */
        void signal(String name) throws IOException, InterruptedException {
            Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).inheritIO().start();
            assertEquals("kill -" + name + " " + process.pid(), 0, kill.waitFor());
        }

        Result await() throws IOException, InterruptedException {
            if (!process.waitFor(120, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError("ferry " + args + " did not finish");
            }
            Result result = new Result(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8));
            Files.delete(out);
            Files.delete(err);
            return result;
        }
    }
}
