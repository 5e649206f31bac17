package io.ferry.api.host;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import org.osgi.annotation.versioning.ProviderType;

/**
 * Runs a host program (a hook script, {@code ovs-vsctl}) with limits that hold whatever the program does, on the
 * core's own threads: plug-ins start none. The time limit starts when the program is spawned and covers writing
 * its stdin, reading its stdout and stderr to their end and its exit; at the limit the program and every process
 * it started are killed, also those that outlived it, and the call fails at once.
 */
@ProviderType
public interface ProcessRunner {
    /** How many bytes of stdout and of stderr are kept; the rest is read and dropped. */
    int OUTPUT_LIMIT = 64 * 1024;

    /**
     * Runs {@code command} and returns its exit status and output, whatever the status.
     *
     * @param label names the program in messages, e.g. {@code hook script /opt/ferry/etc/hooks/ferry}
     * @param command the program and its arguments
     * @param stdin written to the program's stdin, which is then closed; null: closed at once. A program that
     *        does not read it is fine.
     * @param limit from the spawn to the end of stdout and stderr (which a process the program started may hold
     *        open) and the exit
     * @throws IOException {@code cannot run LABEL: REASON} when the program cannot be started, or
     *         {@code LABEL did not finish within N s} at the limit; an {@link java.io.InterruptedIOException}
     *         (interrupt flag set) when the calling thread is interrupted. In both last cases the processes were
     *         killed.
     */
    Result run(String label, List<String> command, byte[] stdin, Duration limit) throws IOException;

    /**
     * What a program left: its exit status, its stdout (UTF-8, at most {@link #OUTPUT_LIMIT} bytes of it, and
     * whether there was more) and the start of its stderr, which is a message.
     */
    record Result(int exitStatus, String stdout, boolean stdoutTruncated, String stderr) {
        /** This result if the exit status is 0; otherwise an IOException {@code LABEL failed (exit N): STDERR}. */
        public Result requireSuccess(String label) throws IOException {
            if (exitStatus != 0) {
                throw new IOException(label + " failed (exit " + exitStatus + "): " + stderr.strip());
            }
            return this;
        }
    }
}
