package io.ferry.driver.qemu;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

import io.ferry.api.hypervisor.HypervisorException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** A VM's run files: the socket path limit, and what a previous VM left. */
public class RunFilesTest {
    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    /** sun_path holds 107 bytes; the longest sockets are qmp.sock and out.sock. */
    @Test
    public void aRunDirectoryTooLongForTheLongestSocketIsRefused() throws Exception {
        String base = tmp.getRoot().toPath().toAbsolutePath().toString() + "/";
        new RunFiles(Path.of(base + "d".repeat(98 - base.length()))).check();
        Path tooLong = Path.of(base + "d".repeat(99 - base.length()));
        HypervisorException e = assertThrows(HypervisorException.class, () -> new RunFiles(tooLong).check());
        assertEquals("the run directory " + tooLong + " is too long for QEMU's unix sockets (at most 98 bytes): use a"
                + " shorter state directory", e.getMessage());
    }

    /**
     * What a previous VM left (a link where the next one's socket goes) is deleted, never followed, and the directory
     * is the daemon's alone.
     */
    @Test
    public void whatAPreviousVmLeftIsDeletedWithoutFollowingIt() throws Exception {
        Path outside = tmp.newFolder("outside").toPath();
        Path kept = Files.writeString(outside.resolve("kept"), "not QEMU's");
        RunFiles files = new RunFiles(tmp.newFolder("vm").toPath());
        Files.createSymbolicLink(files.outgoing(), kept);
        Files.writeString(files.pidfile(), "1\n");

        files.prepare(null);
        try (var left = Files.list(files.dir())) {
            assertEquals(0, left.count());
        }
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(files.dir())));
        assertEquals("not QEMU's", Files.readString(kept));
    }
}
