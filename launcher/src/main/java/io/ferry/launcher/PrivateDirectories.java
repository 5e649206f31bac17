package io.ferry.launcher;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * A daemon's directories, made its user's alone when ferryd makes them: definitions name disks, the run directory
 * holds guests' memory, and a lock file others could open could be held against the daemon. One that exists is left
 * as the operator made it.
 */
final class PrivateDirectories {
    private PrivateDirectories() {
    }

    static void create(Path directory) throws IOException {
        if (Files.isDirectory(directory)) {
            return;
        }
        Files.createDirectories(directory);
        if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
            Files.setPosixFilePermissions(directory, PosixFilePermissions.fromString("rwx------"));
        }
    }
}
