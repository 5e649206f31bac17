package io.ferry.e2e;

import static org.junit.Assert.assertTrue;

import io.ferry.launcher.QemuMonitor;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A QEMU domain ({@code <domain type='qemu'>}) that boots the test guest, which the build makes from driver-qemu's
 * src/guest and the distribution ships: it dirties {@code workingSet} of its RAM ("0": idle) and keeps a status
 * block the tests read. Its emulator is a wrapper of {@code qemu-system-x86_64} that adds the test's monitor
 * ({@link QemuMonitor#wrapper}), or whatever binary a test wants instead.
 */
record QemuGuest(String name, UUID uuid, int memoryMiB, String workingSet, String devices, Path emulator) {
    static final String QEMU = "qemu-system-x86_64";
    /** The bound of every wait on a QEMU, as {@link Poll}'s. */
    static final long WAIT_MILLIS = 60_000;
    /**
     * The machine QEMU's alias {@code pc} stands for here, which the guests name: a running guest's live definition names
     * it, and a definition given with {@code migrate --xml} must name the machine the guest runs.
     */
    static final String MACHINE = machineOfAlias("pc");

    /** 64 MiB, 16 MiB of it dirtied without pause: pre-copy needs passes until the downtime limit lets it end. */
    static QemuGuest dirtying(String name, Path emulator) {
        return new QemuGuest(name, UUID.randomUUID(), 64, "16M", "", emulator);
    }

    /** 32 MiB, halted after boot: nothing changes its memory, and it costs no CPU. */
    static QemuGuest idle(String name, Path emulator) {
        return new QemuGuest(name, UUID.randomUUID(), 32, "0", "", emulator);
    }

    /** An interface that is a port of the bridge br0 in the host's OVSDB, its tap named {@code tap}. */
    static String openvswitchNic(String tap) {
        return "    <interface type='bridge'><mac address='52:54:00:12:34:58'/><source bridge='br0'/>"
                + "<virtualport type='openvswitch'/><target dev='" + tap + "'/><model type='virtio'/></interface>\n";
    }

    QemuGuest withDevices(String more) {
        return new QemuGuest(name, uuid, memoryMiB, workingSet, devices + more, emulator);
    }

    QemuGuest withEmulator(Path binary) {
        return new QemuGuest(name, uuid, memoryMiB, workingSet, devices, binary);
    }

    boolean dirtying() {
        return !workingSet.equals("0");
    }

    long ramBytes() {
        return (long) memoryMiB << 20;
    }

    /** The guest kernel as the distribution ships it; a missing one fails the test (gcc -m32 missing at build). */
    static Path kernel() {
        Path kernel = Path.of(System.getProperty("ferry.guest.kernel")).toAbsolutePath();
        assertTrue("the test guest " + kernel + " was not built and shipped (gcc -m32 and ld -m elf_i386 are needed: "
                + ".ci/install-qemu)", Files.isRegularFile(kernel));
        return kernel;
    }

    /** What {@code qemu-system-x86_64 -machine help} says {@code alias} stands for ("pc ... (alias of pc-i440fx-10.0)"). */
    static String machineOfAlias(String alias) {
        try {
            Process help = new ProcessBuilder(QEMU, "-machine", "help").redirectErrorStream(true).start();
            String out = new String(help.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            Matcher line = Pattern.compile("(?m)^" + Pattern.quote(alias) + "\\s.*\\(alias of ([^)]+)\\)").matcher(out);
            assertTrue(QEMU + " -machine help names no alias " + alias + ":\n" + out, help.waitFor() == 0 && line.find());
            return line.group(1);
        } catch (IOException | InterruptedException e) {
            throw new AssertionError(QEMU + " -machine help: " + e, e);
        }
    }

    String xml() {
        return "<domain type='qemu'>\n  <name>" + name + "</name>\n  <uuid>" + uuid + "</uuid>\n"
                + "  <memory unit='MiB'>" + memoryMiB + "</memory>\n  <vcpu>1</vcpu>\n"
                + "  <os>\n    <type arch='x86_64' machine='" + MACHINE + "'>hvm</type>\n    <kernel>" + kernel() + "</kernel>\n"
                + "    <cmdline>working-set=" + workingSet + "</cmdline>\n  </os>\n"
                + "  <devices>\n    <emulator>" + emulator + "</emulator>\n" + devices + "  </devices>\n</domain>\n";
    }

    Path file() throws IOException {
        return Installation.file(name, ".xml", xml());
    }

    /** Where the driver keeps this VM's sockets on {@code host} (the core's run/UUID). */
    Path runDir(DaemonProcess host) {
        return host.stateDir.resolve("run").resolve(uuid.toString());
    }

    /** The test's monitor of this guest's QEMU on {@code host} (its emulator is {@link QemuMonitor#wrapper}). */
    QemuMonitor monitor(DaemonProcess host) throws Exception {
        return QemuMonitor.connect(runDir(host).resolve(QemuMonitor.SOCKET), WAIT_MILLIS);
    }

    /** Defines the guest on {@code host} and starts it; returns the test's monitor of it, the guest booted. */
    QemuMonitor start(DaemonProcess host) throws Exception {
        host.ferryOk("define", file().toString());
        host.ferryOk("start", name);
        QemuMonitor monitor = monitor(host);
        monitor.awaitBooted(dirtying(), Installation.work());
        return monitor;
    }
}
