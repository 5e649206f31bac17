package io.ferry.core.domain;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.UUID;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** The run directory ({@code --run-dir}) is not moved from under active domains (ferryd holds it for one daemon: DirectoryLockTest). */
public class RunDirTest {
    @Rule
    public TemporaryFolder folder = new TemporaryFolder();

    private Path state;
    private Path first;
    private Path second;

    @Before
    public void directories() throws IOException {
        state = folder.newFolder("state").toPath();
        first = folder.getRoot().toPath().resolve("first");
        second = folder.getRoot().toPath().resolve("second");
    }

    @Test
    public void theRunDirectoryMovesOnlyWhileNoDomainIsActive() throws Exception {
        DomainStore store = new DomainStore(state, first);
        assertEquals(first + "\n", Files.readString(state.resolve("run-dir"), StandardCharsets.UTF_8));
        store.writeStatus("web", "<domstatus/>");

        IOException refused = assertThrows(IOException.class, () -> new DomainStore(state, second));
        assertEquals("the run directory is " + second + " but the active domains (web) run from " + first
                + ": start the daemon with --run-dir " + first + " (runDir) until they are shut off", refused.getMessage());
        assertEquals("the record stays", first + "\n", Files.readString(state.resolve("run-dir"), StandardCharsets.UTF_8));

        new DomainStore(state, first).deleteStatus("web");
        new DomainStore(state, second);
        assertEquals(second + "\n", Files.readString(state.resolve("run-dir"), StandardCharsets.UTF_8));
    }

    @Test
    public void onlyTheDaemonsUserMayEnterAVmsRunDirectory() throws Exception {
        Path vm = new DomainStore(state, first).runDir(UUID.randomUUID());
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(vm)));
    }

    @Test
    public void aStateDirectoryFromBeforeTheSettingRanItsDomainsFromItsRunFolder() throws Exception {
        new DomainStore(state, state.resolve("run")).writeStatus("web", "<domstatus/>");
        Files.delete(state.resolve("run-dir")); // as a daemon from before the setting left it

        assertThrows(IOException.class, () -> new DomainStore(state, second));
        new DomainStore(state, state.resolve("run"));
        assertTrue(Files.exists(state.resolve("run-dir")));
    }
}
