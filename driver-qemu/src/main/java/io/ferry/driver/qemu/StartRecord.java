package io.ferry.driver.qemu;

import io.ferry.api.hypervisor.HypervisorException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The daemon's record of the QEMU it started in a VM's run directory ({@link RunFiles#started}), written as soon as
 * the process exists: how a restarted daemon tells whether that QEMU still runs. A guest that took QEMU over may
 * rewrite QEMU's command line (its argv is QEMU's own memory, no system call needed) and write what it likes into its
 * pidfile, but not this record, in a directory QEMU's user can neither list nor change, nor the start time it holds,
 * the kernel's: a process alive with it in this boot is that QEMU, and no other process is.
 *
 * @param pid the process
 * @param startTime its start time ({@link ProcStat#startTime})
 * @param boot the host's boot ({@code /proc/sys/kernel/random/boot_id}): start times count from it, and a host that
 *     boots alike may give the same pid to another process at the same tick
 */
record StartRecord(long pid, long startTime, String boot) {
    private static final Pattern FORMAT = Pattern.compile("([0-9]{1,18}) ([0-9]{1,18}) ([0-9a-z-]{1,36})");
    private static final int MAX_BYTES = 80;
    private static final String THIS_BOOT = bootId();
    private static final Logger LOG = LoggerFactory.getLogger(QemuDriver.class);

    /** The record of {@code process}, which this daemon started (or found running as its VM's QEMU). */
    static StartRecord of(QemuProcess process) throws HypervisorException {
        return new StartRecord(process.pid(), process.startTime(), THIS_BOOT);
    }

    /**
     * The record in the run directory of {@code files}; empty if there is none: a directory of an earlier build, or
     * one whose QEMU was started as the daemon died.
     */
    static Optional<StartRecord> read(RunFiles files) throws HypervisorException {
        return RunFiles.read(files.started(), "QEMU start record", FORMAT,
                "is not one this daemon wrote (PID START-TIME BOOT-ID)", MAX_BYTES).map(StartRecord::of);
    }

    private static StartRecord of(Matcher record) {
        return new StartRecord(Long.parseLong(record.group(1)), Long.parseLong(record.group(2)), record.group(3));
    }

    /**
     * Writes this record in the run directory of {@code files}, whole or not at all: a temporary file, synced (a power
     * cut would otherwise leave a record of nothing, refused at the next re-attach), renamed over the record.
     */
    void write(RunFiles files) throws HypervisorException {
        Path record = files.started();
        try {
            Path temp = Files.createTempFile(files.dir(), "." + record.getFileName(), ".tmp");
            try {
                try (FileChannel out = FileChannel.open(temp, StandardOpenOption.WRITE)) {
                    ByteBuffer text = StandardCharsets.US_ASCII.encode(pid + " " + startTime + " " + boot + "\n");
                    while (text.hasRemaining()) {
                        out.write(text);
                    }
                    out.force(true);
                }
                Files.move(temp, record, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } finally {
                Files.deleteIfExists(temp);
            }
        } catch (IOException e) {
            throw new HypervisorException("cannot record QEMU process " + pid + " in " + record + ": " + e.getMessage(),
                    e);
        }
    }

    /**
     * Records {@code process}, the QEMU of domain {@code domain} found through the command line an earlier build gave
     * it, unless {@code files} holds a record: from the next restart on, it is found without that command line. A
     * record that cannot be written leaves it to be found as it was this time, and is said so.
     */
    static void recordFound(RunFiles files, QemuProcess process, String domain) {
        try {
            if (read(files).isEmpty()) {
                of(process).write(files);
            }
        } catch (HypervisorException e) {
            LOG.warn("QEMU of domain '{}' (pid {}) is found by its command line again at the next restart: {}", domain,
                    process.pid(), e.getMessage());
        }
    }

    /** Whether the recorded process still runs: alive, with the recorded start time, in this boot. */
    boolean isRunning() {
        return boot.equals(THIS_BOOT)
                && ProcStat.of(pid).filter(stat -> stat.isAlive() && stat.startTime() == startTime).isPresent();
    }

    /** The recorded process, if it still runs ({@link #isRunning}). */
    Optional<ProcessHandle> running() {
        return ProcessHandle.of(pid).filter(handle -> isRunning()); // its handle first, then the check
    }

    /** This boot's id; if the kernel does not say, one that matches itself alone (start times are checked still). */
    private static String bootId() {
        try {
            return Files.readString(Path.of("/proc/sys/kernel/random/boot_id"), StandardCharsets.US_ASCII).strip();
        } catch (IOException e) {
            return "unknown";
        }
    }
}
