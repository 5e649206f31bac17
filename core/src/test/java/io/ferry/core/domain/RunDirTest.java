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

    /**
     * An operator who deleted the record (cleaning up) was told to start the daemon with the state directory's run/,
     * where the VMs are not: started so, it took them for gone and gave their leases back while they ran.
     */
    @Test
    public void aDeletedRecordIsFoundAgainFromTheVmsRunDirectories() throws Exception {
        activeDomainRunningFrom(first);
        Files.delete(state.resolve("run-dir"));

        new DomainStore(state, first);
        assertEquals(first + "\n", Files.readString(state.resolve("run-dir"), StandardCharsets.UTF_8));

        Files.delete(state.resolve("run-dir"));
        IOException refused = assertThrows(IOException.class, () -> new DomainStore(state, second));
        assertEquals("the run directory record " + state.resolve("run-dir") + " is missing and the run directory " + second
                + " does not hold the VMs of the active domains (web): start the daemon with --run-dir naming the one that"
                + " does (runDir) until they are shut off", refused.getMessage());
    }

    /** A record a disk emptied (NUL bytes) stopped the daemon's start with "Nul character not allowed". */
    @Test
    public void aDamagedRecordIsFoundAgainFromTheVmsRunDirectories() throws Exception {
        activeDomainRunningFrom(first);
        Files.write(state.resolve("run-dir"), new byte[first.toString().length() + 1]);

        IOException refused = assertThrows(IOException.class, () -> new DomainStore(state, second));
        assertTrue(refused.getMessage(), refused.getMessage().startsWith("the run directory record "
                + state.resolve("run-dir") + " is damaged ("));
        new DomainStore(state, first);
        assertEquals(first + "\n", Files.readString(state.resolve("run-dir"), StandardCharsets.UTF_8));

        Files.writeString(state.resolve("run-dir"), "", StandardCharsets.UTF_8);
        new DomainStore(state, first);
        assertEquals(first + "\n", Files.readString(state.resolve("run-dir"), StandardCharsets.UTF_8));
    }

    /**
     * A definition may spell its UUID as libvirt reads it (upper case, no dashes, spaces), which its status file keeps
     * as written; its run directory is named by the canonical form. Looked for as written, its VM was not found, and
     * the daemon did not start, with any --run-dir.
     */
    @Test
    public void aRecordIsFoundAgainFromTheRunDirectoriesOfDomainsWhoseUuidIsSpeltOtherwise() throws Exception {
        UUID uuid = UUID.randomUUID();
        String hex = uuid.toString().replace("-", "");
        for (String spelt : new String[] {uuid.toString().toUpperCase(), hex, " " + hex.toUpperCase() + " "}) {
            activeDomainRunningFrom(first, uuid, spelt);
            Files.delete(state.resolve("run-dir"));

            new DomainStore(state, first);

            assertEquals(spelt, first + "\n", Files.readString(state.resolve("run-dir"), StandardCharsets.UTF_8));
        }
    }

    private void activeDomainRunningFrom(Path runDir) throws IOException {
        UUID uuid = UUID.randomUUID();
        activeDomainRunningFrom(runDir, uuid, uuid.toString());
    }

    private void activeDomainRunningFrom(Path runDir, UUID uuid, String spelt) throws IOException {
        DomainStore store = new DomainStore(state, runDir);
        store.runDir(uuid);
        store.writeStatus("web", "<domstatus state='running' reason='booted'><domain type='sim'><name>web</name><uuid>"
                + spelt + "</uuid></domain></domstatus>");
    }
}
