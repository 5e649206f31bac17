package io.ferry.driver.qemu;

import io.ferry.api.hypervisor.HypervisorException;
import java.nio.file.Path;

/**
 * The driver's settings ({@code etc/io.ferry.driver.qemu.cfg}, see {@link QemuHypervisor.Config}).
 *
 * @param emulator the QEMU binary of domains without {@code <emulator>}: a path, or a name looked up on PATH
 * @param firstPort first port of the range a destination listens on for a direct migration (libvirt's
 *        migration_port_min)
 * @param lastPort last port of that range (migration_port_max)
 * @param progressTimeoutMillis a migration whose transferred bytes do not grow for this long is cancelled
 * @param quitTimeoutMillis how long {@code destroy} lets QEMU quit before it kills it
 * @param commandTimeoutMillis the time limit of one QMP command
 * @param logDir where each VM's QEMU log goes ({@code NAME.log}, kept after the VM is gone)
 * @param ovsdb this host's OVSDB for openvswitch NICs ({@code unix:PATH}), or null for none
 */
record QemuSettings(String emulator, int firstPort, int lastPort, long progressTimeoutMillis, long quitTimeoutMillis,
        long commandTimeoutMillis, Path logDir, String ovsdb) {
    static final String DEFAULT_EMULATOR = "qemu-system-x86_64";
    static final String DEFAULT_PORTS = "49152-49215";

    /** Parses a port range {@code FIRST-LAST}. */
    static int[] ports(String range) throws HypervisorException {
        String[] parts = range.trim().split("-", 2);
        try {
            int first = Integer.parseInt(parts[0].trim());
            int last = parts.length == 1 ? first : Integer.parseInt(parts[1].trim());
            if (first >= 1 && first <= last && last <= 65535) {
                return new int[] {first, last};
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new HypervisorException("invalid migration port range '" + range + "': expected FIRST-LAST within 1-65535");
    }

    /** Parses a positive number of seconds, the setting named {@code what}. */
    static long seconds(String value, String what) throws HypervisorException {
        try {
            long seconds = Long.parseLong(value.trim());
            if (seconds > 0) {
                return seconds;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new HypervisorException("invalid " + what + " '" + value + "': expected a positive number of seconds");
    }
}
