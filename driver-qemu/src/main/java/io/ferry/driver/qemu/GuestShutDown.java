package io.ferry.driver.qemu;

import io.ferry.api.hypervisor.HypervisorException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A QMP call that failed because QEMU ended after its guest shut down (it powered off, or QEMU was told to quit): Ferry
 * starts QEMU without {@code -no-shutdown}, so a guest's power-off ends its QEMU, as libvirt's
 * {@code <on_poweroff>destroy}. libvirt says the domain is not running; "QEMU exited during stop: ..." read as a crash.
 */
final class GuestShutDown extends HypervisorException {
    private static final long serialVersionUID = 1L;
    /** The VM's logger: operators' log settings name it. */
    private static final Logger LOG = LoggerFactory.getLogger(QemuVirtualMachine.class);
    /** How long a QEMU whose monitor closed is given to end before it counts as there. */
    private static final long END_WAIT_MILLIS = 1_000;
    /**
     * How long a QEMU that announced SHUTDOWN is given to end before it is killed: it exits once its clean-up is done,
     * and with a migration under way that clean-up cancels it and waits for its thread; on a loaded host that took
     * longer than its monitor's answer to query-migrate (10 s) and then longer than a second, and once (CI, 2026-12-03)
     * it never ended, answering nothing, until a destroy killed it.
     */
    static final long ANNOUNCED_END_WAIT_MILLIS = 30_000;
    private final String exited;

    GuestShutDown(String domain, HypervisorException exited) {
        super("domain '" + domain + "' is not running: its guest shut down (it powered off, or QEMU was told to quit),"
                + " and " + exited.getMessage(), exited);
        this.exited = exited.getMessage();
    }

    /** How the call failed: "QEMU exited during COMMAND: its last words". */
    String exited() {
        return exited;
    }

    /**
     * After a failed call: whether QEMU ended meanwhile by shutting down, told as {@link QemuVirtualMachine#onExit}
     * tells it. False while its monitor is open and it announced no SHUTDOWN (QEMU exits after one), and for a QEMU
     * killed or crashed. A QEMU that announced SHUTDOWN and is still there {@link #ANNOUNCED_END_WAIT_MILLIS} later is
     * killed, its end counted as the shutdown it announced, as libvirt kills the QEMU of a guest that shut down: the
     * guest is off, and a QEMU stuck in its clean-up would leave the domain neither running nor shut off for good.
     */
    static boolean happened(String domain, QemuProcess process, Qmp qmp) {
        return happened(domain, process, qmp, ANNOUNCED_END_WAIT_MILLIS);
    }

    /** {@link #happened(String, QemuProcess, Qmp)} with {@code announcedEndWaitMillis} in place of its wait. */
    static boolean happened(String domain, QemuProcess process, Qmp qmp, long announcedEndWaitMillis) {
        boolean announced = qmp.events().stream().anyMatch(e -> "SHUTDOWN".equals(e.path("event").asText()));
        if (!announced) {
            return !qmp.isOpen() && process.awaitGone(END_WAIT_MILLIS)
                    && process.exitedCleanly(END_WAIT_MILLIS).orElseGet(() -> qmp.announcedShutdown(0));
        }
        if (!process.awaitGone(announcedEndWaitMillis)) {
            LOG.warn("QEMU of domain '{}' (pid {}) announced its guest's shutdown and did not end within {} ms: killing"
                    + " it", domain, process.pid(), announcedEndWaitMillis);
            process.killAfterShutdown();
            if (!process.awaitGone(END_WAIT_MILLIS)) {
                return false; // it outlived SIGKILL: destroy tells of it
            }
        }
        return process.exitedCleanly(END_WAIT_MILLIS).orElse(true);
    }
}
