package io.ferry.driver.qemu;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.api.hypervisor.DiskStorage.Unshared;
import io.ferry.api.hypervisor.HypervisorException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * Which disks a live migration would leave behind (libvirt's qemuMigrationSrcIsSafe with virFileIsSharedFS): writable
 * file disks on a file system not known to be shared, against a mount table the test makes up over real directories.
 */
public class SharedStorageTest {
    @Rule
    public final TemporaryFolder tmp = new TemporaryFolder();

    /** Mount points (real paths) and their file system types; the longest that holds a path decides, as the kernel's. */
    private final Map<Path, String> mounts = new HashMap<>();
    private Path root;

    @Before
    public void mountTable() throws IOException {
        root = tmp.getRoot().toPath().toRealPath();
        mounts.put(root, "ext4");
    }

    private String typeOf(Path existing) throws IOException {
        Path real = existing.toRealPath();
        Path best = null;
        for (Path mount : mounts.keySet()) {
            if (real.startsWith(mount) && (best == null || mount.getNameCount() > best.getNameCount())) {
                best = mount;
            }
        }
        return mounts.get(best);
    }

    private Path mount(String dir, String type) throws IOException {
        Path path = Files.createDirectories(root.resolve(dir));
        mounts.put(path, type);
        return path;
    }

    private Path file(Path dir, String name) throws IOException {
        return Files.write(dir.resolve(name), new byte[512]);
    }

    private static QemuDomain.Disk disk(Path file, boolean readOnly) {
        return new QemuDomain.Disk(file.toString(), "raw", "vda", readOnly, null);
    }

    private List<Unshared> unshared(List<Path> sharedPaths, QemuDomain.Disk... disks) throws HypervisorException {
        return new SharedStorage(sharedPaths, this::typeOf).unshared(List.of(disks));
    }

    @Test
    public void aWritableDiskOnALocalFileSystemIsNamedWithItsType() throws Exception {
        Path local = file(root, "local.img");
        Path xfs = file(mount("xfs", "xfs"), "data.img");
        assertEquals(List.of(new Unshared(local.toString(), "ext4"), new Unshared(xfs.toString(), "xfs")),
                unshared(List.of(), disk(local, false), disk(xfs, false)));
    }

    @Test
    public void everyFileSystemLibvirtCountsAsSharedIsShared() throws Exception {
        for (String type : List.of("nfs", "nfs4", "gfs2", "ocfs2", "afs", "smbfs", "cifs", "smb3", "ceph", "gpfs", "acfs",
                "beegfs", "fhgfs", "fuse.glusterfs", "fuse.quobyte")) {
            Path disk = file(mount(type, type), "vm.img");
            assertEquals(type, List.of(), unshared(List.of(), disk(disk, false)));
        }
    }

    @Test
    public void otherFileSystemsAreNot() throws Exception {
        // FUSE other than gluster and Quobyte (sshfs, ceph-fuse), tmpfs, overlay, zfs, btrfs: libvirt counts none of them
        for (String type : List.of("fuse.sshfs", "fuse.ceph-fuse", "fuse", "tmpfs", "overlay", "zfs", "btrfs", "xfs", "NFS")) {
            Path disk = file(mount(type.replace('.', '-'), type), "vm.img");
            assertEquals(type, List.of(new Unshared(disk.toString(), type)), unshared(List.of(), disk(disk, false)));
        }
    }

    @Test
    public void readOnlyDisksAreSkipped() throws Exception {
        Path image = file(root, "base.img");
        Path writable = file(root, "vm.img");
        assertEquals(List.of(new Unshared(writable.toString(), "ext4")),
                unshared(List.of(), disk(image, true), disk(writable, false)));
        assertEquals(List.of(), unshared(List.of(), disk(image, true)));
    }

    /** A disk file that does not exist is judged by the nearest directory above it that does, as libvirt's statfs walk. */
    @Test
    public void aMissingDiskFileIsJudgedByTheDirectoryAboveIt() throws Exception {
        Path nfs = mount("nfs", "nfs4");
        assertEquals(List.of(), unshared(List.of(), disk(nfs.resolve("gone/deeper/vm.img"), false)));
        Path missing = root.resolve("images/vm.img");
        assertEquals(List.of(new Unshared(missing.toString(), "ext4")), unshared(List.of(), disk(missing, false)));
    }

    @Test
    public void aDiskUnderASharedPathIsSharedWhateverItsType() throws Exception {
        Path san = mount("san", "xfs");
        Path disk = file(Files.createDirectories(san.resolve("vms")), "vm.img");
        assertEquals(List.of(), unshared(List.of(san), disk(disk, false)));
        assertEquals(List.of(), unshared(List.of(san.resolve("vms/")), disk(disk, false)));
        assertEquals(List.of(), unshared(List.of(san), disk(san.resolve("not-yet.img"), false)));
        // a path is a directory, not a prefix of names: /…/san2 is not under /…/san
        Path sibling = file(mount("san2", "xfs"), "vm.img");
        assertEquals(List.of(new Unshared(sibling.toString(), "xfs")), unshared(List.of(san), disk(sibling, false)));
    }

    /** Through symbolic links, as QEMU opens the file: a link into NFS is on NFS, a shared path's link names its target. */
    @Test
    public void symbolicLinksAreFollowed() throws Exception {
        Path nfs = file(mount("nfs", "nfs"), "vm.img");
        Path link = Files.createSymbolicLink(root.resolve("link.img"), nfs);
        assertEquals(List.of(), unshared(List.of(), disk(link, false)));

        Path san = mount("san", "xfs");
        Path sanLink = Files.createSymbolicLink(root.resolve("san-link"), san);
        Path disk = file(san, "vm.img");
        assertEquals(List.of(), unshared(List.of(sanLink), disk(disk, false)));
        assertEquals(List.of(), unshared(List.of(san), disk(sanLink.resolve("vm.img"), false)));
    }

    /**
     * A link under a shared path is shared storage only where it leads: the destination's QEMU opens the same name and
     * follows the link there, to a file of its own host's that is not this one. Taken for shared, the guest ran on at
     * the destination on another disk, or on none.
     */
    @Test
    public void aLinkUnderASharedPathToALocalFileIsNotShared() throws Exception {
        Path san = mount("san", "xfs");
        Path local = file(Files.createDirectories(root.resolve("images")), "vm.img");
        Path link = Files.createSymbolicLink(san.resolve("vm.img"), local);
        assertEquals(List.of(new Unshared(link.toString(), "ext4")), unshared(List.of(san), disk(link, false)));
        Path dirLink = Files.createSymbolicLink(san.resolve("images"), local.getParent());
        assertEquals(List.of(new Unshared(dirLink.resolve("gone.img").toString(), "ext4")),
                unshared(List.of(san), disk(dirLink.resolve("gone.img"), false)));

        Path inside = Files.createSymbolicLink(san.resolve("alias.img"), file(san, "real.img"));
        assertEquals("a link that stays under the shared path", List.of(), unshared(List.of(san), disk(inside, false)));
    }

    /**
     * The kernel goes up from where a link leads: {@code /nfs/vms/local/../vm1.img}, {@code local} a link to a local
     * {@code /var/lib/local/dir}, is {@code /var/lib/local/vm1.img}, not {@code /nfs/vms/vm1.img} as the path reads.
     * Judged as it reads, a live migration without --unsafe went ahead, and the destination's guest ran on its own
     * host's disk of that name.
     */
    @Test
    public void aParentOfALinkIsWhereTheLinkLeadsUpNotWhereThePathReads() throws Exception {
        Path nfs = mount("nfs", "nfs4");
        Path vms = Files.createDirectories(nfs.resolve("vms"));
        file(vms, "vm1.img");
        Path localDir = Files.createDirectories(root.resolve("var/lib/local/dir"));
        file(localDir.getParent(), "vm1.img");
        Files.createSymbolicLink(vms.resolve("local"), localDir);
        Path upward = Path.of(vms + "/local/../vm1.img");
        assertEquals(List.of(new Unshared(upward.toString(), "ext4")), unshared(List.of(), disk(upward, false)));
        Path san = mount("san", "xfs");
        Files.createSymbolicLink(san.resolve("local"), localDir);
        Path upwardFromSan = Path.of(san + "/local/../vm1.img");
        assertEquals(List.of(new Unshared(upwardFromSan.toString(), "ext4")),
                unshared(List.of(san), disk(upwardFromSan, false)));
        Path notYet = Path.of(vms + "/local/../not-yet.img"); // judged by the directory the kernel would create it in
        assertEquals(List.of(new Unshared(notYet.toString(), "ext4")), unshared(List.of(), disk(notYet, false)));

        // what does not exist has no links to follow: a '..' past it cannot be told from the path
        String past = vms + "/gone/../vm1.img";
        HypervisorException e = assertThrows(HypervisorException.class, () -> unshared(List.of(),
                new QemuDomain.Disk(past, "raw", "vda", false, null)));
        assertEquals("cannot tell whether disk " + past + " is on shared storage: it goes up ('..') past " + vms
                + "/gone, which does not exist", e.getMessage());
    }

    @Test
    public void aDiskWhoseFileSystemCannotBeToldIsNamed() throws Exception {
        Path disk = file(root, "vm.img");
        HypervisorException e = assertThrows(HypervisorException.class, () -> new SharedStorage(List.of(), path -> {
            throw new IOException("Permission denied");
        }).unshared(List.of(disk(disk, false))));
        assertEquals("cannot tell whether disk " + disk + " is on shared storage: java.io.IOException: Permission denied",
                e.getMessage());
        e = assertThrows(HypervisorException.class, () -> unshared(List.of(),
                new QemuDomain.Disk("images/vm.img", "raw", "vda", false, null)));
        assertEquals("cannot tell whether disk images/vm.img is on shared storage: its path is relative", e.getMessage());
    }

    /** This host's own answer: the type the kernel gives the test's directory, whatever it is. */
    @Test
    public void thisHostsFileSystemTypeIsTheKernels() throws Exception {
        Path disk = file(root, "vm.img");
        String type = Files.getFileStore(root).type();
        List<Unshared> unshared = new SharedStorage(List.of(), SharedStorage.FileSystemType.OF_THIS_HOST)
                .unshared(List.of(disk(disk, false)));
        assertEquals(SharedStorage.SHARED_TYPES.contains(type) ? List.of() : List.of(new Unshared(disk.toString(), type)),
                unshared);
        assertTrue(type, !type.isBlank());
    }
}
