package io.ferry.driver.qemu;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * A domain's QEMU log ({@code NAME.log}), appended to by every start of the domain on this host. As libvirt's
 * virtlogd ({@code max_size} 2 MiB, {@code max_backups} 3), a log past {@link #MAX_BYTES} goes to {@code NAME.log.1}
 * (the older ones to {@code .2}, {@code .3}, the oldest dropped): moved before QEMU starts, so that a domain started
 * or migrated here over and over does not fill the disk, and copied and emptied in place while QEMU runs
 * ({@link #truncateIfFull}), so that a QEMU that writes without end (a guest that makes it report errors over and
 * over) does not either. QEMU writes to the file itself and outlives the daemon: no pipe through the daemon.
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
        shiftBackups(log);
        Files.move(log, backup(log, 1), StandardCopyOption.REPLACE_EXISTING);
    }

    /**
     * The log of a running QEMU past {@link #MAX_BYTES}: its last {@link #MAX_BYTES} are copied to {@code NAME.log.1}
     * (the older ones shifted) and the file is emptied in place. QEMU holds it open for appending ({@code O_APPEND}),
     * so it writes on at the new end; what it writes between the copy and the truncation is lost, as with
     * logrotate's {@code copytruncate}. Emptied even when the copy cannot be written (a full disk, which the log
     * may have filled), and then fails saying so. Returns whether it did.
     */
    static boolean truncateIfFull(Path log) throws IOException {
        if (!Files.isRegularFile(log, LinkOption.NOFOLLOW_LINKS) || Files.size(log) <= MAX_BYTES) {
            return false;
        }
        shiftBackups(log);
        try (FileChannel live = FileChannel.open(log, StandardOpenOption.READ, StandardOpenOption.WRITE,
                LinkOption.NOFOLLOW_LINKS)) {
            IOException notKept = null;
            try (FileChannel kept = FileChannel.open(backup(log, 1), StandardOpenOption.WRITE,
                    StandardOpenOption.CREATE_NEW, LinkOption.NOFOLLOW_LINKS)) {
                long end = live.size();
                for (long at = Math.max(0, end - MAX_BYTES); at < end;) {
                    at += live.transferTo(at, end - at, kept);
                }
            } catch (IOException e) {
                notKept = e;
            }
            live.truncate(0); // even uncopied: a log that filled the disk must not keep it full
            if (notKept != null) {
                throw new IOException("emptied without a copy, as " + backup(log, 1) + " could not be written: "
                        + notKept, notKept);
            }
        }
        return true;
    }

    /** {@code .2} to {@code .3}, {@code .1} to {@code .2}: {@code .1} is free then. */
    private static void shiftBackups(Path log) throws IOException {
        Files.deleteIfExists(backup(log, BACKUPS));
        for (int i = BACKUPS - 1; i >= 1; i--) {
            if (Files.exists(backup(log, i))) {
                Files.move(backup(log, i), backup(log, i + 1), StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }

    static Path backup(Path log, int number) {
        return log.resolveSibling(log.getFileName() + "." + number);
    }
}
