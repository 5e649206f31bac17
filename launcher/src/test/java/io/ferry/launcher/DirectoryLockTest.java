package io.ferry.launcher;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
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
}
