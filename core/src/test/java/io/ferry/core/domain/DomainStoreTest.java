package io.ferry.core.domain;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** The domain files' directories outlive a power cut. */
public class DomainStoreTest {
    @Rule
    public TemporaryFolder folder = new TemporaryFolder();

    /**
     * A state directory of an earlier version (its run directory recorded, so nothing is written into it at this
     * start) gains the directories it lacks, synced into it: a definition then synced inside one would not outlive a
     * power cut that took the directory's name.
     */
    @Test
    public void theDirectoriesAStartAddsAreSyncedIntoTheStateDirectory() throws Exception {
        Path state = folder.getRoot().toPath();
        Files.writeString(state.resolve("run-dir"), state.resolve("run") + "\n", StandardCharsets.UTF_8);
        List<Path> synced = new ArrayList<>();
        new DomainStore(state, state.resolve("run"), synced::add);
        assertEquals("domains/ then incoming/", List.of(state, state), synced);

        synced.clear();
        new DomainStore(state, state.resolve("run"), synced::add);
        assertEquals("nothing new", List.of(), synced);
    }

    /** An undefine must outlive a power cut: otherwise the definition the operator removed comes back at the next start. */
    @Test
    public void anUndefinedDefinitionStaysGoneAfterAPowerCut() throws Exception {
        Path state = folder.getRoot().toPath();
        List<Path> synced = new ArrayList<>();
        DomainStore store = new DomainStore(state, state.resolve("run"), synced::add);
        store.writeDefinition("web", "<domain/>");
        synced.clear();

        store.deleteDefinition("web");
        assertEquals("the removal is synced into domains/", List.of(state.resolve("domains")), synced);

        synced.clear();
        store.deleteDefinition("web");
        assertEquals("nothing removed, nothing synced", List.of(), synced);
    }

    /**
     * The run files of a QEMU whose guest migrated away are its driver's to delete once the process has ended, on its
     * own time, while Confirm deletes the domain's run directory: a file gone between the listing and its deletion is
     * gone as asked, not a failed Confirm that left the guest paused here while it ran on the destination (the walk
     * threw NoSuchFileException in about a third of these rounds).
     */
    @Test
    public void aRunDirectoryGoesWhileItsFilesGoByAnotherHand() throws Exception {
        Path state = folder.getRoot().toPath();
        DomainStore store = new DomainStore(state, state.resolve("run"));
        for (int round = 0; round < 200; round++) {
            UUID uuid = UUID.randomUUID();
            Path dir = state.resolve("run").resolve(uuid.toString());
            Files.createDirectories(dir.resolve("qemu"));
            List<Path> files = new ArrayList<>();
            for (String name : List.of("qmp.sock", "qemu.pid", "out.sock", "qemu/in.sock", "qemu.log")) {
                files.add(Files.createFile(dir.resolve(name)));
            }
            Thread driver = new Thread(() -> {
                for (Path file : files) {
                    try {
                        Files.deleteIfExists(file);
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }
            });
            driver.start();
            try {
                store.deleteRunDir(uuid);
            } finally {
                driver.join();
            }
            assertFalse("round " + round + ": " + dir, Files.exists(dir));
        }
    }
}
