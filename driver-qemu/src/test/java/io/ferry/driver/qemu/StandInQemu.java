package io.ferry.driver.qemu;

import static org.junit.Assert.assertTrue;

import io.ferry.api.hypervisor.HypervisorException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A stand-in for a VM's QEMU: perl, started as the driver starts QEMU ({@link QemuProcess#start}), with the VM's
 * command line ({@code -uuid UUID -pidfile PIDFILE}) as its arguments; one that plays a QEMU a guest took over
 * overwrites its argv, which is memory of its own, a second after it started (perl's {@code $0}).
 */
final class StandInQemu {
    private StandInQemu() {
    }

    /** A stand-in whose command line stays the VM's. */
    static QemuProcess start(RunFiles files, String uuid, Path log) throws HypervisorException {
        return start(files, uuid, log, "sleep 600");
    }

    /** A stand-in that drops the VM's command line for {@code x}; {@link #awaitRewritten} waits for that. */
    static QemuProcess rewritingItsCommandLine(RunFiles files, String uuid, Path log) throws HypervisorException {
        return start(files, uuid, log, "sleep 1; $0 = 'x'; sleep 600");
    }

    private static QemuProcess start(RunFiles files, String uuid, Path log, String script) throws HypervisorException {
        return QemuProcess.start(
                List.of("perl", "-e", script, "--", "-uuid", uuid, "-pidfile", files.pidfile().toString()), log);
    }

    /**
     * A run directory whose QEMU has ended: a stand-in recorded in {@code files} as the driver records the QEMU it
     * starts ({@link StartRecord}), then killed.
     */
    static void recordedAndEnded(RunFiles files, String uuid, Path log) throws HypervisorException {
        QemuProcess ended = start(files, uuid, log);
        StartRecord.of(ended).write(files);
        ended.kill();
        assertTrue("process " + ended.pid() + " outlived SIGKILL", ended.awaitGone(10_000));
    }

    /** Waits until {@code standIn}'s command line is no longer the VM's but {@code x} alone. */
    static void awaitRewritten(QemuProcess standIn) throws Exception {
        Path cmdline = Path.of("/proc", Long.toString(standIn.pid()), "cmdline");
        assertTrue("process " + standIn.pid() + " never rewrote its command line",
                Guests.eventually(() -> Files.readString(cmdline).equals("x\0")));
    }
}
