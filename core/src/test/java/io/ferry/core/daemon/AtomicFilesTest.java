package io.ferry.core.daemon;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** Whole files or none: the directory made when missing, the old content replaced, nothing left of a failed write. */
public class AtomicFilesTest {
    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    @Test
    public void aWriteMakesTheMissingDirectoriesAndAnotherReplacesTheContent() throws Exception {
        Path target = tmp.getRoot().toPath().resolve("state/journal/entry.xml");
        AtomicFiles.write(target, bytes("one"));
        assertEquals("one", Files.readString(target));
        AtomicFiles.replace(target, bytes("two"));
        assertEquals("two", Files.readString(target));
        AtomicFiles.write(target, bytes("three"));
        assertEquals("three", Files.readString(target));
        assertEquals("no temporary file is left", List.of(target), list(target.getParent()));
    }

    /** A durable write into a directory it had to make: the new directories' names must outlive a power cut too. */
    @Test
    public void aDurableWriteSyncsTheDirectoriesItMadeIntoTheirParents() throws Exception {
        Path root = tmp.getRoot().toPath();
        Path target = root.resolve("state/journal/entry.xml");
        List<Path> synced = new ArrayList<>();
        AtomicFiles.write(target, bytes("one"), synced::add);
        assertEquals(List.of(root, root.resolve("state"), root.resolve("state/journal")), synced);

        synced.clear();
        AtomicFiles.write(target, bytes("two"), synced::add);
        assertEquals("the directory exists: only the rename is synced", List.of(root.resolve("state/journal")), synced);
    }

    @Test
    public void aWriteThatCannotHappenNamesTheFileAndLeavesNothing() throws Exception {
        Path notADirectory = tmp.newFile("plain").toPath();
        Path target = notADirectory.resolve("entry.xml");
        IOException e = assertThrows(IOException.class, () -> AtomicFiles.write(target, bytes("one")));
        assertTrue(e.getMessage(), e.getMessage().startsWith("cannot write " + target + ": "));
        assertEquals(List.of(notADirectory), list(tmp.getRoot().toPath()));
    }

    /** The operating system's reason follows the file's name once: not again with the temporary file's. */
    @Test
    public void aFailedWriteGivesTheSystemsReasonWithoutItsPaths() throws Exception {
        Path target = tmp.newFolder("entry.xml").toPath();
        Files.writeString(target.resolve("inside"), "a directory with something in it");
        IOException e = assertThrows(IOException.class, () -> AtomicFiles.write(target, bytes("one")));
        assertEquals("cannot write " + target + ": Is a directory", e.getMessage());
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static List<Path> list(Path directory) throws IOException {
        try (Stream<Path> files = Files.list(directory)) {
            return files.toList();
        }
    }
}
