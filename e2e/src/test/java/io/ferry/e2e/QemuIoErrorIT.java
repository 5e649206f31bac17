package io.ferry.e2e;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import io.ferry.launcher.QemuMonitor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;
import java.util.UUID;
import org.junit.Rule;
import org.junit.Test;

/**
 * A real QEMU that pauses its guest by itself. The guest is a boot sector that reads its disk in a loop (BIOS int 13h);
 * the disk's reads fail (QEMU's blkdebug driver injects EIO) under the error policy {@code stop}, given by a wrapper of
 * the emulator as libvirt's {@code <driver error_policy='stop'>} gives it: from the start, or once the test writes a
 * sector through the test monitor ({@code qemu-io}), mid-migration. QEMU sends BLOCK_IO_ERROR, then STOP; its run
 * state is {@code io-error}. ferry list and dominfo show it paused (I/O error), where they showed it running; neither a
 * failed migration's source nor a completed one's destination sends it {@code cont} (no RESUME event).
 */
public class QemuIoErrorIT {
    /** Every read fails. */
    private static final String READS_FAIL = "[inject-error]\nevent = \"read_aio\"\nerrno = \"5\"\n";
    /**
     * Once something wrote to the disk (the guest never does; the test does, through qemu-io), the guest's next read
     * fails, and so does every request after it, the flush of QEMU's switch-over among them.
     */
    private static final String IO_FAILS_AFTER_A_WRITE = "[set-state]\nstate = \"1\"\nevent = \"write_aio\"\n"
            + "new_state = \"2\"\n\n[inject-error]\nstate = \"2\"\nevent = \"read_aio\"\nerrno = \"5\"\n";
    /** The same for reads alone: the switch-over's flush succeeds. */
    private static final String READS_FAIL_AFTER_A_WRITE = IO_FAILS_AFTER_A_WRITE.replace("errno",
            "iotype = \"read\"\nerrno");
    /**
     * The boot sector: for segment 1000h to 8C00h in steps of 400h (16 KiB), read sectors 2-33 of drive 80h there (int
     * 13h, ah=2), and again from the start: a guest that reads its disk without end and dirties 576 KiB of its RAM with
     * what it reads (the disk is not zero), so that pre-copy at 1 MiB/s does not converge while it runs.
     */
    private static final byte[] READ_LOOP = {(byte) 0xB8, 0x00, 0x10, (byte) 0x8E, (byte) 0xC0, 0x50, (byte) 0xB8, 0x20,
            0x02, (byte) 0xB9, 0x02, 0x00, (byte) 0xBA, (byte) 0x80, 0x00, 0x31, (byte) 0xDB, (byte) 0xCD, 0x13, 0x58, 0x05,
            0x00, 0x04, 0x3D, 0x00, (byte) 0x90, 0x72, (byte) 0xE7, (byte) 0xEB, (byte) 0xE2};

    @Rule
    public final TwoHosts hosts = TwoHosts.forQemu();
    private final UUID uuid = UUID.randomUUID();

    @Test
    public void aGuestQemuPausedForADiskErrorIsShownSoAndArrivesPausedAsItWas() throws Exception {
        String name = "qemu-io-error";
        try {
            start(name, READS_FAIL);
            Poll.until("QEMU to pause the guest whose disk fails", () -> Optional.of("paused").equals(
                    hosts.source.listedState(name)));
            String info = hosts.source.ferryOk("dominfo", name).out();
            assertTrue(info, info.contains("paused (I/O error)"));

            hosts.migrateOk(name, "--live", "--unsafe");

            String arrived = hosts.destination.ferryOk("dominfo", name).out();
            assertTrue(arrived, arrived.contains("paused (I/O error)"));
            try (QemuMonitor destination = monitor(hosts.destination)) {
                assertEquals("io-error", destination.runState());
            }
        } finally {
            hosts.destination.ferry("destroy", name);
            hosts.source.ferry("destroy", name);
        }
    }

    /**
     * The disk fails mid-Perform, and so does the flush of QEMU's switch-over: QEMU fails the migration ("Error in
     * migration completion: Input/output error") and leaves the guest io-error. The driver's cleanup must not resume it:
     * the old one did (it ran when the migration began); QEMU retried the read and paused it again.
     */
    @Test
    public void aMigrationThatFailsAtTheSwitchOverLeavesAGuestPausedForADiskErrorPaused() throws Exception {
        String name = "qemu-io-fails";
        try (QemuMonitor source = start(name, IO_FAILS_AFTER_A_WRITE)) {
            Installation.Running migration = inFlight(name);
            failTheDisk(source, name);
            Installation.Result result = migration.await();

            assertEquals(result.toString(), 1, result.exit());
            assertTrue(result.toString(), result.err().contains("Input/output error"));
            assertStaysPaused(source, name);
        } finally {
            hosts.source.ferry("destroy", name);
            hosts.destination.ferry("destroy", name);
        }
    }

