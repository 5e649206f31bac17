package io.ferry.driver.qemu;

import io.ferry.api.hypervisor.HypervisorException;

/**
 * A QMP call that failed because QEMU ended after its guest shut down (it powered off, or QEMU was told to quit): Ferry
 * starts QEMU without {@code -no-shutdown}, so a guest's power-off ends its QEMU, as libvirt's
 * {@code <on_poweroff>destroy}. libvirt says the domain is not running; "QEMU exited during stop: ..." read as a crash.
 */
final class GuestShutDown extends HypervisorException {
    private static final long serialVersionUID = 1L;
    /** How long a QEMU whose monitor closed is given to end before it counts as there. */
    private static final long END_WAIT_MILLIS = 1_000;
    /**
     * How long a QEMU that announced SHUTDOWN is given to end: it exits once its clean-up is done, and with a migration
     * under way that clean-up cancels it and waits for its thread; on a loaded host that took longer than its monitor's
     * answer to query-migrate (10 s) and then longer than a second, and the power-off read as QEMU not answering.
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
     * killed or crashed.
     */
    static boolean happened(QemuProcess process, Qmp qmp) {
        boolean announced = qmp.events().stream().anyMatch(e -> "SHUTDOWN".equals(e.path("event").asText()));
        if (!announced && qmp.isOpen() || !process.awaitGone(announced ? ANNOUNCED_END_WAIT_MILLIS : END_WAIT_MILLIS)) {
            return false;
        }
        return process.exitedCleanly(END_WAIT_MILLIS).orElseGet(() -> qmp.announcedShutdown(0));
    }
}
