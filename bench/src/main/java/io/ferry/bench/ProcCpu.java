package io.ferry.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** A process's CPU time (user + system), read from {@code /proc/PID/stat}. */
final class ProcCpu {
    /** Linux reports clock ticks of 1/100 s (USER_HZ) on every architecture it runs on here. */
    private static final double TICKS_PER_SECOND = 100;

    private ProcCpu() {
    }

    /** Seconds of CPU the process has used so far; its threads and those already ended included. */
    static double seconds(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" "); // after "pid (comm) ": state is field 3
        return (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) / TICKS_PER_SECOND; // utime, stime: fields 14, 15
    }
}
