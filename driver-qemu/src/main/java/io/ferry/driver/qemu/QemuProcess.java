package io.ferry.driver.qemu;

import io.ferry.api.hypervisor.HypervisorException;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * One QEMU process, started by this daemon or found again through its pidfile. It runs in a session of its own
 * ({@code setsid}), so that it outlives the daemon and a terminal's signals to it. Nothing here waits for the
 * process to be reaped: a process counts as gone once {@code /proc} shows it dead or a zombie (a re-attached QEMU
 * is not our child, and init reaps it late). {@link QemuPidfile} finds one again after a restart.
 */
final class QemuProcess {
    /** The line {@link #writeHeader} writes before each start: the daemon's, never QEMU's last words. */
    private static final Pattern HEADER = Pattern.compile("\\d{4}-\\d{2}-\\d{2}T[0-9:.]+Z: starting ");
    private final long pid;
    private final Path log;
    /** Our child, or null for a re-attached process. */
    private final Process child;
    /**
     * A re-attached process as it was when found: the JDK's handle keeps its start time and neither calls it alive
     * nor kills it once the pid names another process (the QEMU exited on its own and its pid was reused). Null if
     * it had gone already.
     */
    private final ProcessHandle found;
    /** What {@link #kill} does: SIGKILL, or a test's stand-in for a process that outlives it. */
    private final Consumer<QemuProcess> killer;
    /** The write end of the pipe that is an incoming QEMU's standard input; null for a re-attached or other QEMU. */
    private final OutputStream stdin;
    /** Killed by {@link #killAfterShutdown}: its end counts as the clean exit its guest's shutdown would have been. */
    private volatile boolean killedAfterShutdown;

    private QemuProcess(long pid, Path log, Process child, OutputStream stdin) {
        this(pid, log, child, child != null ? null : ProcessHandle.of(pid).orElse(null), QemuProcess::sigkill, stdin);
    }

    private QemuProcess(long pid, Path log, Process child, ProcessHandle found, Consumer<QemuProcess> killer,
            OutputStream stdin) {
        this.pid = pid;
        this.log = log;
        this.child = child;
        this.found = found;
        this.killer = killer;
        this.stdin = stdin;
    }

    /**
     * This process with {@code killer} in place of SIGKILL: how a test holds a QEMU that outlives it (one in
     * uninterruptible sleep on hung storage), which no signal a test may send can make of a process.
     */
    QemuProcess killedBy(Consumer<QemuProcess> killer) {
        return new QemuProcess(pid, log, child, found, killer, stdin);
    }

    /**
     * Starts {@code argv} in the log's directory, reading nothing, with its stdout and stderr appended to {@code log}
     * ({@link QemuLog}).
     */
    static QemuProcess start(List<String> argv, Path log) throws HypervisorException {
        return start(argv, log, false, log.toAbsolutePath().getParent());
    }

