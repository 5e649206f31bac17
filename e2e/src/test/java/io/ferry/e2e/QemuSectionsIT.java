package io.ferry.e2e;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import io.ferry.launcher.QemuMonitor;
import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.util.List;
import org.junit.ClassRule;
import org.junit.Test;

/**
 * Cookie sections with real QEMU guests between two real daemons: lockstate (the guest's disk is leased in the
 * lease directory both daemons share, so it runs on one host only, before and after the migration) and graphics
 * (the source's QEMU is told where the destination's SPICE server listens before the memory moves, and Confirm
 * waits for QEMU's SPICE_MIGRATE_COMPLETED).
 */
public class QemuSectionsIT {
    @ClassRule
    public static final TwoHosts HOSTS = TwoHosts.forQemu();

    @Test
    public void aLeasedDiskKeepsTheGuestOnOneHost() throws Exception {
        Path disk = HOSTS.dir.resolve("qemu-leased.img");
        try (RandomAccessFile image = new RandomAccessFile(disk.toFile(), "rw")) {
            image.setLength(1 << 20);
        }
        QemuGuest guest = QemuGuest.idle("qemu-leased", HOSTS.emulator).withDevices("    <disk type='file' device='disk'>"
                + "<driver name='qemu' type='raw'/><source file='" + disk + "'/><target dev='vda' bus='virtio'/></disk>\n");
        try (QemuMonitor source = guest.start(HOSTS.source)) {
            HOSTS.destination.ferryOk("define", guest.file().toString());
            Installation.Result second = HOSTS.destination.ferry("start", guest.name());
            assertEquals(second.toString(), 1, second.exit());
            assertTrue(second.err(), second.err().startsWith("error: Failed to acquire lock: resource " + disk)
                    && second.err().contains("is held by source"));
            assertEquals("no QEMU was started for it", List.of(), QemuProcesses.of(guest.uuid(), HOSTS.destination.stateDir));

            HOSTS.migrateOk(guest.name(), "--live", "--p2p");

            HOSTS.assertRunsOnlyOn(HOSTS.destination, guest.name(), null);
            Installation.Result again = HOSTS.source.ferry("start", guest.name());
            assertEquals(again.toString(), 1, again.exit());
            assertTrue(again.err(), again.err().contains("is held by destination"));
            assertEquals(List.of(), QemuProcesses.of(guest.uuid(), HOSTS.source.stateDir));
        } finally {
            HOSTS.destination.ferry("destroy", guest.name());
        }
    }

    @Test
    public void spiceClientsAreRelocatedAndConfirmSeesThemArrive() throws Exception {
        QemuGuest guest = QemuGuest.idle("qemu-spice", HOSTS.emulator)
                .withDevices("    <graphics type='spice' autoport='yes' listen='127.0.0.1'/>\n");
        try (QemuMonitor source = guest.start(HOSTS.source)) {
            HOSTS.migrateOk(guest.name(), "--live");

            source.awaitClosed(); // the source's QEMU quit after Confirm: every event it sent has been read
            assertTrue(source.events().toString(), source.events().contains("SPICE_MIGRATE_COMPLETED"));
            String log = HOSTS.source.log();
            assertTrue(log, log.contains("graphics: graphics clients told to reconnect to 127.0.0.1:"));
            assertFalse(log, log.contains("did not report their move"));
            HOSTS.assertRunsOnlyOn(HOSTS.destination, guest.name(), null);
        } finally {
            HOSTS.destination.ferry("destroy", guest.name());
        }
    }
}
