package io.ferry.driver.qemu;

import io.ferry.api.hypervisor.HypervisorException;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

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
 * @param sharedPaths directories whose files count as shared storage whatever their file system ({@link SharedStorage})
 * @param user the user QEMU drops to once started, or null: it stays the daemon's user
 * @param arrivalMemoryOvercommit how many times the memory available the arrivals under way may take ({@link
 *        ArrivalRoom}): 1, none, to {@link #MAX_OVERCOMMIT}
 */
record QemuSettings(String emulator, int firstPort, int lastPort, long progressTimeoutMillis, long quitTimeoutMillis,
        long commandTimeoutMillis, Path logDir, String ovsdb, List<Path> sharedPaths, QemuUser user,
        double arrivalMemoryOvercommit) {
    static final String DEFAULT_EMULATOR = "qemu-system-x86_64";
    static final String DEFAULT_PORTS = "49152-49215";
    /** The longest time limit in milliseconds: a day. */
    static final long MAX_MILLIS = 86_400_000;
    /** The driver's configuration file, as errors name it. */
    static final String CFG = "etc/" + QemuHypervisor.PID + ".cfg";
    static final String OVERCOMMIT = "arrivalMemoryOvercommit";
    /**
     * The most arrivals may overcommit the memory available: past it an arrival's pages, not the check, would decide
     * whether the OOM killer takes other guests.
     */
    static final double MAX_OVERCOMMIT = 4;

    QemuSettings {
        sharedPaths = List.copyOf(sharedPaths);
    }

    /** Settings without shared paths, QEMU running as the daemon's user. */
    QemuSettings(String emulator, int firstPort, int lastPort, long progressTimeoutMillis, long quitTimeoutMillis,
            long commandTimeoutMillis, Path logDir, String ovsdb) {
        this(emulator, firstPort, lastPort, progressTimeoutMillis, quitTimeoutMillis, commandTimeoutMillis, logDir, ovsdb,
                List.of(), null, 1.0);
    }

    /** These settings with QEMU dropping to {@code qemuUser} (null: the daemon's user). */
    QemuSettings withUser(QemuUser qemuUser) {
        return new QemuSettings(emulator, firstPort, lastPort, progressTimeoutMillis, quitTimeoutMillis, commandTimeoutMillis,
                logDir, ovsdb, sharedPaths, qemuUser, arrivalMemoryOvercommit);
    }

    /** Parses {@code sharedPaths}: absolute directories, separated by commas; blank: none. */
    static List<Path> sharedPaths(String value) throws HypervisorException {
        List<Path> paths = new ArrayList<>();
        for (String item : value == null ? new String[0] : value.split(",")) {
            if (item.isBlank()) {
                continue;
            }
            Path path;
            try {
                path = Path.of(item.trim());
            } catch (InvalidPathException e) {
                throw new HypervisorException("invalid shared path '" + item.trim() + "': " + e.getReason());
            }
            if (!path.isAbsolute()) {
                throw new HypervisorException("invalid shared path '" + item.trim() + "': not an absolute path");
            }
            paths.add(path.normalize());
        }
        return paths;
    }

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

    /**
     * Parses a number of seconds, the setting named {@code what}: from 1 to 2147483647, as ferryd's flags take them, so
     * that its milliseconds fit in a long.
     */
    static long seconds(String value, String what) throws HypervisorException {
        try {
            long seconds = Long.parseLong(value.trim());
            if (seconds > 0 && seconds <= Integer.MAX_VALUE) {
                return seconds;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new HypervisorException("invalid " + what + " '" + value + "': expected a whole number of seconds from 1"
                + " to " + Integer.MAX_VALUE);
    }

    /**
     * Checks a time limit in milliseconds, the property {@code key} of {@code etc/io.ferry.driver.qemu.cfg}: from 1 ms
     * to a day. Less waits for nothing (destroy killed QEMU at once and found it still there; every QMP command timed
     * out at once); a day keeps the deadlines made from it (twice the quit timeout, nanoseconds) far from overflow,
     * which wrapped them into the past.
     */
    static long millis(long value, String key) throws HypervisorException {
        if (value >= 1 && value <= MAX_MILLIS) {
            return value;
        }
        throw new HypervisorException("invalid " + key + " '" + value + "' in " + CFG
                + ": expected a whole number of milliseconds from 1 to " + MAX_MILLIS + " (a day)");
    }

    /**
     * Parses {@code arrivalMemoryOvercommit}: a decimal ratio from 1 to {@link #MAX_OVERCOMMIT}, blank 1. Digits and a
     * point only: Double.parseDouble's NaN, Infinity and exponents would lift the bound or drop it unseen.
     */
    static double overcommit(String value) throws HypervisorException {
        if (value.isBlank()) {
            return 1;
        }
        if (value.strip().matches("[0-9]{1,3}(\\.[0-9]{1,6})?")) {
            double ratio = Double.parseDouble(value.strip());
            if (ratio >= 1 && ratio <= MAX_OVERCOMMIT) {
                return ratio;
            }
        }
        throw new HypervisorException("invalid " + OVERCOMMIT + " '" + value + "' in " + CFG + ": expected a decimal"
                + " ratio from 1 (arrivals take at most the memory available) to " + (long) MAX_OVERCOMMIT);
    }
}
