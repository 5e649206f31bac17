package io.ferry.plugin.lockstate;

import static org.junit.Assert.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** Which directories are on a share of fstab that is not mounted, as the files of a host say. */
public class UnmountedSharesTest {
    @Rule
    public TemporaryFolder folder = new TemporaryFolder();

    private Path root;
    private Path fstab;
    private Path mountinfo;

    @Before
    public void files() throws IOException {
        root = folder.getRoot().toPath().toRealPath();
        fstab = root.resolve("fstab");
        mountinfo = root.resolve("mountinfo");
    }

    @Test
    public void theNearestMountPointOfFstabAboveADirectoryMustBeMounted() throws Exception {
        Path mnt = Files.createDirectories(root.resolve("mnt/share/leases")).getParent().getParent();
        fstab("/dev/sda1 / ext4 defaults 0 1", "nfs.example:/all " + mnt + " nfs defaults 0 0",
                "  #nfs.example:/old " + mnt.resolve("share/leases") + " nfs defaults 0 0",
                "nfs.example:/leases " + mnt.resolve("share/") + " nfs4 noauto 0 0", "/swapfile none swap sw 0 0",
                "/swapfile2 swap swap sw 0 0", "");
        mountinfo("26 1 8:1 / / rw - ext4 /dev/sda1 rw", "36 26 0:50 / " + mnt + " rw - nfs nfs.example:/all rw");

        assertEquals(Optional.of(mnt.resolve("share")), under(mnt.resolve("share")));
        assertEquals(Optional.of(mnt.resolve("share")), under(mnt.resolve("share/leases/../leases")));
        assertEquals("on the mounted one above it", Optional.empty(), under(mnt.resolve("other")));
        assertEquals("the root is always mounted", Optional.empty(), under(root.resolve("srv/leases")));

        mountinfo("36 26 0:50 / " + mnt.resolve("share") + " rw - nfs nfs.example:/leases rw");
        assertEquals("mounted", Optional.empty(), under(mnt.resolve("share/leases")));
        mountinfo("36 26 0:50 / " + mnt.resolve("share/leases") + " rw - tmpfs tmpfs rw");
        assertEquals("mounted deeper, on the way", Optional.empty(), under(mnt.resolve("share/leases")));
        assertEquals(Optional.of(mnt.resolve("share")), under(mnt.resolve("share/other")));
    }

    @Test
    public void spacesAndTabsAreOctalEscapesInBothFiles() throws Exception {
        Path share = Files.createDirectories(root.resolve("my share\tone"));
        String escaped = root + "/my\\040share\\011one";
        fstab("nfs.example:/leases\t" + escaped + "\tnfs\tdefaults\t0\t0");
        mountinfo("36 26 0:50 / " + root + "/my\\040share rw - nfs nfs.example:/other rw");
        assertEquals(Optional.of(share), under(share.resolve("leases")));

        mountinfo("36 26 0:50 / " + escaped + " rw - nfs nfs.example:/leases rw");
        assertEquals(Optional.empty(), under(share.resolve("leases")));
    }

    /**
     * A mount point the JVM cannot name as a path (a NUL escaped; under a locale without UTF-8, any name that is not
     * ASCII) threw InvalidPathException out of the file lock manager's start: every start and arrival refused.
     */
    @Test
    public void aMountPointThatIsNoPathSpoilsItsLineAlone() throws Exception {
        Path share = Files.createDirectories(root.resolve("mnt/share"));
        fstab("/dev/sdb1 /media/a\\000b vfat defaults 0 0", "nfs.example:/leases " + share + " nfs defaults 0 0");
        mountinfo("26 1 8:1 / / rw - ext4 /dev/sda1 rw", "40 26 8:17 / /media/a\\000b rw - vfat /dev/sdb1 rw");

        assertEquals(Optional.of(share), under(share.resolve("leases")));
    }

    /** A link onto the mount point leads where the leases would be written: the local directory. */
    @Test
    public void aLinkIsFollowed() throws Exception {
        Path share = Files.createDirectories(root.resolve("mnt/share"));
        Path link = Files.createSymbolicLink(root.resolve("leases"), share);
        fstab("nfs.example:/leases " + share + " nfs defaults 0 0");
        mountinfo("26 1 8:1 / / rw - ext4 /dev/sda1 rw");

        assertEquals(Optional.of(share), under(link));
        assertEquals("not there yet: resolved as far as it is", Optional.of(share), under(link.resolve("not/made")));
    }

    /** mountinfo names mount points with their links resolved; fstab as written: both are compared by real path. */
    @Test
    public void anFstabMountPointThroughALinkIsMatchedByWhereItLeads() throws Exception {
        Path share = Files.createDirectories(root.resolve("mnt/share"));
        Path lnk = Files.createSymbolicLink(root.resolve("lnk"), root.resolve("mnt"));
        fstab("nfs.example:/leases " + lnk.resolve("share") + " nfs defaults 0 0");
        mountinfo("36 26 0:50 / " + share + " rw - nfs nfs.example:/leases rw");
        assertEquals("mounted, asked as fstab names it", Optional.empty(), under(lnk.resolve("share/leases")));
        assertEquals("mounted, asked by its real path", Optional.empty(), under(share.resolve("leases")));

        mountinfo("26 1 8:1 / / rw - ext4 /dev/sda1 rw");
        assertEquals(Optional.of(lnk.resolve("share")), under(lnk.resolve("share/leases")));
        assertEquals(Optional.of(lnk.resolve("share")), under(share.resolve("leases")));
    }

