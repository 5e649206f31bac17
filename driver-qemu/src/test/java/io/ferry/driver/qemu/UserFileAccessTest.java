package io.ferry.driver.qemu;

import static io.ferry.driver.qemu.UserFileAccess.READ;
import static io.ferry.driver.qemu.UserFileAccess.SEARCH;
import static io.ferry.driver.qemu.UserFileAccess.WRITE;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * What a user could open itself, by a file's mode bits and those of the directories on its way, as the kernel judges
 * it: the rule by which a file QEMU opens as root for its user grants that user nothing more.
 */
public class UserFileAccessTest {
    private static final int OWNER = 1000;
    private static final int GROUP = 2000;

    @Rule
    public final TemporaryFolder tmp = new TemporaryFolder();

    @Test
    public void theFirstClassOfBitsThatAppliesToTheUserDecides() {
        UserFileAccess owner = new UserFileAccess(OWNER, Set.of(3000));
        assertTrue(owner.grants(0600, OWNER, GROUP, READ | WRITE));
        assertFalse("an owner is denied what its group and others may", owner.grants(0066, OWNER, GROUP, READ));

        UserFileAccess member = new UserFileAccess(4000, Set.of(4000, GROUP)); // a group it is a member of
        assertTrue(member.grants(0640, OWNER, GROUP, READ));
        assertFalse("read is not read-write", member.grants(0640, OWNER, GROUP, READ | WRITE));
        assertFalse("a member is denied what others may", member.grants(0604, OWNER, GROUP, READ));

        UserFileAccess other = new UserFileAccess(5000, Set.of(5000));
        assertTrue(other.grants(0604, OWNER, GROUP, READ));
        assertFalse(other.grants(0660, OWNER, GROUP, READ));
        assertTrue(other.grants(0711, OWNER, GROUP, SEARCH));
        assertFalse(other.grants(0770, OWNER, GROUP, SEARCH));

        UserFileAccess root = new UserFileAccess(0, Set.of(0));
        assertTrue("root's bits are not looked at", root.grants(0, OWNER, GROUP, READ | WRITE));
    }

    @Test
    public void aDirectoryOnTheWayMustGrantSearchAndTheFileItsOwnAccess() throws Exception {
        Path root = tmp.getRoot().toPath().toRealPath();
        Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwx--x--x"));
        Path closed = Files.createDirectory(root.resolve("closed"));
        Files.setPosixFilePermissions(closed, PosixFilePermissions.fromString("rwxr--r--")); // listed, not entered
        Path file = Files.write(closed.resolve("base.raw"), new byte[512]);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        int owner = (Integer) Files.getAttribute(file, "unix:uid");
        int group = (Integer) Files.getAttribute(file, "unix:gid");
        UserFileAccess stranger = new UserFileAccess(owner + 1, Set.of());

        assertEquals(closed, stranger.denying(file, READ));
        assertNull("its owner enters", new UserFileAccess(owner, Set.of()).denying(file, READ));
        Files.setPosixFilePermissions(closed, PosixFilePermissions.fromString("rwx--x--x"));
        assertNull(stranger.denying(file, READ));
        assertEquals("others may not write it", file, stranger.denying(file, READ | WRITE));
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-rw----"));
        assertEquals(file, stranger.denying(file, READ));
        assertNull("a member of its group reads and writes it",
                new UserFileAccess(owner + 1, Set.of(group)).denying(file, READ | WRITE));
        assertEquals("mode 0660, owner " + owner + ", group " + group, UserFileAccess.modeOf(file));
    }
}
