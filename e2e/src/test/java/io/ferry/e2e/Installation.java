package io.ferry.e2e;

import static org.junit.Assert.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The built distribution, run as a user runs it: {@code bin/ferry} and {@code bin/ferryd} as processes. */
final class Installation {
    static final Path HOME = Path.of(System.getProperty("ferry.distribution")).toAbsolutePath();
    static final Path WORK = Path.of(System.getProperty("ferry.work")).toAbsolutePath();

    private Installation() {
    }

    /** What a finished command printed and returned. */
    record Result(int exit, String out, String err) {
        @Override
        public String toString() {
            return "exit " + exit + "\nstdout:\n" + out + "\nstderr:\n" + err;
        }
    }

    /** A {@code bin/ferry} command still running, for tests that act while it works (domjobinfo, domjobabort). */
    static final class Running {
        private final List<String> args;
        private final Process process;
        private final Path out;
        private final Path err;

        private Running(List<String> args, Process process, Path out, Path err) {
            this.args = args;
            this.process = process;
            this.out = out;
            this.err = err;
        }

        boolean isAlive() {
            return process.isAlive();
        }

        /** Waits for the command to end (bounded: a hung command fails the test). */
        Result await() throws IOException, InterruptedException {
            if (!process.waitFor(120, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError("ferry " + String.join(" ", args) + " did not finish");
            }
            Result result = new Result(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8));
            Files.delete(out);
            Files.delete(err);
            return result;
        }
    }

    /** Starts {@code bin/ferry ARGS} without waiting for it. */
    static Running start(String... args) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(HOME.resolve("bin/ferry").toString());
        command.addAll(List.of(args));
        Files.createDirectories(WORK);
        Path out = Files.createTempFile(WORK, "out", ".txt");
        Path err = Files.createTempFile(WORK, "err", ".txt");
        Process process = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        return new Running(List.of(args), process, out, err);
    }

    /** Runs {@code bin/ferry ARGS} to completion (bounded: a hung command fails the test). */
    static Result ferry(String... args) throws IOException, InterruptedException {
        return start(args).await();
    }

    /** {@link #ferry}, which must succeed: exit 0. */
    static Result ferryOk(String... args) throws IOException, InterruptedException {
        Result result = ferry(args);
        assertEquals("ferry " + String.join(" ", args) + "\n" + result, 0, result.exit());
        return result;
    }

    /** A new file under the work directory with {@code content}, named {@code prefix…suffix}. */
    static Path file(String prefix, String suffix, String content) throws IOException {
        Files.createDirectories(WORK);
        return Files.writeString(Files.createTempFile(WORK, prefix + "-", suffix), content, StandardCharsets.UTF_8);
    }
}