    /**
     * {@link #start(List, Path)} in the working directory {@code dir}, the standard input of an {@code incoming}
     * process a pipe whose write end only this daemon holds ({@link #incomingPipe}): the JDK closes every other
     * descriptor in the programs it starts, so no other QEMU inherits it. QEMU opens a relative name from {@code dir},
     * as root until it drops to its user: its VM's run directory, never the daemon's own (/ under systemd).
     */
    static QemuProcess start(List<String> argv, Path log, boolean incoming, Path dir) throws HypervisorException {
        try {
            writeHeader(log, argv);
            List<String> command = new ArrayList<>();
            command.add("setsid");
            command.addAll(argv);
            Process process = new ProcessBuilder(command)
                    .directory(dir.toFile())
                    .redirectInput(incoming ? ProcessBuilder.Redirect.PIPE
                            : ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .start();
            return new QemuProcess(process.pid(), log, process, incoming ? process.getOutputStream() : null);
        } catch (IOException e) {
            throw new HypervisorException("cannot start " + argv.get(0) + ": " + e.getMessage(), e);
        }
    }

    /**
     * Rotates the log if full and notes the start in it; fails naming the log (a full disk's write errors name no
     * file): QEMU's last words, quoted in errors, would be lost.
     */
    private static void writeHeader(Path log, List<String> argv) throws HypervisorException {
        try {
            Files.createDirectories(log.getParent());
            QemuLog.rotateIfFull(log);
            Files.writeString(log, Instant.now() + ": starting " + String.join(" ", argv) + "\n", StandardCharsets.UTF_8,
                    java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new HypervisorException("cannot write QEMU's log " + log + ": " + e.getMessage(), e);
        }
    }

    /** A process this daemon did not start, found running with pid {@code pid} ({@link QemuPidfile#find}). */
    static QemuProcess attached(long pid, Path log) {
        return new QemuProcess(pid, log, null, null);
    }

    /**
     * The pipe to the standard input of an incoming process this daemon started; empty for any other (a re-attached
     * QEMU's pipe closed with the daemon that started it).
     */
    Optional<OutputStream> incomingPipe() {
        return Optional.ofNullable(stdin);
    }

    /** Closes the pipe to an incoming process's standard input, if any: its VM does not read its memory there. */
    void closeIncomingPipe() {
        if (stdin != null) {
            try {
                stdin.close();
            } catch (IOException e) {
                // the process went: its pipe is closed anyway
            }
        }
    }

    /** Runs {@code action} once the process has ended (at once if it had when found), on a thread of the JDK's. */
    void onExit(Runnable action) {
        ProcessHandle handle = child != null ? child.toHandle() : found;
        if (handle == null) {
            action.run();
        } else {
            handle.onExit().thenRun(action);
        }
    }

    /**
     * Once our child has ended: whether it exited as QEMU does after an orderly shutdown (status 0: the guest powered
     * off, or QEMU was told to quit or got SIGTERM), not killed by a signal or failing; a {@link #killAfterShutdown}
     * counts as such an exit. Empty for a re-attached process, whose status only init sees.
     */
    Optional<Boolean> exitedCleanly() {
        if (child == null || child.isAlive()) {
            return Optional.empty();
        }
        return Optional.of(killedAfterShutdown || child.exitValue() == 0);
    }

    /** {@link #exitedCleanly()}, once our child is reaped, waiting at most {@code millis} for that. */
    Optional<Boolean> exitedCleanly(long millis) {
        try {
            if (child != null) {
                child.waitFor(millis, TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return exitedCleanly();
    }

    long pid() {
        return pid;
    }

    Path log() {
        return log;
    }

    /** Running (or stopped by a signal), not dead nor a zombie. */
    boolean isAlive() {
        if (child != null && !child.isAlive() || child == null && (found == null || !found.isAlive())) {
            return false;
        }
        return ProcStat.of(pid).filter(ProcStat::isAlive).isPresent();
    }

    /**
     * The kernel's start time of this process ({@link ProcStat#startTime}), which no process can change: read, then
     * the process found alive, so that its pid was not yet another process's when read (our child is not reaped, a
     * re-attached one's handle knows its start time).
     */
    long startTime() throws HypervisorException {
        Optional<ProcStat> stat = ProcStat.of(pid);
        if (stat.isEmpty() || !isAlive()) {
            throw new HypervisorException("QEMU process " + pid + " has ended: " + lastLogLine());
        }
        return stat.get().startTime();
    }

    /** SIGKILL; does not wait. Never a process that merely reused a re-attached QEMU's pid. */
    void kill() {
        killer.accept(this);
    }

    /** {@link #kill} of a QEMU whose guest shut down and which did not end by itself. */
    void killAfterShutdown() {
        killedAfterShutdown = true;
        kill();
    }

    private static void sigkill(QemuProcess process) {
        if (process.child != null) {
            process.child.destroyForcibly();
        } else if (process.found != null) {
            process.found.destroyForcibly();
        }
    }

    /** Waits at most {@code millis} for the process to be gone (dead or a zombie); true if it is. */
    boolean awaitGone(long millis) {
        long deadline = System.nanoTime() + millis * 1_000_000;
        while (isAlive()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return !isAlive();
            }
        }
        return true;
    }

    /**
     * The last line of the log, for errors: what QEMU said before it went. A hint QEMU adds on lines of their own
     * ("Use -machine help …") comes with the message line it belongs to.
     */
    String lastLogLine() {
        return lastLine(log);
    }

    static String lastLine(Path log) {
        try (RandomAccessFile file = new RandomAccessFile(log.toFile(), "r")) {
            long length = file.length();
            int size = (int) Math.min(length, 8192);
            byte[] tail = new byte[size];
            file.seek(length - size);
            file.readFully(tail);
            String[] lines = new String(tail, StandardCharsets.UTF_8).split("\n");
            String message = "";
            for (int i = lines.length - 1, taken = 0; i >= 0 && taken < 4; i--) {
                if (lines[i].isBlank()) {
                    continue;
                }
                if (HEADER.matcher(lines[i]).lookingAt()) {
                    if (message.isEmpty()) {
                        return "(it wrote nothing to its log " + log + " since it started)";
                    }
                    break; // the daemon's line before QEMU's, not QEMU's words
                }
                message = message.isEmpty() ? lines[i].strip() : lines[i].strip() + " " + message;
                taken++;
                if (lines[i].contains("qemu") || lines[i].contains(": ")) {
                    break; // the message line (QEMU prefixes it with its name); hints follow it
                }
            }
            return message.isEmpty() ? "(its log " + log + " is empty)" : UntrustedText.of(message);
        } catch (IOException e) {
            return "(no log at " + log + ")";
        }
    }
}
