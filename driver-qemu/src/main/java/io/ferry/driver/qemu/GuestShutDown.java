package io.ferry.driver.qemu;

import io.ferry.api.hypervisor.HypervisorException;

/**
 * A QMP call that failed because QEMU ended after its guest shut down (it powered off, or QEMU was told to quit): Ferry
 * starts QEMU without {@code -no-shutdown}, so a guest's power-off ends its QEMU, as libvirt's
 * {@code <on_poweroff>destroy}. libvirt says the domain is not running; "QEMU exited during stop: ..." read as a crash.
 */
final class GuestShutDown extends HypervisorException {
    private static final long serialVersionUID = 1L;
    /** How long a QEMU whose monitor closed (or that announced SHUTDOWN) is given to end before it counts as there. */
    private static final long END_WAIT_MILLIS = 1_000;
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
        boolean ending = !qmp.isOpen() || qmp.events().stream().anyMatch(e -> "SHUTDOWN".equals(e.path("event").asText()));
        if (!ending || !process.awaitGone(END_WAIT_MILLIS)) {
            return false;
        }
        return process.exitedCleanly(END_WAIT_MILLIS).orElseGet(() -> qmp.announcedShutdown(0));
    }
}
