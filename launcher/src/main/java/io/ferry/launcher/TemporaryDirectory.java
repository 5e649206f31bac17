package io.ferry.launcher;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * ferryd's temporary files: the state directory's {@code tmp/}, emptied at every start and made the JVM's
 * {@code java.io.tmpdir}. FileInstall makes a directory there per watched directory at each start (through
 * {@code File.createTempFile}, which reads the property at its first use, as do the bundles that use it); in the
 * system's temporary directory, a daemon killed (SIGKILL, a power cut) left them for good, start after start. NIO's
 * {@code Files.createTempFile} without a directory took the property when the JVM started (JDK 17): Ferry's code
 * names its directory. Nothing here holds a socket, so a deep state directory is no harm.
 */
final class TemporaryDirectory {
    static final String NAME = "tmp";

    private TemporaryDirectory() {
    }

    /**
     * Call with the state directory held ({@link DirectoryLock}) and before anything has made a temporary file:
     * {@code java.io.File} reads {@code java.io.tmpdir} once, at its first temporary file.
     *
     * @return the directory, empty
     * @throws IllegalStateException when the run directory is in it: emptying it would delete running VMs' memory
     */
    static Path claim(Path stateDir, Path runDir) throws IOException {
        Path tmp = stateDir.resolve(NAME);
        if (runDir.toAbsolutePath().normalize().startsWith(tmp.toAbsolutePath().normalize())) {
            throw new IllegalStateException("the run directory " + runDir + " is in the state directory's " + NAME
                    + "/, which ferryd empties at every start: choose another --run-dir (runDir)");
        }
        try {
            PrivateDirectories.create(tmp);
            empty(tmp);
        } catch (IOException e) {
            throw new IOException("cannot empty the temporary directory " + tmp + ": " + e, e);
        }
        System.setProperty("java.io.tmpdir", tmp.toString());
        return tmp;
    }

    /**
     * Deletes what {@code tmp} holds, keeping {@code tmp}: its files, and links themselves (never what they point to);
     * stops at the first that cannot go. Also {@link ScratchDirectory}'s.
     */
    static void empty(Path tmp) throws IOException {
        Files.walkFileTree(tmp, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException failure) throws IOException {
                if (failure != null) {
                    throw failure;
                }
                if (!dir.equals(tmp)) {
                    Files.delete(dir);
                }
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
