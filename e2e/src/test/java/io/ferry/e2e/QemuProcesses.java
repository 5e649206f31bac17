package io.ferry.e2e;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;

/** The QEMU processes on this machine, as {@code /proc} shows them (a zombie's command line is empty: not counted). */
final class QemuProcesses {
    private QemuProcesses() {
    }

    /** One QEMU process: its pid and command line (arguments joined by spaces). */
    record Qemu(long pid, String commandLine) {
    }

    /** Every QEMU running for the domain {@code uuid} (its {@code -uuid}). */
    static List<Qemu> of(UUID uuid) {
        return all().stream().filter(q -> q.commandLine().contains(" -uuid " + uuid + " ")).toList();
    }

    /** Those of {@code uuid} whose run files are under {@code dir} (a daemon's state directory). */
    static List<Qemu> of(UUID uuid, Path dir) {
        return of(uuid).stream().filter(q -> q.commandLine().contains(dir.toString())).toList();
    }

    static List<Qemu> all() {
        List<Qemu> found = new ArrayList<>();
        try (Stream<Path> entries = Files.list(Path.of("/proc"))) {
            for (Path entry : entries.filter(p -> p.getFileName().toString().matches("[0-9]+")).toList()) {
                try {
                    String commandLine = new String(Files.readAllBytes(entry.resolve("cmdline")), StandardCharsets.UTF_8)
                            .replace('\0', ' ');
                    if (commandLine.startsWith(QemuGuest.QEMU + " ") || commandLine.contains("/" + QemuGuest.QEMU + " ")) {
                        found.add(new Qemu(Long.parseLong(entry.getFileName().toString()), commandLine));
                    }
                } catch (IOException e) {
                    // gone meanwhile
                }
            }
        } catch (IOException e) {
            throw new AssertionError("cannot list /proc: " + e.getMessage(), e);
        }
        return found;
    }

    /** The one QEMU of {@code uuid} under {@code dir}; fails unless there is exactly one. */
    static Qemu theOne(UUID uuid, Path dir) {
        List<Qemu> found = of(uuid, dir);
        if (found.size() != 1) {
            throw new AssertionError("expected one QEMU of " + uuid + " under " + dir + ", found " + found);
        }
        return found.get(0);
    }

    /** Sends {@code signal} (STOP, SEGV, KILL…) to a process. */
    static void signal(long pid, String signal) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).inheritIO().start();
        if (kill.waitFor() != 0) {
            throw new AssertionError("kill -" + signal + " " + pid + " failed");
        }
    }

    /** Kills every QEMU whose run files are under {@code dir}: what a test leaves behind goes with it. */
    static void killUnder(Path dir) {
        for (Qemu qemu : all()) {
            if (qemu.commandLine().contains(dir.toString())) {
                ProcessHandle.of(qemu.pid()).ifPresent(ProcessHandle::destroyForcibly);
            }
        }
    }
}