    /**
     * An fstab mount point that is itself a link (/srv/leases -> /data/leases) is mounted where the link leads, as
     * mountinfo names it: asked by either name, the share was taken for unmounted while it was, and the local directory
     * taken for the share while it was not.
     */
    @Test
    public void anFstabMountPointThatIsALinkIsMatchedByWhereItLeads() throws Exception {
        Path data = Files.createDirectories(root.resolve("data/leases"));
        Files.createDirectories(root.resolve("srv"));
        Path srv = Files.createSymbolicLink(root.resolve("srv/leases"), Path.of("../var/leases"));
        Files.createDirectories(root.resolve("var")); // a chain of links, relative too, one through a linked parent
        Files.createSymbolicLink(root.resolve("var/leases"), root.resolve("opt/leases"));
        Files.createSymbolicLink(root.resolve("opt"), Path.of("data"));
        fstab("nfs.example:/leases " + srv + " nfs defaults 0 0");
        mountinfo("26 1 8:1 / / rw - ext4 /dev/sda1 rw", "36 26 0:50 / " + data + " rw - nfs nfs.example:/leases rw");
        assertEquals("mounted, asked as fstab names it", Optional.empty(), under(srv));
        assertEquals("mounted, asked where it leads", Optional.empty(), under(data));

        mountinfo("26 1 8:1 / / rw - ext4 /dev/sda1 rw");
        assertEquals(Optional.of(srv), under(srv.resolve("not/made")));
        assertEquals(Optional.of(srv), under(data));
        assertEquals(Optional.of(srv), under(Files.createSymbolicLink(root.resolve("leases"), data)));
    }

    /**
     * A look at a mount point asks the file system mounted there, and a hard NFS mount whose server is down hangs it:
     * one mountinfo lists is never looked at. A link stands for that file system here: looked at, it would lead away.
     */
    @Test
    public void aMountedMountPointIsNeverLookedAt() throws Exception {
        Files.createDirectories(root.resolve("srv"));
        Path srv = Files.createSymbolicLink(root.resolve("srv/leases"), Files.createDirectories(root.resolve("data")));
        fstab("nfs.example:/leases " + srv + " nfs defaults 0 0");
        mountinfo("26 1 8:1 / / rw - ext4 /dev/sda1 rw", "36 26 0:50 / " + srv + " rw - nfs nfs.example:/leases rw");
        assertEquals(Optional.empty(), under(srv));
    }

    /** A loop of links is no mount point the kernel mounts on: given up, not followed for ever. */
    @Test
    public void aLoopOfLinksIsGivenUp() throws Exception {
        Path loop = Files.createSymbolicLink(root.resolve("loop"), root.resolve("loop"));
        fstab("nfs.example:/leases " + loop + " nfs defaults 0 0");
        mountinfo("26 1 8:1 / / rw - ext4 /dev/sda1 rw");
        assertEquals(Optional.of(loop), under(loop));
    }

    /** One byte that is not UTF-8 (a USB stick's Latin-1 label) spoils its line alone, not the whole check. */
    @Test
    public void aLineThatIsNotUtf8SpoilsItselfAlone() throws Exception {
        Path share = Files.createDirectories(root.resolve("mnt/share"));
        byte[] label = ("nfs.example:/leases " + share + " nfs defaults 0 0\n/dev/sdb1 /media/\u00ff vfat 0 0\n")
                .getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
        Files.write(fstab, label);
        Files.write(mountinfo, ("26 1 8:1 / / rw - ext4 /dev/sda1 rw\n40 26 8:17 / /media/\u00ff rw - vfat /dev/sdb1"
                + " rw\n").getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        assertEquals(Optional.of(share), under(share.resolve("leases")));
    }

    /** A container has no fstab; a host whose mounts cannot be read is not checked, as before (warned). */
    @Test
    public void withoutFstabOrMountsNothingIsUnmounted() throws Exception {
        Path share = Files.createDirectories(root.resolve("mnt/share"));
        mountinfo("26 1 8:1 / / rw - ext4 /dev/sda1 rw");
        assertEquals(Optional.empty(), under(share));

        fstab("nfs.example:/leases " + share + " nfs defaults 0 0");
        Files.delete(mountinfo);
        assertEquals(Optional.empty(), under(share));
    }

    private Optional<Path> under(Path directory) {
        return new UnmountedShares(fstab, mountinfo).under(directory);
    }

    private void fstab(String... lines) throws IOException {
        Files.writeString(fstab, String.join("\n", lines) + "\n");
    }

    private void mountinfo(String... lines) throws IOException {
        Files.writeString(mountinfo, String.join("\n", lines) + "\n");
    }
}
