package io.ferry.cli;

import io.ferry.launcher.FerryHome;
import io.ferry.launcher.LocalDaemon;
import io.ferry.launcher.QemuMonitor;
import io.ferry.protocol.DomainMessages.Domain;
import io.ferry.protocol.DomainMessages.Job;
import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * {@code ferry demo --qemu}'s guest: a real QEMU guest (the test guest the build made, which dirties 16 of its 64
 * MiB) with a leased disk, a NIC, SPICE graphics and two snapshots. The demo looks at it through a QMP monitor of
 * its own ({@link QemuMonitor#wrapper}): between Perform and Finish, when the source is paused and the destination
 * has the memory but has not resumed, it compares both RAMs byte for byte; after Finish, the guest's write counter
 * must grow on the destination.
 */
final class QemuDemoGuest implements DemoCommand.Guest {
    private static final String NAME = "demo-qemu";
    private static final String UUID = "8f0b4c1e-2a53-4f6e-9d3a-5b2c7e1a9f11";
    private static final int MEMORY_MIB = 64;
    private static final long WAIT_MILLIS = 60_000;

    private final Path kernel;
    private Path work;
    private QemuMonitor source;
    private QemuMonitor destination;
    /** What was seen between Perform and Finish: the RAMs equal, and the write counter then; -1 before. */
    private boolean sameRam;
    private long writesAtSwitchOver = -1;

    private QemuDemoGuest(Path kernel) {
        this.kernel = kernel;
    }

    /** The QEMU demo's guest, if this machine has what it needs; otherwise says what is missing. */
    static QemuDemoGuest check(FerryHome home) throws CliException {
        Path kernel = home.root().resolve("share/guest/ferry-guest.elf");
        if (!Files.isRegularFile(kernel)) {
            throw new CliException("demo --qemu needs the test guest " + kernel + ", which the build makes with gcc -m32 and"
                    + " ld -m elf_i386: install them (Debian: gcc-multilib binutils) and build again");
        }
        String path = System.getenv().getOrDefault("PATH", "");
        boolean qemu = Arrays.stream(path.split(File.pathSeparator)).filter(dir -> !dir.isEmpty())
                .map(dir -> Path.of(dir, "qemu-system-x86_64")).anyMatch(Files::isExecutable);
        if (!qemu) {
            throw new CliException("demo --qemu needs qemu-system-x86_64 (QEMU >= 9.1, with its SPICE module) on the PATH:"
                    + " install QEMU (see docs/qemu.md)");
        }
        return new QemuDemoGuest(kernel);
    }

    @Override
    public String name() {
        return NAME;
    }

    /** Its disk is a file of the demo's work directory, on this machine's own file system: host-b sees it, as one machine. */
    @Override
    public boolean localDisk() {
        return true;
    }

    @Override
    public String start(DaemonChannel host, LocalDaemon daemon, Path work) throws CliException {
        this.work = work;
        try {
            Path disk = work.resolve(NAME + ".img");
            try (RandomAccessFile image = new RandomAccessFile(disk.toFile(), "rw")) {
                image.setLength(1 << 20);
            }
            byte[] definition = xml(QemuMonitor.wrapper(work), disk).getBytes(StandardCharsets.UTF_8);
            host.call(d -> d.define(definition));
            host.call(d -> {
                d.start(NAME);
                return null;
            });
            SimDemoGuest.snapshots(host, NAME);
            source = monitor(daemon);
            QemuMonitor.GuestStatus booted = source.awaitBooted(true, work);
            return NAME + " (a QEMU guest of " + MEMORY_MIB + " MiB dirtying 16 MiB of it, a leased disk, a NIC, SPICE"
                    + " graphics, two snapshots) runs on host-a: its write counter is at " + booted.writes();
        } catch (IOException e) {
            throw new CliException("the QEMU demo guest did not start: " + e.getMessage());
        }
    }

    private String xml(Path emulator, Path disk) {
        return "<domain type='qemu'>\n  <name>" + NAME + "</name>\n  <uuid>" + UUID + "</uuid>\n"
                + "  <memory unit='MiB'>" + MEMORY_MIB + "</memory>\n  <vcpu>1</vcpu>\n"
                + "  <os>\n    <type arch='x86_64' machine='pc'>hvm</type>\n    <kernel>" + kernel + "</kernel>\n"
                + "    <cmdline>working-set=16M</cmdline>\n  </os>\n  <devices>\n    <emulator>" + emulator + "</emulator>\n"
                + "    <disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='" + disk + "'/>"
                + "<target dev='vda' bus='virtio'/></disk>\n"
                + "    <interface type='user'><mac address='52:54:00:12:34:57'/><model type='virtio'/></interface>\n"
                + "    <graphics type='spice' autoport='yes' listen='127.0.0.1'/>\n  </devices>\n</domain>\n";
    }

    private static QemuMonitor monitor(LocalDaemon daemon) throws IOException {
        return QemuMonitor.connect(daemon.stateDir().resolve("run").resolve(UUID).resolve(QemuMonitor.SOCKET), WAIT_MILLIS);
    }

    @Override
    public String afterPerform(LocalDaemon destinationDaemon) {
        try {
            destination = monitor(destinationDaemon);
            destination.await("host-b's QEMU to load the memory", () -> destination.migrationStatus().equals("completed"));
            String states = "host-a " + source.runState() + ", host-b " + destination.runState();
            long ram = (long) MEMORY_MIB << 20;
            sameRam = Arrays.equals(source.pmemsave(0, ram, work), destination.pmemsave(0, ram, work));
            writesAtSwitchOver = destination.guestStatus(work).writes();
            return "Between Perform and Finish, both QEMUs paused (" + states + "): their " + MEMORY_MIB + " MiB of RAM "
                    + (sameRam ? "are equal, byte for byte" : "DIFFER") + "; the guest's write counter stands at "
                    + writesAtSwitchOver;
        } catch (IOException e) {
            return "Between Perform and Finish, the RAMs could not be compared: " + e.getMessage();
        }
    }

    @Override
    public boolean verify(DaemonChannel host, Job job, PrintStream out) throws CliException {
        Domain info = host.call(d -> d.domain(NAME));
        out.println(NAME + " on host-b: " + info.state() + " (" + info.reason() + ")");
        boolean runsOn = false;
        if (destination != null && writesAtSwitchOver >= 0) {
            try {
                long now = destination.awaitWritesBeyond(writesAtSwitchOver, work).writes();
                out.println("The guest runs on at host-b from where host-a paused it: write counter " + writesAtSwitchOver
                        + " -> " + now);
                runsOn = true;
            } catch (IOException e) {
                out.println("The guest does not run on at host-b: " + e.getMessage());
            }
        }
        try {
            source.awaitClosed(); // host-a's QEMU quit after Confirm: every event it sent has been read
            out.println("SPICE clients relocated to host-b: " + (source.events().contains("SPICE_MIGRATE_COMPLETED")
                    ? "SPICE_MIGRATE_COMPLETED seen on host-a" : "no SPICE_MIGRATE_COMPLETED from host-a"));
        } catch (IOException e) {
            out.println("host-a's QEMU did not quit: " + e.getMessage());
        }
        boolean verified = sameRam && runsOn && "running".equals(info.state());
        out.println(verified ? "Migration verified: host-b resumed the guest from host-a's exact final RAM, and it runs on."
                : "Migration NOT verified.");
        return verified;
    }

    @Override
    public void stop(DaemonChannel host) {
        SimDemoGuest.destroy(host, NAME);
        for (QemuMonitor monitor : new QemuMonitor[] {source, destination}) {
            if (monitor != null) {
                monitor.close();
            }
        }
    }
}
