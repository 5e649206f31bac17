package io.ferry.core.domain;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A daemon's hold on its run directory ({@code ferryd.lock} in it, locked for as long as the daemon runs). Two
 * daemons given one run directory would each take the other's VMs for their own: the destination of a migration
 * between them would create its incoming VM over the running source's memory. The operating system drops the lock
 * when the process dies, so a killed daemon's successor takes it at once.
 */
public final class RunDirLock implements AutoCloseable {
    static final String FILE = "ferryd.lock";

    private final FileChannel channel;
    private final FileLock lock;

    private RunDirLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    /** @throws IOException naming the directory (and the holder's process, where known) when another daemon holds it */
    public static RunDirLock take(Path runDir) throws IOException {
        Path file = Files.createDirectories(runDir).resolve(FILE);
        FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        try {
            FileLock lock;
            try {
                lock = channel.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null; // held by this process: another daemon's framework in the same JVM
            }
            if (lock == null) {
                throw new IOException("the run directory " + runDir + " is in use by another daemon" + holder(file)
                        + ": give each daemon its own --run-dir (runDir)");
            }
            channel.truncate(0);
            channel.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII)), 0);
            return new RunDirLock(channel, lock);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
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
