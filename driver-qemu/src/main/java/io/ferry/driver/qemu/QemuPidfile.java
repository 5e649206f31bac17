package io.ferry.driver.qemu;

import io.ferry.api.hypervisor.HypervisorException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * A VM's QEMU found again through its pidfile when the daemon restarts ({@link QemuDriver#reattach}): the pid is taken
 * only if its process carries the VM's command line, and a QEMU of the VM that the pidfile does not name is not taken
 * for gone.
 */
final class QemuPidfile {
    private static final int MAX_PIDFILE_BYTES = 32;

    private QemuPidfile() {
    }

    /**
     * The QEMU whose pid {@code pidfile} holds, if it still runs and its command line is the one this driver gave it
     * ({@code -uuid UUID}, {@code -pidfile PIDFILE}): a pid reused by another process, or one a hostile QEMU wrote
     * there, is not it. The pidfile is QEMU's writing: read only if a regular file, and at most a few bytes of it.
     */
    static Optional<QemuProcess> find(Path pidfile, String uuid, Path log) throws HypervisorException {
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
     * taken for gone: its run files would be deleted and its disk leases given back while the guest runs. So a live
     * process with this VM's command line is looked for; found, the re-attach fails, naming it.
     */
    private static void refuseIfStillRunning(Path pidfile, String uuid) throws HypervisorException {
        Optional<ProcessHandle> running = runningWith(pidfile, uuid);
        if (running.isPresent()) {
            throw new HypervisorException("QEMU pidfile " + pidfile + " does not name a QEMU of this VM, but process "
                    + running.get().pid() + " runs with its command line (-uuid " + uuid + "): write its pid into the"
                    + " pidfile and restart the daemon to re-attach it, or stop it");
        }
    }

    /** A live process with this VM's command line ({@code -uuid UUID}, {@code -pidfile PIDFILE}), if there is one. */
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
        if (!Files.isRegularFile(pidfile, LinkOption.NOFOLLOW_LINKS)) { // a FIFO would block, /dev/zero never end
            if (!Files.exists(pidfile, LinkOption.NOFOLLOW_LINKS)) {
                return -1;
            }
            throw new HypervisorException("QEMU pidfile " + pidfile + " is not a regular file");
        }
        byte[] head;
        try (InputStream in = Files.newInputStream(pidfile, LinkOption.NOFOLLOW_LINKS)) {
            head = in.readNBytes(MAX_PIDFILE_BYTES + 1);
        } catch (NoSuchFileException e) {
            return -1;
        } catch (IOException e) {
            throw new HypervisorException("unreadable QEMU pidfile " + pidfile + ": " + e.getMessage(), e);
        }
        String text = new String(head, StandardCharsets.US_ASCII).trim();
        if (head.length > MAX_PIDFILE_BYTES || !text.matches("[0-9]{1,18}")) {
            throw new HypervisorException("QEMU pidfile " + pidfile + " holds no pid: '"
                    + text.substring(0, Math.min(text.length(), MAX_PIDFILE_BYTES)).replaceAll("[^ -~]", "?") + "'");
        }
        return Long.parseLong(text);
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
