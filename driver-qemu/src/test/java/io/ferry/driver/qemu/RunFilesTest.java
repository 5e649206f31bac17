package io.ferry.driver.qemu;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.api.hypervisor.HypervisorException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** A VM's run files: the socket path limit, and QEMU's directory made afresh at each start. */
public class RunFilesTest {
    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    /** sun_path holds 107 bytes; the longest socket is qemu/in.sock. */
    @Test
    public void aRunDirectoryTooLongForTheLongestSocketIsRefused() throws Exception {
        String base = tmp.getRoot().toPath().toAbsolutePath().toString() + "/";
        new RunFiles(Path.of(base + "d".repeat(94 - base.length()))).check();
        Path tooLong = Path.of(base + "d".repeat(95 - base.length()));
        HypervisorException e = assertThrows(HypervisorException.class, () -> new RunFiles(tooLong).check());
        assertEquals("the run directory " + tooLong + " is too long for QEMU's unix sockets (at most 94 bytes): use a"
                + " shorter state directory", e.getMessage());
    }

    /**
     * What a QEMU left in its directory (a link where the next one's socket goes, the directory itself replaced by a
     * link) is deleted, never followed, and the directory made again as the daemon's alone.
     */
    @Test
    public void qemusDirectoryIsMadeAfreshWithoutFollowingWhatWasLeftThere() throws Exception {
        Path outside = tmp.newFolder("outside").toPath();
        Path kept = Files.writeString(outside.resolve("kept"), "not QEMU's");
        RunFiles files = new RunFiles(tmp.newFolder("vm").toPath());
        Files.createDirectory(files.qemuDir());
        Files.createSymbolicLink(files.incoming(), kept);
        Files.createSymbolicLink(files.qemuDir().resolve("junk"), outside);

        files.prepare(null);
        assertTrue(Files.isDirectory(files.qemuDir(), LinkOption.NOFOLLOW_LINKS));
        try (var left = Files.list(files.qemuDir())) {
            assertEquals(0, left.count());
        }
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(files.qemuDir())));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(files.dir())));
        assertEquals("not QEMU's", Files.readString(kept));

        Files.delete(files.qemuDir());
        Files.createSymbolicLink(files.qemuDir(), outside);
        files.prepare(null);
        assertFalse(Files.isSymbolicLink(files.qemuDir()));
        assertEquals("not QEMU's", Files.readString(kept));
    }
}
