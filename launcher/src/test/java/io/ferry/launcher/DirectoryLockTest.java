package io.ferry.launcher;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** One ferryd per directory; another process's hold is {@code DaemonSettingsIT}'s, with real daemons. */
public class DirectoryLockTest {
    @Rule
    public TemporaryFolder folder = new TemporaryFolder();

    @Test
    public void aDirectoryIsHeldByOneDaemonAtATimeAndGivenBack() throws Exception {
        Path first = folder.newFolder("first").toPath();
        try (DirectoryLock held = DirectoryLock.take(first, "run directory", "--run-dir (runDir)")) {
            IOException refused = assertThrows(IOException.class, () -> DirectoryLock.take(first, "run directory", "--run-dir (runDir)"));
            assertEquals("the run directory " + first + " is in use by another ferryd (process " + ProcessHandle.current().pid()
                    + "): give each daemon its own --run-dir (runDir)", refused.getMessage());
            DirectoryLock.take(folder.newFolder("second").toPath(), "run directory", "--run-dir (runDir)").close();
        }
        DirectoryLock.take(first, "run directory", "--run-dir (runDir)").close();
    }

    @Test
    public void aDirectoryThatCannotBeLockedIsNamed() {
        Path missing = folder.getRoot().toPath().resolve("missing");
        IOException refused = assertThrows(IOException.class, () -> DirectoryLock.take(missing, "state directory", "--state-dir (stateDir)"));
        assertTrue(refused.getMessage(), refused.getMessage().startsWith("cannot lock the state directory " + missing + ": "));
    }

    /**
     * Anyone who can open the lock file can hold a shared lock on it and keep every later ferryd from starting: it
     * is its owner's alone, also when an older version left it readable.
     */
    @Test
    public void theLockFileIsItsOwnersAlone() throws Exception {
        Path state = folder.newFolder("state").toPath();
        Path file = Files.writeString(state.resolve(DirectoryLock.FILE), "123\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));

        try (DirectoryLock held = DirectoryLock.take(state, "state directory", "--state-dir (stateDir)")) {
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        }
        Path fresh = folder.newFolder("fresh").toPath();
        try (DirectoryLock held = DirectoryLock.take(fresh, "state directory", "--state-dir (stateDir)")) {
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(fresh.resolve(DirectoryLock.FILE))));
        }
    }

    /** The directories ferryd makes are its user's alone; one the operator made is left as it is. */
    @Test
    public void theDirectoriesFerrydMakesAreItsUsersAlone() throws Exception {
        Path made = folder.getRoot().toPath().resolve("var/state");
        Path existing = folder.newFolder("existing").toPath();
        Files.setPosixFilePermissions(existing, PosixFilePermissions.fromString("rwxr-x---"));

        PrivateDirectories.create(made);
        PrivateDirectories.create(existing);

        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(made)));
        assertEquals("rwxr-x---", PosixFilePermissions.toString(Files.getPosixFilePermissions(existing)));
    }
}