    /**
     * The disk's reads fail mid-Perform; the migration completes at QEMU's level (a paused guest converges), then fails
     * at the destination's Finish (its QEMU killed). The source's rollback must not resume the guest, which QEMU shows
     * postmigrate now: its BLOCK_IO_ERROR since it last ran says why it is paused.
     */
    @Test
    public void aRollbackAfterTheSwitchOverLeavesAGuestPausedForADiskErrorPaused() throws Exception {
        String name = "qemu-io-rollback";
        try (QemuMonitor source = start(name, READS_FAIL_AFTER_A_WRITE)) {
            Installation.Running migration = heldAtFinishOnceTheDiskFailed(source, name);
            QemuProcesses.signal(QemuProcesses.theOne(uuid, hosts.destination.stateDir).pid(), "KILL");
            Poll.until("the destination QEMU to be gone",
                    () -> QemuProcesses.of(uuid, hosts.destination.stateDir).isEmpty());
            hosts.release(name);
            Installation.Result result = migration.await();

            assertEquals(result.toString(), 1, result.exit());
            assertStaysPaused(source, name);

            // a restarted daemon has none of the events; QEMU's disks still say why (it showed paused (unknown))
            hosts.source.kill();
            hosts.source = hosts.source.restart();
            Poll.until("the restarted source to re-attach the guest", () -> hosts.source.log()
                    .contains("re-attached to QEMU of domain '" + name + "'"));
            String info = hosts.source.ferryOk("dominfo", name).out();
            assertTrue(info, info.contains("paused (I/O error)"));
            assertEquals("postmigrate", source.runState());
        } finally {
            hosts.release(name);
            hosts.source.ferry("destroy", name);
            hosts.destination.ferry("destroy", name);
        }
    }

    /** The disk's reads fail mid-Perform and the migration completes: QEMU takes io-error along; Finish must not cont. */
    @Test
    public void aGuestPausedForADiskErrorDuringPerformArrivesPausedNotResumed() throws Exception {
        String name = "qemu-io-arrives";
        try (QemuMonitor source = start(name, READS_FAIL_AFTER_A_WRITE)) {
            Installation.Running migration = heldAtFinishOnceTheDiskFailed(source, name);
            try (QemuMonitor destination = monitor(hosts.destination)) {
                hosts.release(name);
                Installation.Result result = migration.await();

                assertEquals(result.toString(), 0, result.exit());
                assertTrue(result.toString(), result.toString().contains("arrived paused: its hypervisor had paused it by"
                        + " itself (I/O error) during the migration"));
                assertFalse("the destination's QEMU was told to resume: " + destination.events(),
                        destination.events().contains("RESUME"));
                assertEquals("io-error", destination.runState());
            }
            String info = hosts.destination.ferryOk("dominfo", name).out();
            assertTrue(info, info.contains("paused (I/O error)"));
        } finally {
            hosts.release(name);
            hosts.destination.ferry("destroy", name);
            hosts.source.ferry("destroy", name);
        }
    }

    /**
     * A migration in flight whose guest's reads then fail: QEMU pauses the guest, the pre-copy converges, and the
     * destination's Finish is held at the gate, the memory there, nothing committed.
     */
    private Installation.Running heldAtFinishOnceTheDiskFailed(QemuMonitor source, String name) throws Exception {
        hosts.holdFinish(name);
        Installation.Running migration = inFlight(name);
        failTheDisk(source, name);
        hosts.awaitHeld(name, migration);
        return migration;
    }

    /** The source's QEMU was not told to resume the guest (no RESUME since the test's monitor connected), and says so. */
    private void assertStaysPaused(QemuMonitor source, String name) throws Exception {
        assertFalse("the source's QEMU was told to resume: " + source.events(), source.events().contains("RESUME"));
        String info = hosts.source.ferryOk("dominfo", name).out();
        assertTrue(info, info.contains("paused (I/O error)"));
    }

