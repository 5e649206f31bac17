package io.ferry.core.domain;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
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

    /**
     * A QEMU of another VM (all run as one user, which owns {@code qemu/} in a run directory of an earlier build) flips
     * a directory there between itself, renamed aside, and a link to a tree outside while the run directory goes: the
     * deletion, the daemon's as root, must never reach through the link (before, it deleted by path names: an unlink of
     * {@code qemu/d/NAME} with {@code d} become a link to {@code /etc} deleted {@code /etc/NAME}).
     */
    @Test
    public void aDirectoryFlippedToALinkDuringTheDeletionLeavesItsTargetWhole() throws Exception {
        raceTheDeletionOf("qemu/d");
    }

    /** As above, a level down: a subdirectory the walk has read as one is a link by the time it is opened. */
    @Test
    public void aSubdirectoryFlippedToALinkDuringTheDeletionLeavesItsTargetWhole() throws Exception {
        raceTheDeletionOf("qemu/d/sub");
    }

    private void raceTheDeletionOf(String flipped) throws Exception {
        Path state = folder.getRoot().toPath();
        DomainStore store = new DomainStore(state, state.resolve("run"));
        Path outside = fill(Files.createDirectory(state.resolve("outside")));
        List<Path> victims = treeOf(outside);
        for (int round = 0; round < 100; round++) {
            UUID uuid = UUID.randomUUID();
            Path dir = state.resolve("run").resolve(uuid.toString());
            fill(Files.createDirectories(dir.resolve("qemu/d")));
            AtomicBoolean deleted = new AtomicBoolean();
            Thread qemu = flipper(dir.resolve(flipped), outside, deleted);
            qemu.start();
            try {
                store.deleteRunDir(uuid);
            } catch (IOException e) {
                // the flips may leave the deletion a directory filled behind it, or a link where it opens one
            } finally {
                deleted.set(true);
                qemu.join();
            }
            assertEquals("round " + round + ": deleted outside the run directory", List.of(), lost(victims));
            store.deleteRunDir(uuid);
            assertFalse("round " + round + ": " + dir, Files.exists(dir, LinkOption.NOFOLLOW_LINKS));
        }
    }

    /** Files named alike, and a subdirectory of them: wherever the walk is, a name it unlinks has a twin outside. */
    private static Path fill(Path dir) throws IOException {
        Files.createDirectory(dir.resolve("sub"));
        for (int i = 0; i < 50; i++) {
            Files.createFile(dir.resolve("victim-" + i));
            Files.createFile(dir.resolve("sub/victim-" + i));
        }
        return dir;
    }

    private static List<Path> treeOf(Path dir) throws IOException {
        try (Stream<Path> tree = Files.walk(dir)) {
            return tree.sorted().toList();
        }
    }

    private static List<Path> lost(List<Path> victims) {
        return victims.stream().filter(victim -> !Files.exists(victim, LinkOption.NOFOLLOW_LINKS)).toList();
    }

    /** A hostile QEMU: {@code flipped} is itself (renamed aside and back) or a link to {@code outside}, by turns. */
    private static Thread flipper(Path flipped, Path outside, AtomicBoolean stop) {
        Path aside = flipped.resolveSibling("aside");
        return new Thread(() -> {
            try {
                while (!stop.get()) {
                    Files.move(flipped, aside);
                    Files.createSymbolicLink(flipped, outside);
                    Files.delete(flipped);
                    Files.move(aside, flipped);
                }
            } catch (IOException e) {
                // the deletion took what it flips: nothing left to flip
            }
        });
    }

    /** A link in a run directory goes as a link: what it points to stays whole. */
    @Test
    public void aLinkInARunDirectoryGoesWithoutItsTarget() throws Exception {
        Path state = folder.getRoot().toPath();
        DomainStore store = new DomainStore(state, state.resolve("run"));
        Path outside = fill(Files.createDirectory(state.resolve("outside")));
        List<Path> victims = treeOf(outside);
        UUID uuid = UUID.randomUUID();
        Path dir = state.resolve("run").resolve(uuid.toString());
        Files.createDirectories(dir.resolve("qemu/d"));
        Files.createSymbolicLink(dir.resolve("qemu/d/sub"), outside);
        Files.createSymbolicLink(dir.resolve("qemu/victim-0"), outside.resolve("victim-0"));
        Files.createSymbolicLink(dir.resolve("out.sock"), outside.resolve("sub"));

        store.deleteRunDir(uuid);
        assertFalse(Files.exists(dir, LinkOption.NOFOLLOW_LINKS));
        assertEquals(List.of(), lost(victims));

        Files.createDirectories(state.resolve("run"));
        Files.createSymbolicLink(dir, outside); // the run directory itself a link: the link goes
        store.deleteRunDir(uuid);
        assertFalse(Files.exists(dir, LinkOption.NOFOLLOW_LINKS));
        assertEquals(List.of(), lost(victims));
    }

    /**
     * A tree deeper than the daemon makes is a hostile QEMU's, which would cost an open directory and a stack frame a
     * level (by path names, a path's 4096 bytes bounded it): refused, naming where, at 64 directories below the top.
     */
    @Test
    public void aRunDirectoryNestedTooDeepIsRefusedNamingWhere() throws Exception {
        Path state = folder.getRoot().toPath();
        DomainStore store = new DomainStore(state, state.resolve("run"));
        UUID uuid = UUID.randomUUID();
        Path dir = state.resolve("run").resolve(uuid.toString());
        Path deepest = Files.createDirectories(dir.resolve("qemu" + "/d".repeat(62)));
        store.deleteRunDir(uuid);
        assertFalse(Files.exists(dir, LinkOption.NOFOLLOW_LINKS));

        Files.createDirectories(deepest.resolve("d"));
        IOException e = assertThrows(IOException.class, () -> store.deleteRunDir(uuid));
        assertEquals("cannot delete " + deepest.resolve("d") + ": directories nested more than 64 deep",
                e.getMessage());
    }
}
