package io.ferry.bench;

import java.io.File;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Wall times of the {@code ferry} command, each the median of several runs, beside a bare JVM's start. */
final class CliTimes {
    private CliTimes() {
    }

    /** The median wall time of {@code runs} runs of {@code command}, in milliseconds; fails if one exits non-zero. */
    static double medianMillis(int runs, List<String> command) throws Exception {
        double[] times = new double[runs];
        for (int i = 0; i < runs; i++) {
            long start = System.nanoTime();
            Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
                process.destroyForcibly();
                throw new IllegalStateException(String.join(" ", command) + " failed");
            }
            times[i] = (System.nanoTime() - start) / 1e6;
        }
        Arrays.sort(times);
        return times[runs / 2];
    }

    static List<String> ferry(Path home, String... arguments) {
        List<String> command = new ArrayList<>(List.of(home.resolve("bin/ferry").toString()));
        command.addAll(List.of(arguments));
        return command;
    }

    /** The JVM that runs the command line, started and stopped with nothing to do: the floor under every command. */
    static List<String> bareJvm() {
        return List.of(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java", "-Xshare:auto", "-version");
    }
}
