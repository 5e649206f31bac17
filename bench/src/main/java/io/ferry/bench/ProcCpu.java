package io.ferry.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/** A process's CPU time (user + system), read from {@code /proc/PID/stat}. */
final class ProcCpu {
    /** Linux reports clock ticks of 1/100 s (USER_HZ) on every architecture it runs on here. */
    private static final double TICKS_PER_SECOND = 100;

    private ProcCpu() {
    }

    /** Seconds of CPU the process has used so far; its threads and those already ended included. */
    static double seconds(long pid) throws IOException {
        double[] cpu = userAndSystem(Files.readString(Path.of("/proc/" + pid + "/stat")));
        return cpu[0] + cpu[1];
    }

    /** User and system seconds from a {@code stat} line of {@code /proc}. */
    private static double[] userAndSystem(String stat) {
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" "); // after "pid (comm) ": state is field 3
        return new double[] {Long.parseLong(fields[11]) / TICKS_PER_SECOND, Long.parseLong(fields[12]) / TICKS_PER_SECOND}; // utime, stime: fields 14, 15
    }

    /**
     * Seconds of user and system CPU of the process's live threads, summed by thread name with its digits and hex
     * ids made one ("ferry-control-12" and "ferry-control-7" are "ferry-control-#"; Linux keeps 15 characters).
     */
    static Map<String, double[]> byThread(long pid) throws IOException {
        Map<String, double[]> byName = new TreeMap<>();
        try (Stream<Path> tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
            for (Path task : (Iterable<Path>) tasks::iterator) {
                try {
                    String stat = Files.readString(task.resolve("stat"));
                    String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')')).replaceAll("[0-9a-f]*[0-9][0-9a-f]*$", "#");
                    double[] cpu = userAndSystem(stat);
                    double[] sum = byName.computeIfAbsent(name, n -> new double[2]);
                    sum[0] += cpu[0];
                    sum[1] += cpu[1];
                } catch (IOException ended) {
                    // the thread ended meanwhile
                }
            }
        }
        return byName;
    }
}
