package io.ferry.driver.qemu;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * What the kernel says of a process in {@code /proc/PID/stat}, read after the last {@code )}: the command name before
 * it is the process's to set, and may hold spaces and parentheses.
 *
 * @param state its state (field 3): {@code Z} a zombie, {@code X} dead
 * @param startTime when it started, in clock ticks since the host booted (field 22): the kernel's, set at its fork and
 *     kept for its whole life, so that a later process with its pid has another
 */
record ProcStat(char state, long startTime) {
    /** Fields after the command name: the state is field 3, the start time field 22. */
    private static final int STATE = 0;
    private static final int START_TIME = 22 - 3;

    /** Process {@code pid}'s; empty if it is gone (or its {@code stat} cannot be read). */
    static Optional<ProcStat> of(long pid) {
        String stat;
        try {
            stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"), StandardCharsets.US_ASCII);
        } catch (IOException e) {
            return Optional.empty();
        }
        int end = stat.lastIndexOf(')');
        String[] fields = stat.substring(end + 1).trim().split(" ");
        if (end < 0 || fields.length <= START_TIME || fields[STATE].length() != 1
                || !fields[START_TIME].matches("[0-9]{1,18}")) {
            return Optional.empty();
        }
        return Optional.of(new ProcStat(fields[STATE].charAt(0), Long.parseLong(fields[START_TIME])));
    }

    /** Running (or stopped by a signal), not dead nor a zombie. */
    boolean isAlive() {
        return state != 'Z' && state != 'X' && state != 'x';
    }
}
