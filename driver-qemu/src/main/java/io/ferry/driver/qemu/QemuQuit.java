package io.ferry.driver.qemu;

import io.ferry.api.hypervisor.HypervisorException;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How {@link QemuVirtualMachine#destroy} ends a QEMU: {@code quit}, then SIGKILL after the quit timeout, then another
 * quit timeout for the process to die, as libvirt's {@code virProcessKillPainfully} waits after SIGTERM and SIGKILL.
 */
final class QemuQuit {
    /** The VM's logger: operators' log settings name it. */
    private static final Logger LOG = LoggerFactory.getLogger(QemuVirtualMachine.class);

    private final String domain;
    private final QemuProcess process;
    private final Qmp qmp;
    private final QemuSettings settings;
    private final Executor exits;

    /** @param exits where the QEMU of a guest that migrated away is waited out */
    QemuQuit(String domain, QemuProcess process, Qmp qmp, QemuSettings settings, Executor exits) {
        this.domain = domain;
        this.process = process;
        this.qmp = qmp;
        this.settings = settings;
        this.exits = exits;
    }

    /** How a {@link #run} ended. */
    enum Outcome {
        /** The process is gone. */
        GONE,
        /** Its guest had migrated away: the process is waited out on the executor, which then runs the clean-up. */
        ENDING,
        /** It outlived SIGKILL by a quit timeout. */
        NOT_DEAD
    }

    /**
     * Asks QEMU to quit and waits for it, killing it after the quit timeout. The QEMU of a guest that migrated away
     * ({@code postmigrate}, or {@code finish-migrate} with its migration {@code completed}) is waited out on
     * {@code exits}, which runs {@code whenEnded} once it is gone (or given up): until then its run files are still its
     * own, since on its way out QEMU unlinks its pidfile and QMP socket by their paths, which a QEMU of the guest back
     * in the same run directory would have.
     */
    Outcome run(Runnable whenEnded) {
        boolean migratedAway = false;
        try {
            long limit = Math.min(settings.commandTimeoutMillis(), settings.quitTimeoutMillis());
            String runState = qmp.execute("query-status", null, limit).path("status").asText();
            migratedAway = "postmigrate".equals(runState) || "finish-migrate".equals(runState) && completed(limit);
            qmp.execute("quit", null, limit);
        } catch (HypervisorException e) {
            // no answer to query-status or query-migrate: waited for and killed below; none to quit: it may have gone at once
        }
        if (!migratedAway) {
            return awaitExit() ? Outcome.GONE : Outcome.NOT_DEAD;
        }
        exits.execute(() -> {
            try {
                if (!awaitExit()) { // its block devices were handed over at the switch-over: it writes no disk of the guest
                    LOG.error("{}; its guest had migrated away", notDead());
                }
            } finally {
                whenEnded.run();
            }
        });
        return Outcome.ENDING;
    }

    /**
     * A Confirm may come in the moment between QEMU's {@code completed} and its run state's {@code postmigrate}
     * ({@code finish-migrate} until then): the block devices were handed over at {@code completed}.
     */
    private boolean completed(long limit) throws HypervisorException {
        return "completed".equals(qmp.execute("query-migrate", null, limit).path("status").asText());
    }

    /**
     * Waits for the process to exit after {@code quit}, and kills it if it has not within the quit timeout; false if
     * it is still there a quit timeout after that.
     */
    private boolean awaitExit() {
        if (process.awaitGone(settings.quitTimeoutMillis())) {
            return true;
        }
        LOG.warn("QEMU of domain '{}' (pid {}) did not quit within {} ms: killing it",
                domain, process.pid(), settings.quitTimeoutMillis());
        process.kill();
        return process.awaitGone(settings.quitTimeoutMillis());
    }

    String notDead() {
        return "QEMU of domain '" + domain + "' (pid " + process.pid() + ") did not die after SIGKILL within "
                + settings.quitTimeoutMillis() + " ms";
    }
}