    /** Defines and starts the guest on the source; returns the test's monitor of its QEMU, the guest running. */
    private QemuMonitor start(String name, String blkdebug) throws Exception {
        hosts.source.ferryOk("define", Installation.file(name, ".xml", xml(name, blkdebug)).toString());
        hosts.source.ferryOk("start", name);
        return monitor(hosts.source);
    }

    private QemuMonitor monitor(DaemonProcess host) throws Exception {
        return QemuMonitor.connect(host.stateDir.resolve("run").resolve(uuid.toString()).resolve(QemuMonitor.SOCKET),
                QemuGuest.WAIT_MILLIS);
    }

    /**
     * {@code ferry migrate --live --unsafe} at 1 MiB/s under a 1 ms downtime limit, which pre-copy does not meet while
     * the guest's loop dirties 576 KiB of its RAM; returns once it made two passes. A paused guest dirties nothing: it
     * converges.
     */
    private Installation.Running inFlight(String name) throws Exception {
        hosts.source.ferryOk("migrate-setmaxdowntime", name, "1");
        Installation.Running migration = hosts.migrateInBackground(name, "--live", "--unsafe", "--bandwidth", "1");
        Poll.until("two pre-copy passes of " + name, () -> {
            if (!migration.isAlive()) {
                throw new AssertionError("the migration of " + name + " ended:\n" + migration.await());
            }
            return QemuJob.iteration(hosts.source, name) > 2;
        });
        return migration;
    }

    /** A write through QEMU's own qemu-io turns blkdebug's state: the guest's next read fails, and QEMU pauses it. */
    private void failTheDisk(QemuMonitor source, String name) throws Exception {
        try {
            source.execute("human-monitor-command", QemuMonitor.arguments().put("command-line",
                    "qemu-io drive-vda \"write 4096 512\""));
            source.awaitEvent("BLOCK_IO_ERROR", "action", "stop");
        } catch (IOException e) {
            throw new AssertionError(e.getMessage() + "; QEMU's log: "
                    + Files.readString(hosts.source.stateDir.resolve("qemu").resolve(name + ".log")), e);
        }
    }

    /** The guest: no kernel, booted from its disk, whose first sector loops reading it; its QEMU {@link #failingDisks}. */
    private String xml(String name, String blkdebug) throws Exception {
        byte[] image = new byte[1 << 20];
        Arrays.fill(image, 512, image.length, (byte) 0xA5);
        System.arraycopy(READ_LOOP, 0, image, 0, READ_LOOP.length);
        image[510] = 0x55;
        image[511] = (byte) 0xAA;
        Path disk = Files.write(hosts.dir.resolve(name + ".img"), image);
        return "<domain type='qemu'>\n  <name>" + name + "</name>\n  <uuid>" + uuid + "</uuid>\n"
                + "  <memory unit='MiB'>32</memory>\n  <vcpu>1</vcpu>\n"
                + "  <os>\n    <type arch='x86_64' machine='pc'>hvm</type>\n    <boot dev='hd'/>\n  </os>\n"
                + "  <devices>\n    <emulator>" + failingDisks(name, blkdebug) + "</emulator>\n"
                + "    <disk type='file' device='disk'>\n      <driver name='qemu' type='raw'/>\n"
                + "      <source file='" + disk + "'/>\n      <target dev='vda' bus='virtio'/>\n    </disk>\n"
                + "  </devices>\n</domain>\n";
    }

    /**
     * A wrapper of the test's monitored emulator that puts every raw disk on blkdebug with {@code blkdebug}'s rules, under
     * {@code rerror=stop,werror=stop}. Each QEMU of the guest (source and destination) reads the rules afresh.
     */
    private Path failingDisks(String name, String blkdebug) throws Exception {
        Path config = Files.writeString(hosts.dir.resolve(name + ".blkdebug"), blkdebug);
        Path wrapper = Files.createDirectories(hosts.dir.resolve("failing-disks-" + name)).resolve(QemuGuest.QEMU);
        return QemuMonitor.script(wrapper, """
                for arg; do
                  shift
                  case $arg in
                    file=*,format=raw,if=none,*)
                      image=${arg#file=}; image=${image%%,format=raw,*}; rest=${arg#*,format=raw,}
                      arg="driver=raw,file.driver=blkdebug,file.config=%s,file.image.filename=$image"
                      arg="$arg,$rest,rerror=stop,werror=stop" ;;
                  esac
                  set -- "$@" "$arg"
                done
                exec %s "$@"
                """.formatted(config, hosts.emulator));
    }
}
