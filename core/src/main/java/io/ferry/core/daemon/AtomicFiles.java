package io.ferry.core.daemon;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Writes files so that a crash leaves either the old content or the new, never half of one. Two strengths: {@link
 * #write} survives the host's crash (power lost), {@link #replace} the daemon's crash only, at a fraction of the
 * cost (no fsync). What a guest's safety rests on after a power cut (a commit point, a definition, snapshots) is
 * written; what only matters while the host's VMs live (they die with the host) is replaced.
 */
public final class AtomicFiles {
    private AtomicFiles() {
    }

    /** Makes a directory's entries durable (a test sees which directories are synced). */
    public interface DirectorySync {
        void force(Path directory) throws IOException;
    }

    /** fsync, skipped where the file system cannot sync a directory. */
    public static final DirectorySync FSYNC = AtomicFiles::syncDirectory;

    /**
     * As {@link Files#createDirectories}, and each directory it made synced into its parent: what is then written
     * durably inside a new directory would not outlive a power cut that took the directory's name.
     */
    public static Path createDirectories(Path dir) throws IOException {
        return createDirectories(dir, FSYNC);
    }

    /** As {@link #createDirectories(Path)}, syncing with {@code sync}. */
    public static Path createDirectories(Path dir, DirectorySync sync) throws IOException {
        Deque<Path> missing = new ArrayDeque<>();
        for (Path d = dir.toAbsolutePath().normalize(); d != null && !Files.isDirectory(d); d = d.getParent()) {
            missing.push(d);
        }
        Files.createDirectories(dir);
        for (Path made : missing) { // outermost first
            sync.force(made.getParent());
        }
        return dir;
    }

    /**
     * Temp file in the same directory, fsync, rename over the target, fsync the directory. On failure nothing of
     * the new content is left, and the error names the file and the cause ("No space left on device").
     */
    public static void write(Path target, byte[] content) throws IOException {
        write(target, content, FSYNC);
    }

    /**
     * As {@link #write}, without the fsyncs: the rename is atomic, so a crash of the daemon leaves the old content
     * or the new; a crash of the host may leave the old.
     */
    public static void replace(Path target, byte[] content) throws IOException {
        write(target, content, null);
    }

    /** As {@link #write}, syncing directories with {@code sync}; null: as {@link #replace}. */
    public static void write(Path target, byte[] content, DirectorySync sync) throws IOException {
        boolean durable = sync != null;
        Path directory = target.toAbsolutePath().getParent();
        try {
            if (!Files.isDirectory(directory)) { // createDirectories throws and catches an exception when it exists
                if (durable) {
                    createDirectories(directory, sync);
                } else {
                    Files.createDirectories(directory);
                }
            }
            Path temp = Files.createTempFile(directory, "." + target.getFileName(), ".tmp");
            try {
                try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                    ByteBuffer buffer = ByteBuffer.wrap(content);
                    while (buffer.hasRemaining()) {
                        channel.write(buffer);
                    }
                    if (durable) {
                        channel.force(true);
                    }
                }
                try {
                    Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } catch (AtomicMoveNotSupportedException e) {
                    Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
                }
            } finally {
                Files.deleteIfExists(temp);
            }
        } catch (IOException e) {
            throw new IOException("cannot write " + target + ": " + reason(e), e);
        }
        if (durable) {
            sync.force(directory);
        }
    }

    /** Renames {@code source} over {@code target} in one step (same file system) and syncs the target's directory. */
    public static void move(Path source, Path target) throws IOException {
        try {
            Files.move(source, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new IOException("cannot move " + source + " to " + target + ": " + reason(e), e);
        }
        syncDirectory(target.toAbsolutePath().getParent());
    }

    /** fsync of a directory's entries, skipped where the file system cannot sync a directory. */
    public static void syncDirectory(Path directory) {
        try (FileChannel dir = FileChannel.open(directory, StandardOpenOption.READ)) {
            dir.force(true);
        } catch (IOException e) {
            // some file systems cannot sync a directory; a rename or a delete is atomic all the same
        }
    }

    /** The operating system's reason alone ("No space left on device"), without the paths a FileSystemException adds. */
    public static String reason(IOException e) {
        if (e instanceof FileSystemException f && f.getReason() != null) {
            return f.getReason();
        }
        return e.getMessage() != null ? e.getMessage() : e.toString();
    }
}
