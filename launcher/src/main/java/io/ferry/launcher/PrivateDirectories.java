package io.ferry.launcher;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * A daemon's directories, made its user's alone when ferryd makes them: definitions name disks, the run directory
 * holds guests' memory, and a lock file others could open could be held against the daemon. A run directory QEMU's
 * user must reach is made {@link #ENTERABLE} instead. One that exists is left as the operator made it.
 */
final class PrivateDirectories {
    static final String OWNER_ONLY = "rwx------";
    /**
     * Entered by others, neither listed nor written ({@code 0711}): a QEMU dropped to its user reaches its VM's
     * directory (itself closed to others) in the run directory; no one learns a name there it did not know.
     */
    static final String ENTERABLE = "rwx--x--x";

    private PrivateDirectories() {
    }

    static void create(Path directory) throws IOException {
        create(directory, OWNER_ONLY);
    }

    /** @param permissions {@code directory}'s if it is made here ({@link #OWNER_ONLY}, {@link #ENTERABLE}) */
    static void create(Path directory, String permissions) throws IOException {
        if (Files.isDirectory(directory)) {
            return;
        }
        Files.createDirectories(directory);
        if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
            Files.setPosixFilePermissions(directory, PosixFilePermissions.fromString(permissions));
        }
    }
}
