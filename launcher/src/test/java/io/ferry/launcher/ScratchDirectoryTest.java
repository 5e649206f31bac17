package io.ferry.launcher;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * What a killed command left is deleted by the next one, only where a process id tells that its command is gone:
 * in this PID namespace. A command in another one (a container sharing the temporary directory) may be alive under a
 * process id that is free here.
 */
public class ScratchDirectoryTest {
    private static final String NAMESPACE = "1ulajuk";

    @Rule
    public TemporaryFolder folder = new TemporaryFolder();

    @Test
    public void onlyTheDirectoriesOfGoneProcessesOfThisPidNamespaceAreDeleted() throws Exception {
        Path tmp = folder.getRoot().toPath();
        long gone = goneProcessId();
        long alive = ProcessHandle.current().pid();
        Path killed = Files.createDirectories(tmp.resolve("ferry-offline-" + NAMESPACE + "-" + gone + "-1").resolve("state"));
        Path otherNamespace = Files.createDirectories(tmp.resolve("ferry-offline-1ulak0h-" + gone + "-2"));
        Path living = Files.createDirectories(tmp.resolve("ferry-offline-" + NAMESPACE + "-" + alive + "-3"));
        Path otherPrefix = Files.createDirectories(tmp.resolve("ferry-demo-" + NAMESPACE + "-" + gone + "-4"));

        try (ScratchDirectory scratch = ScratchDirectory.create(tmp, "ferry-offline-", NAMESPACE)) {
            String name = scratch.path().getFileName().toString();
            assertTrue(name, name.matches("ferry-offline-" + NAMESPACE + "-" + alive + "-[0-9a-z]{1,8}"));
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(scratch.path())));
            assertFalse("a gone command's directory of this namespace", Files.exists(killed));
            assertEquals(List.of(otherPrefix, otherNamespace, living, scratch.path()).stream().sorted().toList(), list(tmp));
        }
        assertEquals("its own is deleted once closed", List.of(otherPrefix, otherNamespace, living).stream().sorted().toList(),
                list(tmp));
    }

    /** Where this process's PID namespace cannot be read, nothing tells whose a process id is: nothing is deleted. */
    @Test
    public void withoutItsPidNamespaceACommandDeletesNothingElse() throws Exception {
        Path tmp = folder.getRoot().toPath();
        Path killed = Files.createDirectories(tmp.resolve("ferry-offline-" + NAMESPACE + "-" + goneProcessId() + "-1"));
        try (ScratchDirectory scratch = ScratchDirectory.create(tmp, "ferry-offline-", "")) {
            assertEquals(List.of(killed, scratch.path()).stream().sorted().toList(), list(tmp));
        }
    }

    @Test
    public void thisProcesssPidNamespaceIsRead() {
        assertTrue(ScratchDirectory.pidNamespace(), ScratchDirectory.pidNamespace().matches("[0-9a-z]+"));
    }

    private static long goneProcessId() throws IOException, InterruptedException {
        Process gone = new ProcessBuilder("true").start();
        gone.waitFor();
        return gone.pid();
    }

    private static List<Path> list(Path directory) throws IOException {
        try (Stream<Path> files = Files.list(directory)) {
            return files.sorted().toList();
        }
    }
}
