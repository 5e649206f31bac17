package io.ferry.launcher;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * A ferryd's hold on one of its directories ({@code ferryd.lock} in it, locked for as long as the process runs).
 * Two daemons on one state directory would write each other's journals and definitions; two on one run directory
 * would each take the other's VMs for their own, and the destination of a migration between them would create its
 * incoming VM over the running source's memory. The operating system drops the lock when the process dies, so a
 * killed daemon's successor takes it at once.
 */
final class DirectoryLock implements AutoCloseable {
    static final String FILE = "ferryd.lock";
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");

    private final FileChannel channel;
    private final FileLock lock;

    private DirectoryLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    /**
     * @param what the directory's part ("state directory"), for the refusal
     * @param setting the flag and key that choose the directory ("--state-dir (stateDir)"), for the refusal
     * @throws IOException naming the directory, the holder's process where known, and the setting, when another
     *         ferryd holds it
     */
    static DirectoryLock take(Path dir, String what, String setting) throws IOException {
        Path file = dir.resolve(FILE);
        FileChannel channel;
        try {
            channel = open(file);
        } catch (IOException e) {
            throw new IOException("cannot lock the " + what + " " + dir + ": " + e, e);
        }
        try {
            FileLock lock;
            try {
                lock = channel.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null; // held in this process already
            }
            if (lock == null) {
                throw new IOException("the " + what + " " + dir + " is in use by another ferryd" + holder(file)
                        + ": give each daemon its own " + setting);
            }
            channel.truncate(0);
            channel.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII)), 0);
            return new DirectoryLock(channel, lock);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    /**
     * The lock file, its owner's alone: anyone who could open it could hold a shared lock on it and keep every later
     * ferryd from starting. One left readable by an older version is closed to others now.
     */
    private static FileChannel open(Path file) throws IOException {
        if (!FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
            return FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        }
        FileChannel channel = FileChannel.open(file, Set.of(StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE), PosixFilePermissions.asFileAttribute(OWNER_ONLY));
        Files.setPosixFilePermissions(file, OWNER_ONLY);
        return channel;
    }

    private static String holder(Path file) {
        try {
            String pid = Files.readString(file, StandardCharsets.US_ASCII).trim();
            return pid.matches("[0-9]{1,10}") ? " (process " + pid + ")" : "";
        } catch (IOException e) {
            return "";
        }
    }

    @Override
    public void close() throws IOException {
        try {
            lock.release();
        } finally {
            channel.close();
        }
    }
}
