package io.ferry.e2e;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import io.ferry.launcher.QemuMonitor;
import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.ClassRule;
import org.junit.Test;

/**
 * Cookie sections with real QEMU guests between two real daemons: lockstate (the guest's disk is leased in the
 * lease directory both daemons share, so it runs on one host only, before and after the migration), graphics (the
 * source's QEMU is told where the destination's SPICE server listens before the memory moves, and Confirm waits for
 * QEMU's SPICE_MIGRATE_COMPLETED) and network (an openvswitch NIC's tap is a port of br0 in its host's own
 * ovsdb-server, and its PortData follows it).
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

            // the disk is a file of this machine's local file system, which two daemons on one machine both see:
            // --unsafe, as a libvirt user on one machine would (without it the migration is refused, QemuUnsafeIT)
            HOSTS.migrateOk(guest.name(), "--live", "--p2p", "--unsafe");

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

    @Test
    public void theOpenvswitchPortDataOfANicFollowsIt() throws Throwable {
        String portData = "\"flow=42 tunnel=vxlan-7\""; // as ovs-vsctl prints it: quoted, for the space
        int suffix = ThreadLocalRandom.current().nextInt(1000, 9999);
        String sourceTap = "fqsrc" + suffix;
        String destinationTap = "fqdst" + suffix; // both QEMUs run on this machine: each needs a tap of its own
        try (OvsdbServer ovsA = OvsdbServer.start("qa"); OvsdbServer ovsB = OvsdbServer.start("qb")) {
            ovsA.vsctl("add-br", "br0");
            ovsB.vsctl("add-br", "br0");
            TwoHosts hosts = TwoHosts.forQemu(new String[] {"--ovsdb", ovsA.db()}, new String[] {"--ovsdb", ovsB.db()});
            hosts.before();
            try {
                QemuGuest guest = QemuGuest.idle("qemu-ovs", hosts.emulator)
                        .withDevices(QemuGuest.openvswitchNic(sourceTap));
                QemuGuest there = new QemuGuest(guest.name(), guest.uuid(), guest.memoryMiB(), guest.workingSet(),
                        QemuGuest.openvswitchNic(destinationTap), guest.emulator());
                try (QemuMonitor source = guest.start(hosts.source)) {
                    assertEquals(sourceTap, ovsA.vsctl("list-ports", "br0"));
                    ovsA.vsctl("set", "Interface", sourceTap, "external_ids:PortData=" + portData);

                    hosts.migrateOk(guest.name(), "--live", "--xml", there.file().toString());

                    assertEquals(portData, ovsB.vsctl("get", "Interface", destinationTap, "external_ids:PortData"));
                    assertEquals("\"" + guest.uuid() + "\"", ovsB.vsctl("get", "Interface", destinationTap,
                            "external_ids:vm-uuid"));
                    assertEquals("unplugged when the source's QEMU went", "", ovsA.vsctl("list-ports", "br0"));
                    assertTrue(hosts.destination.log(), hosts.destination.log()
                            .contains("network: port data of interface 0 written on " + destinationTap));
                    hosts.assertRunsOnlyOn(hosts.destination, guest.name(), null);
                    hosts.destination.ferryOk("destroy", guest.name());
                    assertEquals("", ovsB.vsctl("list-ports", "br0"));
                }
            } finally {
                hosts.after();
            }
        }
    }
}
