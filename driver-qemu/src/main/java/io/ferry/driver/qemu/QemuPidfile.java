package io.ferry.driver.qemu;

import io.ferry.api.hypervisor.HypervisorException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A VM's QEMU found again when the daemon restarts ({@link QemuDriver#reattach}): through the daemon's record of the
 * process it started ({@link StartRecord}), which a guest that took QEMU over cannot forge; in a run directory without
 * one (an earlier build's), through its pidfile, the pid taken only if its process carries the VM's command line, and
 * a QEMU of the VM that the pidfile does not name is not taken for gone.
 */
final class QemuPidfile {
    private static final int MAX_PIDFILE_BYTES = 32;
    private static final Pattern PID = Pattern.compile("[0-9]{1,18}");

    private QemuPidfile() {
    }

    /**
     * The QEMU of the VM with {@code uuid} in the run directory of {@code files}, if it still runs. Where the daemon
     * recorded the QEMU it started, that process, if alive with its recorded start time, whatever its command line (a
     * guest that took QEMU over may rewrite it): it is never taken for gone, and no other process is taken for it.
     * Without a record, the QEMU whose pid the pidfile holds, if its command line is the one this driver gave it
     * ({@code -uuid UUID}, {@code -pidfile PIDFILE}): a pid reused by another process, or one a hostile QEMU wrote
     * there, is not it.
     */
    static Optional<QemuProcess> find(RunFiles files, String uuid, Path log) throws HypervisorException {
        Optional<StartRecord> started = StartRecord.read(files);
        if (started.isPresent()) {
            QemuProcess process = QemuProcess.attached(started.get().pid(), log); // its handle first, then the check
            return started.get().isRunning() ? Optional.of(process) : Optional.empty();
        }
        Path pidfile = files.pidfile();
        long pid = readPid(pidfile);
        QemuProcess process = pid < 0 ? null : QemuProcess.attached(pid, log);
        if (process == null || pid <= 1 || pid == ProcessHandle.current().pid() || !process.isAlive()
                || !isThisVms(commandLine(pid), uuid, pidfile)) {
            refuseIfStillRunning(pidfile, uuid);
            return Optional.empty();
        }
        return Optional.of(process);
    }

    /**
     * A pidfile deleted (an operator cleaning up) or naming another pid while the VM's QEMU runs on must not have it
     * taken for gone: its run files would be deleted and its disk leases given back while the guest runs. So, in a run
     * directory without the daemon's record, a live process with this VM's command line is looked for; found, the
     * re-attach fails, naming it.
     */
    private static void refuseIfStillRunning(Path pidfile, String uuid) throws HypervisorException {
        Optional<ProcessHandle> running = runningWith(pidfile, uuid);
        if (running.isPresent()) {
            throw new HypervisorException("QEMU pidfile " + pidfile + " does not name a QEMU of this VM, but process "
                    + running.get().pid() + " runs with its command line (-uuid " + uuid + "): write its pid into the"
                    + " pidfile and restart the daemon to re-attach it, or stop it");
        }
    }

    /**
     * A live process with this VM's command line ({@code -uuid UUID}, {@code -pidfile PIDFILE}), if there is one: a
     * QEMU of the VM in a run directory without the daemon's record, or any process that copied that command line.
     */
    static Optional<ProcessHandle> runningWith(Path pidfile, String uuid) {
        long self = ProcessHandle.current().pid();
        return ProcessHandle.allProcesses()
                .filter(p -> p.pid() != self && p.isAlive() && isThisVms(commandLine(p.pid()), uuid, pidfile)).findFirst();
    }

    private static boolean isThisVms(List<String> argv, String uuid, Path pidfile) {
        return hasOption(argv, "-uuid", uuid) && hasOption(argv, "-pidfile", pidfile.toString());
    }

    /** The pid in {@code pidfile}; -1 if there is none. */
    private static long readPid(Path pidfile) throws HypervisorException {
        return RunFiles.read(pidfile, "QEMU pidfile", PID, "holds no pid", MAX_PIDFILE_BYTES)
                .map(pid -> Long.parseLong(pid.group())).orElse(-1L);
    }

    private static boolean hasOption(List<String> argv, String option, String value) {
        for (int i = 0; i + 1 < argv.size(); i++) {
            if (argv.get(i).equals(option) && argv.get(i + 1).equals(value)) {
                return true;
            }
        }
        return false;
    }

    /** The command line of process {@code pid}; empty if it cannot be read (gone, another user's hidden /proc). */
    private static List<String> commandLine(long pid) {
        try {
            return List.of(new String(Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline")),
                    StandardCharsets.UTF_8).split("\0"));
        } catch (IOException e) {
            return List.of();
        }
    }
}
