package io.ferry.e2e;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import io.ferry.launcher.QemuMonitor;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.Rule;
import org.junit.Test;

/**
 * A live migration moves memory only: the destination opens each disk at the same path. A guest whose writable disk
 * is on a local file system (ext4, not NFS/GFS2/Ceph…) would, between two real hosts, go on at the destination with
 * that host's own file of the path, its writes on the source left behind. libvirt refuses it (qemuMigrationSrcIsSafe:
 * VIR_ERR_MIGRATE_UNSAFE "Migration without shared storage is unsafe") unless virsh migrate --unsafe; so does Ferry.
 * (From the QEMU audit, QemuAuditIT.aDiskOnLocalStorageIsRefusedWithoutUnsafe.)
 */
public class QemuUnsafeIT {
    /** What this test's directory must not be on: libvirt's shared file systems, where the migration is safe. */
    private static final Set<String> SHARED = Set.of("nfs", "nfs4", "gfs2", "ocfs2", "afs", "smbfs", "cifs", "smb3", "ceph",
            "gpfs", "acfs", "beegfs", "fhgfs", "fuse.glusterfs", "fuse.quobyte");

    @Rule
    public final TwoHosts hosts = TwoHosts.forQemu();

    @Test
    public void aDiskOnLocalStorageIsRefusedWithoutUnsafe() throws Exception {
        Path disk = image("qemu-local.img");
        Path base = image("qemu-base.img"); // read-only: nobody writes it, so it does not count
        String type = Files.getFileStore(disk).type();
        assertFalse("the test directory " + hosts.dir + " is on " + type + ", a shared file system, where the migration is"
                + " safe: this test needs java.io.tmpdir on a local one (ext4, xfs, tmpfs…)", SHARED.contains(type));
        QemuGuest guest = QemuGuest.idle("qemu-local-disk", hosts.emulator).withDevices("    <disk type='file' device='disk'>"
                + "<driver name='qemu' type='raw'/><source file='" + disk + "'/><target dev='vda' bus='virtio'/></disk>\n"
                + "    <disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='" + base + "'/>"
                + "<target dev='vdb' bus='virtio'/><readonly/></disk>\n");
        try (QemuMonitor source = guest.start(hosts.source)) {
            String refusal = "Unsafe migration: Migration without shared storage is unsafe (disk " + disk + " is on " + type + ")";
            for (List<String> flags : List.of(List.of("--live"), List.of("--live", "--p2p"), List.of("--live", "--p2p", "--tunnelled"))) {
                Installation.Result result = hosts.migrate(guest.name(), flags.toArray(String[]::new));
                assertEquals("a live migration " + flags + " of a guest whose disk " + disk + " is on a local file system: "
                        + result, 1, result.exit());
                assertTrue(flags + ": " + result.err(), result.err().startsWith("error: ") && result.err().contains(refusal));
                assertEquals("running", source.runState());
                assertEquals("running", hosts.source.state(guest.name()));
                assertEquals("no QEMU of it was started on the destination", List.of(),
                        QemuProcesses.of(guest.uuid(), hosts.destination.stateDir));
            }

            hosts.migrateOk(guest.name(), "--live", "--unsafe");

            hosts.assertRunsOnlyOn(hosts.destination, guest.name(), null);
            assertEquals(List.of(), QemuProcesses.of(guest.uuid(), hosts.source.stateDir));
        } finally {
            hosts.source.ferry("destroy", guest.name());
            hosts.destination.ferry("destroy", guest.name());
        }
    }

    private Path image(String name) throws Exception {
        Path disk = hosts.dir.resolve(name);
        try (RandomAccessFile image = new RandomAccessFile(disk.toFile(), "rw")) {
            image.setLength(1 << 20);
        }
        return disk;
    }
}
