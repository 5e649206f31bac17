package io.ferry.driver.qemu;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

import io.ferry.api.hypervisor.HypervisorException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * What a peer daemon's definition may have this host's QEMU open, which QEMU does as root: regular files, judged where
 * their links lead, on shared storage, or read only and readable by every user of this host; nothing else, whatever
 * the path as written says. The file system types come from a mount table the test makes up over real directories.
 */
public class PeerFilesTest {
    @Rule
    public final TemporaryFolder tmp = new TemporaryFolder();

    private Path local;
    private Path nfs;
    private Path sharedPath;

    @Before
    public void directories() throws IOException {
        Path root = tmp.getRoot().toPath().toRealPath();
        Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwxr-xr-x")); // /tmp and above are others' to enter
        local = Files.createDirectories(root.resolve("local"));
        nfs = Files.createDirectories(root.resolve("nfs"));
        sharedPath = Files.createDirectories(root.resolve("san"));
    }

    private PeerFiles peerFiles() {
        return new PeerFiles(new SharedStorage(List.of(sharedPath), path -> path.startsWith(nfs) ? "nfs4" : "ext4"));
    }

    private static Path file(Path dir, String name, String permissions) throws IOException {
        Path file = Files.write(dir.resolve(name), new byte[512]);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(permissions));
        return file;
    }

    private static QemuDomain domain(String kernel, String initrd, QemuDomain.Disk... disks) {
        return new QemuDomain(null, "x86_64", "pc", kernel, initrd, null, null, null, List.of(disks), List.of(), List.of(), null);
    }

    private static QemuDomain.Disk disk(Path file, boolean readOnly) {
        return new QemuDomain.Disk(file.toString(), "raw", "vda", readOnly, null);
    }

    private String refusal(QemuDomain domain) {
        return assertThrows(HypervisorException.class, () -> peerFiles().check(domain, null)).getMessage();
    }

    /** A qcow2 image made by qemu-img in {@code dir}, writable by all (its bytes are its host's choice). */
    private Path qcow2(Path dir, String name, String... options) throws Exception {
        Path image = dir.resolve(name);
        List<String> command = new ArrayList<>(List.of("qemu-img", "create", "-q", "-f", "qcow2", "-u"));
        command.addAll(List.of(options));
        command.addAll(List.of(image.toString(), "8M"));
        Guests.run(tmp.newFolder().toPath(), command.toArray(String[]::new));
        return image;
    }

    private static QemuDomain.Disk qcow2Disk(Path file, boolean readOnly) {
        return new QemuDomain.Disk(file.toString(), "qcow2", "vda", readOnly, null);
    }

    /**
     * A qcow2 image names other files in its bytes, which a host writing the shared storage it is on chose: its
     * backing file, down its chain, is held to the rules of a file read, its data file to those of the image and named
     * by an absolute path. A backing file /etc/shadow under an image on NFS was opened by QEMU as root and read out
     * through the guest.
     */
    @Test
    public void aQcow2ImageNamesOnlyFilesAPeerMayName() throws Exception {
        Path secret = file(local, "shadow", "rw-r-----");
        Path image = qcow2(nfs, "vm.qcow2", "-b", secret.toString(), "-F", "raw");
        String readOnly = " is on a file system not known to be shared (ext4) and not readable by every user of this host: a"
                + " peer's definition may have this host read only files on shared storage (a shared file system, or under"
                + " sharedPaths) or readable by everyone";
        assertEquals("backing file '" + secret + "' of disk vda's source '" + image + "'" + readOnly,
                refusal(domain(null, null, qcow2Disk(image, false))));

        Path middle = qcow2(nfs, "middle.qcow2", "-b", secret.toString(), "-F", "raw");
        Path top = qcow2(nfs, "top.qcow2", "-b", "middle.qcow2", "-F", "qcow2"); // relative: to the image's own name
        assertEquals("backing file '" + secret + "' of backing file '" + middle + "' of disk vda's source '" + top + "'"
                + readOnly, refusal(domain(null, null, qcow2Disk(top, true))));

        Path data = qcow2(nfs, "data.qcow2", "-o", "data_file=" + file(local, "data.raw", "rw-r--r--"));
        assertEquals("data file '" + local.resolve("data.raw") + "' of disk vda's source '" + data + "' is on a file system"
                + " not known to be shared (ext4): a peer's definition may have this host write only files on shared storage"
                + " (a shared file system, or under sharedPaths)", refusal(domain(null, null, qcow2Disk(data, false))));

        // QEMU opens a relative data file from its own working directory (ferryd's: / under systemd), not beside the
        // image as a backing file: etc/crontab beside an image on NFS passed, and root's QEMU wrote /etc/crontab
        file(Files.createDirectories(nfs.resolve("etc")), "crontab", "rw-r--r--");
        Path relative = qcow2(nfs, "relative.qcow2", "-o", "data_file=" + file(nfs, "relative.raw", "rw-------")
                + ",data_file_raw=on");
        Guests.run(tmp.newFolder().toPath(), "qemu-img", "amend", "-o", "data_file=etc/crontab", relative.toString());
        assertEquals("data file 'etc/crontab' of disk vda's source '" + relative + "' is not an absolute path: QEMU"
                + " opens an image's data file from its own working directory, not beside the image (qemu-img amend -o"
                + " data_file=/ABSOLUTE/PATH IMAGE names it so)",
                refusal(domain(null, null, qcow2Disk(relative, false))));

        Path network = qcow2(nfs, "nbd.qcow2", "-b", "nbd://10.0.0.9/export", "-F", "raw");
        assertEquals("disk vda's source '" + network + "' names 'nbd://10.0.0.9/export', which QEMU would read as a protocol:"
                + " a peer's image may name files only", refusal(domain(null, null, qcow2Disk(network, false))));

        Path base = file(nfs, "base.raw", "rw-------");
        Path overlay = qcow2(nfs, "overlay.qcow2", "-b", "base.raw", "-F", "raw");
        peerFiles().check(domain(null, null, qcow2Disk(overlay, false)), null); // all on shared storage: fine
        byte[] bytes = Files.readAllBytes(overlay);
        int at = indexOf(bytes, new byte[] {(byte) 0xe2, 0x79, 0x2a, (byte) 0xca}); // the backing format's extension
        bytes[at] = 0x12; // now one QEMU does not know: the backing file's format is not recorded
        Files.write(overlay, bytes);
        assertEquals("backing file '" + base + "' of disk vda's source '" + overlay + "' has no format recorded in the image,"
                + " which QEMU would guess (qemu-img rebase -u -F FORMAT records it)",
                refusal(domain(null, null, qcow2Disk(overlay, false))));
    }

    private static int indexOf(byte[] bytes, byte[] part) {
        for (int i = 0; i + part.length <= bytes.length; i++) {
            if (Arrays.equals(bytes, i, i + part.length, part, 0, part.length)) {
                return i;
            }
        }
        throw new AssertionError("not in the image");
    }

    @Test
    public void aRootOnlyFileOfThisHostIsRefusedWhateverItIsNamedAs() throws Exception {
        Path secret = file(local, "shadow", "rw-r-----");
        String readOnly = "' is on a file system not known to be shared (ext4) and not readable by every user of this host: a"
                + " peer's definition may have this host read only files on shared storage (a shared file system, or under"
                + " sharedPaths) or readable by everyone";
        assertEquals("disk vda's source '" + secret + readOnly, refusal(domain(null, null, disk(secret, true))));
        assertEquals("kernel '" + secret + readOnly, refusal(domain(secret.toString(), null)));
        assertEquals("initrd '" + secret + readOnly, refusal(domain(nfsKernel(), secret.toString())));
        assertEquals("disk vda's source '" + secret + "' is on a file system not known to be shared (ext4): a peer's definition"
                + " may have this host write only files on shared storage (a shared file system, or under sharedPaths)",
                refusal(domain(null, null, disk(secret, false))));
    }

    @Test
    public void aFileEveryoneMayReadMayBeReadButNotWritten() throws Exception {
        Path kernel = file(local, "vmlinuz", "rw-r--r--");
        Path image = file(local, "base.img", "rw-r--r--");
        peerFiles().check(domain(kernel.toString(), kernel.toString(), disk(image, true)), null);
        assertEquals("disk vda's source '" + image + "' is on a file system not known to be shared (ext4): a peer's definition"
                + " may have this host write only files on shared storage (a shared file system, or under sharedPaths)",
                refusal(domain(null, null, disk(image, false))));
        // readable by others, in a directory they may not enter: no more everyone's than the directory
        Path closed = Files.createDirectories(local.resolve("closed"));
        Path inside = file(closed, "vmlinuz", "rw-r--r--");
        Files.setPosixFilePermissions(closed, PosixFilePermissions.fromString("rwxr-x---"));
        assertEquals("kernel '" + inside + "' is on a file system not known to be shared (ext4) and not readable by every"
                + " user of this host: a peer's definition may have this host read only files on shared storage (a shared"
                + " file system, or under sharedPaths) or readable by everyone", refusal(domain(inside.toString(), null)));
    }

    @Test
    public void filesOnSharedStorageMayBeWrittenWhateverTheirPermissions() throws Exception {
        Path onNfs = file(nfs, "vm.img", "rw-------");
        Path underSharedPath = file(sharedPath, "vm.img", "rw-------");
        peerFiles().check(domain(null, null, disk(onNfs, false), disk(underSharedPath, false)), null);
        peerFiles().check(domain(underSharedPath.toString(), onNfs.toString()), null);
    }

    /** QEMU opens where a link leads: a link on shared storage to a file of this host is that file. */
    @Test
    public void linksAreJudgedWhereTheyLead() throws Exception {
        Path secret = file(local, "key", "rw-------");
        Path link = Files.createSymbolicLink(sharedPath.resolve("vm.img"), secret);
        assertEquals("disk vda's source '" + link + "' (" + secret + ") is on a file system not known to be shared (ext4): a"
                + " peer's definition may have this host write only files on shared storage (a shared file system, or under"
                + " sharedPaths)", refusal(domain(null, null, disk(link, false))));
        Path dirLink = Files.createSymbolicLink(nfs.resolve("etc"), local);
        assertEquals("kernel '" + dirLink.resolve("key") + "' (" + secret + ") is on a file system not known to be shared"
                + " (ext4) and not readable by every user of this host: a peer's definition may have this host read only files"
                + " on shared storage (a shared file system, or under sharedPaths) or readable by everyone",
                refusal(domain(dirLink.resolve("key").toString(), null)));
        // where a link leads is named as untrusted text: a line break in a name would forge a log line
        Path forged = file(local, "x\n2026-12-02 INFO forged", "rw-------");
        Path toForged = Files.createSymbolicLink(nfs.resolve("forged.img"), forged);
        assertEquals("disk vda's source '" + toForged + "' (" + local + "/x?2026-12-02 INFO forged) is on a file system not known"
                + " to be shared (ext4): a peer's definition may have this host write only files on shared storage (a shared"
                + " file system, or under sharedPaths)", refusal(domain(null, null, disk(toForged, false))));
        Path toShared = Files.createSymbolicLink(local.resolve("vm.img"), file(nfs, "real.img", "rw-------"));
        peerFiles().check(domain(null, null, disk(toShared, false)), null);
    }

    @Test
    public void onlyRegularFilesThatExistAndAbsolutePaths() throws Exception {
        assertEquals("disk vda's source '/dev/null' is not a regular file: a peer's definition names regular files only",
                refusal(domain(null, null, new QemuDomain.Disk("/dev/null", "raw", "vda", true, null))));
        assertEquals("kernel '" + nfs + "' is not a regular file: a peer's definition names regular files only",
                refusal(domain(nfs.toString(), null)));
        assertEquals("kernel '" + nfs.resolve("gone") + "' does not exist on this host", refusal(domain(nfs.resolve("gone").toString(), null)));
        assertEquals("initrd 'boot/initrd' is not an absolute path", refusal(domain(nfsKernel(), "boot/initrd")));
        assertEquals("kernel '/tmp/a?b' is not a path: Nul character not allowed", refusal(domain("/tmp/a\0b", null)));
    }

    /**
     * The program a peer's definition names runs as root: one a peer host could have written (on shared storage, or
     * where another user may write) would be the peer's own program running here.
     */
    @Test
    public void anEmulatorMustBeAProgramOnlyRootOrFerrydsUserCouldHavePutThere() throws Exception {
        Path bin = Files.createDirectories(local.resolve("bin"));
        Path qemu = file(bin, "qemu-system-x86_64", "rwxr-xr-x");
        peerFiles().check(domain(null, null), qemu.toString());

        String rule = ": a peer's definition may have this host run only a program owned by root or ferryd's user, in"
                + " directories only they may write, on a file system that is not shared, named through links likewise";
        Path planted = file(nfs, "qemu-system-x86_64", "rwxr-xr-x");
        assertEquals("emulator '" + planted + "' is not a program of this host's own (it is on shared storage)" + rule,
                emulatorRefusal(planted.toString()));
        Path link = Files.createSymbolicLink(local.resolve("qemu-kvm"), planted);
        assertEquals("emulator '" + link + "' (" + planted + ") is not a program of this host's own (it is on shared storage)"
                + rule, emulatorRefusal(link.toString()));

        Files.setPosixFilePermissions(bin, PosixFilePermissions.fromString("rwxrwxr-x"));
        assertEquals("emulator '" + qemu + "' is not a program of this host's own (" + bin + " is writable by its group)" + rule,
                emulatorRefusal(qemu.toString()));
        Files.setPosixFilePermissions(bin, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(qemu, PosixFilePermissions.fromString("rwxr-xrwx"));
        assertEquals("emulator '" + qemu + "' is not a program of this host's own (" + qemu + " is writable by others)" + rule,
                emulatorRefusal(qemu.toString()));
        Files.setPosixFilePermissions(qemu, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setOwner(qemu, qemu.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("nobody"));
        assertEquals("emulator '" + qemu + "' is not a program of this host's own (" + qemu + " belongs to nobody)" + rule,
                emulatorRefusal(qemu.toString()));
        Files.setOwner(qemu, bin.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("root"));

        // the path as named runs: a link a peer host may repoint (on shared storage, or another user's) is its program
        String through = "' (" + qemu + ") is not a program of this host's own (it is named through the link ";
        Path onShared = Files.createSymbolicLink(sharedPath.resolve("qemu-system-x86_64"), qemu);
        assertEquals("emulator '" + onShared + through + onShared + ", and that is on shared storage)" + rule,
                emulatorRefusal(onShared.toString()));
        Path dirOnNfs = Files.createSymbolicLink(nfs.resolve("x"), bin);
        assertEquals("emulator '" + dirOnNfs + "/qemu-system-x86_64" + through + dirOnNfs + ", and that is on shared"
                + " storage)" + rule, emulatorRefusal(dirOnNfs + "/qemu-system-x86_64"));
        Path viaNfs = Files.createSymbolicLink(bin.resolve("kvm-via-nfs"), dirOnNfs.resolve("qemu-system-x86_64"));
        assertEquals("emulator '" + viaNfs + through + dirOnNfs + ", and that is on shared storage)" + rule,
                emulatorRefusal(viaNfs.toString()));
        Path sticky = Files.createDirectories(local.resolve("sticky"));
        Files.setAttribute(sticky, "unix:mode", 01777);
        Path users = Files.createSymbolicLink(sticky.resolve("qemu-system-x86_64"), qemu);
        Files.getFileAttributeView(users, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                .setOwner(bin.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("nobody"));
        assertEquals("emulator '" + users + through + users + ", and " + users + " belongs to nobody)" + rule,
                emulatorRefusal(users.toString()));
        Path open = Files.createDirectories(local.resolve("open"));
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxrwxrwx"));
        Path inOpen = Files.createSymbolicLink(open.resolve("kvm"), qemu);
        assertEquals("emulator '" + inOpen + through + inOpen + ", and " + open + " is writable by its group)" + rule,
                emulatorRefusal(inOpen.toString()));

        // links only root made where only root writes, as /usr/bin/kvm -> qemu-system-x86_64 and /bin -> usr/bin
        Path kvm = Files.createSymbolicLink(bin.resolve("kvm"), Path.of("qemu-system-x86_64"));
        Path usrBin = Files.createSymbolicLink(local.resolve("usr-bin"), Path.of("bin"));
        peerFiles().check(domain(null, null), kvm.toString());
        peerFiles().check(domain(null, null), usrBin.resolve("kvm").toString());
        peerFiles().check(domain(null, null), usrBin.resolve("./../bin/kvm").toString());
    }

    /** /tmp is everyone's to add to, sticky: nobody else may replace what root made there. */
    @Test
    public void aStickyDirectoryEveryoneWritesDoesNotMakeAProgramOthers() throws Exception {
        Path sticky = Files.createDirectories(local.resolve("sticky"));
        Files.setPosixFilePermissions(sticky, PosixFilePermissions.fromString("rwxrwxrwx"));
        Path qemu = file(sticky, "qemu-system-x86_64", "rwxr-xr-x");
        assertEquals("emulator '" + qemu + "' is not a program of this host's own (" + sticky + " is writable by its group)"
                + ": a peer's definition may have this host run only a program owned by root or ferryd's user, in"
                + " directories only they may write, on a file system that is not shared, named through links likewise",
                emulatorRefusal(qemu.toString()));
        Files.setAttribute(sticky, "unix:mode", 01777);
        peerFiles().check(domain(null, null), qemu.toString());
    }

    private String emulatorRefusal(String emulator) {
        return assertThrows(HypervisorException.class, () -> peerFiles().check(domain(null, null), emulator)).getMessage();
    }

    private String nfsKernel() throws IOException {
        Path kernel = nfs.resolve("vmlinuz");
        return (Files.exists(kernel) ? kernel : file(nfs, "vmlinuz", "rw-------")).toString();
    }
}
