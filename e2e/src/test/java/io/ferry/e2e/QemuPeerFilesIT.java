package io.ferry.e2e;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import io.ferry.launcher.QemuMonitor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.Test;

/**
 * What a peer daemon's definition may have a destination's QEMU open, which QEMU does as root: two real daemons that
 * know each other as TLS peers, a real QEMU guest with a read-only disk only root may read (a stand-in for
 * {@code /etc/shadow}), and a guest whose QEMU is a program on storage the hosts share (where a peer host could have
 * put a program of its own). Peer to peer, the destination refuses the Prepare naming the file and the guest runs on
 * at the source; an operator who drives the migration (client-managed) chose the files and moves the guest.
 */
public class QemuPeerFilesIT {
    @Test
    public void aPeerCannotHaveTheDestinationOpenAFileOnlyRootMayRead() throws Exception {
        TestCa ca = TestCa.make("peer-files", "host-a", "host-b", "client");
        Path dir = Files.createTempDirectory("ferry-q");
        try {
            Path secret = Files.write(dir.resolve("secret.img"), new byte[1 << 20]);
            Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-------"));
            QemuGuest guest = QemuGuest.idle("peer-files", QemuMonitor.wrapper(dir)).withDevices("    <disk type='file'"
                    + " device='disk'><driver name='qemu' type='raw'/><source file='" + secret + "'/><target dev='vda'"
                    + " bus='virtio'/><readonly/></disk>\n");
            Path shared = Files.createDirectories(dir.resolve("shared"));
            Path planted = Files.copy(QemuMonitor.wrapper(dir), shared.resolve(QemuGuest.QEMU), StandardCopyOption.COPY_ATTRIBUTES);
            QemuGuest elsewhere = QemuGuest.idle("peer-emulator", planted);
            // the guest's kernel is a file of the installation: the destination counts its directory as shared
            String kernels = QemuGuest.kernel().getParent().toString();
            try (DaemonProcess a = DaemonProcess.startIn(dir.resolve("a"), "host-a", Map.of(), ca.daemonFlags("host-a"));
                    DaemonProcess b = DaemonProcess.startIn(dir.resolve("b"), "host-b", Map.of(),
                            ca.daemonFlags("host-b", "--shared-path", kernels, "--shared-path", shared.toString()))) {
                ca.ok(a, "define", guest.file().toString());
                ca.ok(a, "start", guest.name());

                Installation.Result refused = ca.ferry("client", a, "migrate", "--live", "--p2p", guest.name(), b.url());
                assertEquals(refused.toString(), 1, refused.exit());
                assertTrue(refused.err(), refused.err().contains("certificate subject 'CN=host-a' may not bring the definition"
                        + " of domain 'peer-files': disk vda's source '" + secret + "' is on a file system not known to be"
                        + " shared (" + Files.getFileStore(dir).type() + ") and not readable by every user of this host: a peer's"
                        + " definition may have this host read only files on shared storage (a shared file system, or under"
                        + " sharedPaths) or readable by everyone; an operator may migrate it client-managed"));
                assertEquals("running (booted)", ca.field(a, guest.name(), "State:"));
                assertTrue("nothing of it on the destination", !ca.ok(b, "list", "--all").out().contains(guest.name()));

                ca.ok(a, "define", elsewhere.file().toString());
                ca.ok(a, "start", elsewhere.name());
                refused = ca.ferry("client", a, "migrate", "--live", "--p2p", elsewhere.name(), b.url());
                assertEquals(refused.toString(), 1, refused.exit());
                assertTrue(refused.err(), refused.err().contains("certificate subject 'CN=host-a' may not bring the definition"
                        + " of domain 'peer-emulator': emulator '" + planted + "' is not a program of this host's own (it is on"
                        + " shared storage): a peer's definition may have this host run only a program owned by root or"
                        + " ferryd's user, in directories only they may write, on a file system that is not shared"));
                assertEquals("running (booted)", ca.field(a, elsewhere.name(), "State:"));

                for (QemuGuest moved : new QemuGuest[] {guest, elsewhere}) {
                    ca.ok(a, "migrate", "--live", moved.name(), b.url());
                    assertEquals("running (migrated)", ca.field(b, moved.name(), "State:"));
                    ca.ok(b, "destroy", moved.name());
                }
            }
        } finally {
            QemuProcesses.killUnder(dir);
            try (Stream<Path> paths = Files.walk(dir)) {
                paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
            } catch (IOException e) {
                // a temporary directory left behind is harmless
            }
        }
    }
}
