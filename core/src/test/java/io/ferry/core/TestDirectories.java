package io.ferry.core;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * Temporary directories for core's tests: all in one directory per test JVM, which is deleted as the JVM ends. The
 * engine tests alone make two state directories per test (TestHost) and close none; in java.io.tmpdir they stayed,
 * thousands a run. A JVM killed leaves its one directory.
 */
public final class TestDirectories {
    private static final Path ROOT = root();

    private TestDirectories() {
    }

    /** A new, empty directory whose name starts with {@code prefix}. */
    public static Path create(String prefix) throws IOException {
        return Files.createTempDirectory(ROOT, prefix);
    }

    private static Path root() {
        try {
            Path root = Files.createTempDirectory("ferry-core-tests-");
            Runtime.getRuntime().addShutdownHook(new Thread(() -> delete(root), "delete " + root));
            return root;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Everything in it, links themselves (never what they point to); a test that took a permission away gets it back. */
    private static void delete(Path root) {
        try {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attributes) {
                    dir.toFile().setWritable(true, true);
                    dir.toFile().setExecutable(true, true);
                    dir.toFile().setReadable(true, true);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) throws IOException {
                    Files.deleteIfExists(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException failure) {
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path dir, IOException failure) throws IOException {
                    Files.deleteIfExists(dir);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            System.err.println("cannot delete the tests' directory " + root + ": " + e);
        }
    }
}
