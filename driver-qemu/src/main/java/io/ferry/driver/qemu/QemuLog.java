package io.ferry.driver.qemu;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * A domain's QEMU log ({@code NAME.log}), appended to by every start of the domain on this host. As libvirt's
 * virtlogd ({@code max_size} 2 MiB, {@code max_backups} 3), a log past {@link #MAX_BYTES} is moved to
 * {@code NAME.log.1} (the older ones to {@code .2}, {@code .3}, the oldest dropped) before QEMU starts, so that a
 * domain started or migrated here over and over does not fill the disk. QEMU writes to the file itself and
 * outlives the daemon, so a log is only rotated between two runs.
 */
final class QemuLog {
    static final long MAX_BYTES = 2L * 1024 * 1024;
    static final int BACKUPS = 3;

    private QemuLog() {
    }

    static void rotateIfFull(Path log) throws IOException {
        long size;
        try {
            size = Files.size(log);
        } catch (NoSuchFileException e) {
            return;
        }
        if (size <= MAX_BYTES) {
            return;
        }
        Files.deleteIfExists(backup(log, BACKUPS));
        for (int i = BACKUPS - 1; i >= 1; i--) {
            if (Files.exists(backup(log, i))) {
                Files.move(backup(log, i), backup(log, i + 1), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        Files.move(log, backup(log, 1), StandardCopyOption.REPLACE_EXISTING);
    }

    static Path backup(Path log, int number) {
        return log.resolveSibling(log.getFileName() + "." + number);
    }
}
