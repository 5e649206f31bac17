package io.ferry.launcher;

import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** What ferryd takes code and settings from must be closed to other users' writes, up to the root. */
public class TrustedDirectoriesTest {
    @Rule
    public TemporaryFolder temp = new TemporaryFolder();

    @Test
    public void aDirectoryOnlyItsOwnerWritesIsTrusted() throws Exception {
        Path deploy = directory("deploy", "rwxr-xr-x");
        Files.writeString(deploy.resolve("section.jar"), "jar");
        TrustedDirectories.check("ferryd", "deploy directory", deploy, true);
    }

    @Test
    public void aDirectoryItsGroupMayWriteIsRefusedNamingTheFix() throws Exception {
        Path deploy = directory("deploy", "rwxrwxr-x");
        IOException e = assertThrows(IOException.class, () ->
                TrustedDirectories.check("ferryd", "deploy directory", deploy, true));
        assertTrue(e.getMessage(), e.getMessage().contains("may be written by its group or others (mode 775)"));
        assertTrue(e.getMessage(), e.getMessage().contains("chmod go-w " + deploy.toRealPath()));
    }

    @Test
    public void aBundleOthersMayRewriteIsRefused() throws Exception {
        Path deploy = directory("deploy", "rwxr-xr-x");
        Path jar = Files.writeString(deploy.resolve("section.jar"), "jar");
        Files.setPosixFilePermissions(jar, PosixFilePermissions.fromString("rw-rw-rw-"));
        IOException e = assertThrows(IOException.class, () ->
                TrustedDirectories.check("ferryd", "deploy directory", deploy, true));
        assertTrue(e.getMessage(), e.getMessage().contains(jar.toRealPath() + " may be written"));
    }

    /** Whoever may write a directory above may rename the trusted one away and put their own in its place. */
    @Test
    public void aDirectoryAboveOthersMayWriteIsRefusedUnlessSticky() throws Exception {
        Path above = directory("shared", "rwxrwxrwx");
        Path deploy = Files.createDirectory(above.resolve("deploy"));
        Files.setPosixFilePermissions(deploy, PosixFilePermissions.fromString("rwx------"));
        IOException e = assertThrows(IOException.class, () ->
                TrustedDirectories.check("ferryd", "deploy directory", deploy, false));
        assertTrue(e.getMessage(), e.getMessage().contains(above.toRealPath() + " may be written"));

        Files.setAttribute(above, "unix:mode", 01777); // as /tmp: nobody renames what is not theirs (links: below)
        TrustedDirectories.check("ferryd", "deploy directory", deploy, false);
    }

