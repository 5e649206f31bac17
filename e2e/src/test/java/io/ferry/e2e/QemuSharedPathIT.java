package io.ferry.e2e;

import static org.junit.Assert.assertEquals;

import io.ferry.launcher.QemuMonitor;
import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.util.List;
import org.junit.Rule;
import org.junit.Test;

/**
 * Storage the operator knows to be shared though its file system's type does not say so ({@code ferryd
 * --shared-path DIR}, the QEMU driver's {@code sharedPaths}): a guest whose disk is under it migrates live without
 * --unsafe (QemuUnsafeIT: refused without the setting).
 */
public class QemuSharedPathIT {
    @Rule
    public final TwoHosts hosts = TwoHosts.forQemu("--shared-path", Path.of(System.getProperty("java.io.tmpdir")).toString());

    @Test
    public void aDiskUnderASharedPathMigratesWithoutUnsafe() throws Exception {
        Path disk = hosts.dir.resolve("qemu-shared.img"); // the hosts' directory is a temporary one
        try (RandomAccessFile image = new RandomAccessFile(disk.toFile(), "rw")) {
            image.setLength(1 << 20);
        }
        QemuGuest guest = QemuGuest.idle("qemu-shared-path", hosts.emulator).withDevices("    <disk type='file' device='disk'>"
                + "<driver name='qemu' type='raw'/><source file='" + disk + "'/><target dev='vda' bus='virtio'/></disk>\n");
        try (QemuMonitor source = guest.start(hosts.source)) {
            hosts.migrateOk(guest.name(), "--live", "--p2p");

            hosts.assertRunsOnlyOn(hosts.destination, guest.name(), null);
            assertEquals(List.of(), QemuProcesses.of(guest.uuid(), hosts.source.stateDir));
        } finally {
            hosts.source.ferry("destroy", guest.name());
            hosts.destination.ferry("destroy", guest.name());
        }
    }
}
