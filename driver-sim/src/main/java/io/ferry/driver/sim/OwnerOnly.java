package io.ferry.driver.sim;

import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * The permissions of what holds a guest's data (its memory, the run directory around it): its owner's alone, the
 * daemon's user, as a QEMU guest's memory is its process's. Given when the file is created, so it is never readable
 * by others, not even for a moment; on a file system without POSIX permissions, none.
 */
final class OwnerOnly {
    private OwnerOnly() {
    }

    /** {@code rw-------} */
    static FileAttribute<?>[] file(Path path) {
        return permissions(path, "rw-------");
    }

    /** {@code rwx------} */
    static FileAttribute<?>[] directory(Path path) {
        return permissions(path, "rwx------");
    }

    private static FileAttribute<?>[] permissions(Path path, String permissions) {
        if (!path.getFileSystem().supportedFileAttributeViews().contains("posix")) {
            return new FileAttribute<?>[0];
        }
        return new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(permissions))};
    }
}