    /**
     * ferryd keeps using the path as named, not where it led at the check: whoever may repoint a link on it (theirs in
     * a sticky directory such as /dev/shm, or any in a directory they may write) chooses the directory afterwards.
     */
    @Test
    public void aLinkOthersMayRepointIsRefusedWhereverItLeads() throws Exception {
        Path sticky = directory("shm", "rwxrwxrwx");
        Files.setAttribute(sticky, "unix:mode", 01777);
        Path closed = directory("root", "rwx------");
        Path planted = Files.createSymbolicLink(sticky.resolve("ferry"), closed);
        Files.getFileAttributeView(planted, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                .setOwner(user("nobody"));
        IOException e = assertThrows(IOException.class, () ->
                TrustedDirectories.check("ferryd", "run directory", planted, false));
        assertTrue(e.getMessage(), e.getMessage().contains("the run directory " + planted + " cannot be trusted: it is"
                + " named through the link " + sticky.toRealPath().resolve("ferry") + ", which belongs to user 65534,"
                + " neither root nor ferryd's user, who could repoint it after this check"));

        Path open = directory("open", "rwxrwxrwx");
        Path inOpen = Files.createSymbolicLink(open.resolve("ferry"), closed);
        e = assertThrows(IOException.class, () -> TrustedDirectories.check("ferryd", "run directory", inOpen, false));
        assertTrue(e.getMessage(), e.getMessage().contains("it is named through the link "
                + open.toRealPath().resolve("ferry") + ", and " + open.toRealPath() + " may be written by its group or"
                + " others (mode 777)"));

        // links root made where only root may replace them (as /var/run -> ../run): where they lead is judged
        Files.delete(planted);
        Path rootOwned = Files.createSymbolicLink(sticky.resolve("ferry"), closed);
        TrustedDirectories.check("ferryd", "run directory", rootOwned, false);
        Path relative = Files.createSymbolicLink(temp.getRoot().toPath().resolve("run"), Path.of("shm/./ferry"));
        TrustedDirectories.check("ferryd", "run directory", relative, false);
        TrustedDirectories.check("ferryd", "run directory", relative.resolve("../root"), false);
    }

    @Test
    public void aLinkToADirectoryOthersMayWriteIsRefused() throws Exception {
        Path open = directory("open", "rwxrwxrwx");
        Path etc = directory("etc", "rwxr-xr-x");
        Files.createSymbolicLink(etc.resolve("hooks"), open);
        IOException e = assertThrows(IOException.class, () ->
                TrustedDirectories.check("ferryd", "settings directory", etc, true));
        assertTrue(e.getMessage(), e.getMessage().contains(open.toRealPath() + " may be written"));
    }

    /** Whoever may write above where a link leads may swap the directory it names, though the directory is closed. */
    @Test
    public void aLinkToAClosedDirectoryUnderOneOthersMayWriteIsRefused() throws Exception {
        Path open = directory("open", "rwxrwxrwx");
        Path closed = Files.createDirectory(open.resolve("hooks"));
        Files.setPosixFilePermissions(closed, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path etc = directory("etc", "rwxr-xr-x");
        Files.createSymbolicLink(etc.resolve("hooks"), closed);
        IOException e = assertThrows(IOException.class, () ->
                TrustedDirectories.check("ferryd", "settings directory", etc, true));
        assertTrue(e.getMessage(), e.getMessage().contains(open.toRealPath() + " may be written"));
    }

    @Test
    public void aLinkToAClosedFileInADirectoryOthersMayWriteIsRefused() throws Exception {
        Path open = directory("scripts", "rwxrwxrwx"); // not sticky: anyone may rename their own file over the hook
        Path hook = Files.createFile(open.resolve("ferry"));
        Files.setPosixFilePermissions(hook, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path hooks = directory("hooks", "rwxr-xr-x");
        Files.createSymbolicLink(hooks.resolve("ferry"), hook);
        IOException e = assertThrows(IOException.class, () ->
                TrustedDirectories.check("ferryd", "hook directory", hooks, true));
        assertTrue(e.getMessage(), e.getMessage().contains(open.toRealPath() + " may be written"));
    }

    /** A link may lead deeper into the directory: whoever may write a directory on the way there replaces the file. */
    @Test
    public void aLinkToAClosedFileDeeperInTheDirectoryIsRefusedIfADirectoryOnTheWayIsOpen() throws Exception {
        Path etc = directory("etc", "rwxr-xr-x");
        Path sub = Files.createDirectory(etc.resolve("sub"));
        Files.setPosixFilePermissions(sub, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path deep = Files.createDirectory(sub.resolve("deep"));
        Files.setPosixFilePermissions(deep, PosixFilePermissions.fromString("rwxrwxrwx"));
        Path cfg = Files.writeString(deep.resolve("x.cfg"), "leaseDir=/srv/leases");
        Files.setPosixFilePermissions(cfg, PosixFilePermissions.fromString("rw-r--r--"));
        Files.createSymbolicLink(etc.resolve("x.cfg"), cfg);
        IOException e = assertThrows(IOException.class, () ->
                TrustedDirectories.check("ferryd", "settings directory", etc, true));
        assertTrue(e.getMessage(), e.getMessage().contains(deep.toRealPath() + " may be written by its group or"
                + " others (mode 777)"));
        assertTrue(e.getMessage(), e.getMessage().contains("chmod go-w " + deep.toRealPath()));

        Files.setPosixFilePermissions(deep, PosixFilePermissions.fromString("rwxr-xr-x"));
        TrustedDirectories.check("ferryd", "settings directory", etc, true);
    }

    /** A sticky directory's owner may rename or delete anything in it, and chmod it: root or ferryd's user only. */
    @Test
    public void aStickyDirectoryAboveALinksTargetIsRefusedIfAnotherUserOwnsIt() throws Exception {
        Path drop = directory("drop", "rwxrwxrwx");
        Files.setAttribute(drop, "unix:mode", 01777);
        Path cfg = Files.writeString(drop.resolve("x.cfg"), "leaseDir=/srv/leases");
        Files.setPosixFilePermissions(cfg, PosixFilePermissions.fromString("rw-r--r--"));
        Path etc = directory("etc", "rwxr-xr-x");
        Files.createSymbolicLink(etc.resolve("x.cfg"), cfg);
        TrustedDirectories.check("ferryd", "settings directory", etc, true); // root's, as /tmp

        Files.setOwner(drop, user("nobody"));
        IOException e = assertThrows(IOException.class, () ->
                TrustedDirectories.check("ferryd", "settings directory", etc, true));
        assertTrue(e.getMessage(), e.getMessage().contains("the settings directory " + etc + " cannot be trusted: "
                + drop.toRealPath() + " belongs to user 65534, neither root nor ferryd's user"));

        Files.delete(etc.resolve("x.cfg")); // deeper in the directory: etc/x.cfg -> sub/drop/x.cfg
        Path sub = Files.createDirectory(etc.resolve("sub"));
        Files.setPosixFilePermissions(sub, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path deep = Files.createDirectory(sub.resolve("drop"));
        Files.setAttribute(deep, "unix:mode", 01777);
        Files.setOwner(deep, user("nobody"));
        Files.createSymbolicLink(etc.resolve("x.cfg"), Files.writeString(deep.resolve("x.cfg"), "leaseDir=/srv"));
        e = assertThrows(IOException.class, () -> TrustedDirectories.check("ferryd", "settings directory", etc, true));
        assertTrue(e.getMessage(), e.getMessage().contains(deep.toRealPath() + " belongs to user 65534"));
    }

    @Test
    public void aDirectoryOfAnotherUserIsRefused() throws Exception {
        Path deploy = directory("deploy", "rwxr-xr-x");
        Files.setOwner(deploy, user("nobody"));
        IOException e = assertThrows(IOException.class, () ->
                TrustedDirectories.check("ferryd", "deploy directory", deploy, false));
        assertTrue(e.getMessage(), e.getMessage().contains("neither root nor ferryd's user"));
    }

    private static UserPrincipal user(String name) throws IOException {
        return Path.of("/").getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName(name);
    }

    private Path directory(String name, String permissions) throws IOException {
        Path dir = temp.newFolder(name).toPath();
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString(permissions));
        return dir;
    }
}
