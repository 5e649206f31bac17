package io.ferry.plugin.lockstate;

import io.ferry.api.lock.LockException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The lease files of one request, each open and under its exclusive file lock from {@link #lock} to {@link #close},
 * so that they change all together or not at all. They are locked in the order of their names, the same on every
 * host, and never waited for: one that another process holds a lock on lets go of those locked already, and the
 * caller tries again later.
 */
final class LockedLeaseFiles implements AutoCloseable {
    /** Opens a lease file for reading and writing, creating it empty. */
    interface Opener {
        FileChannel open(Path file) throws IOException;
    }

    static final Opener FILES = LockedLeaseFiles::openOwnerOnly;

    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");
    private static final Set<OpenOption> READ_WRITE = Set.of(StandardOpenOption.CREATE, StandardOpenOption.READ,
            StandardOpenOption.WRITE);
    /** How long a try to lock a lease file again waits before the next. */
    static final Duration RETRY = Duration.ofMillis(50);

    /** A lease file that another process holds a lock on: another host changing it, or anyone who can open it. */
    static final class LockedElsewhere extends IOException {
        private static final long serialVersionUID = 1L;

        LockedElsewhere(Path file, String resource) {
            super("lease file " + file + " of resource " + resource + " is locked by another process");
        }
    }

    private static final class LockedFile {
        final String resource;
        final Path path;
        FileChannel channel;
        LeaseFile before;
        LeaseFile written;

        LockedFile(String resource, Path path) {
            this.resource = resource;
            this.path = path;
        }
    }

    private final Opener opener;
    private final Duration wait;
    private final List<LockedFile> files = new ArrayList<>();

    private LockedLeaseFiles(Opener opener, Duration wait) {
        this.opener = opener;
        this.wait = wait;
    }

    /**
     * @param wait how long a lease file whose lock an interrupt dropped is waited for again ({@link #write})
     * @throws LockedElsewhere another process holds a lock on one of the files: none is locked
     */
    static LockedLeaseFiles lock(Path directory, Collection<String> resources, Opener opener, Duration wait)
            throws IOException {
        Map<String, String> byName = new TreeMap<>();
        resources.forEach(resource -> byName.put(FileLockManager.key(resource) + ".lease", resource));
        LockedLeaseFiles locked = new LockedLeaseFiles(opener, wait);
        try {
            for (Map.Entry<String, String> name : byName.entrySet()) {
                LockedFile file = new LockedFile(name.getValue(), directory.resolve(name.getKey()));
                file.channel = opener.open(file.path);
                locked.files.add(file);
                if (file.channel.tryLock() == null) {
                    throw new LockedElsewhere(file.path, file.resource);
                }
            }
        } catch (IOException | RuntimeException e) {
            locked.close();
            throw e;
        }
        return locked;
    }

    /**
     * The lease file, its owner's alone: anyone who could open it could hold a lock on it (a read lock needs only read
     * access), and every change of the lease would wait for them. One an earlier version left readable is closed now.
     */
    private static FileChannel openOwnerOnly(Path file) throws IOException {
        if (!file.getFileSystem().supportedFileAttributeViews().contains("posix")) {
            return FileChannel.open(file, READ_WRITE);
        }
        FileChannel channel = FileChannel.open(file, READ_WRITE, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
        try {
            Set<PosixFilePermission> mode = Files.getPosixFilePermissions(file);
            if (!mode.equals(OWNER_ONLY)) {
                try {
                    Files.setPosixFilePermissions(file, OWNER_ONLY);
                } catch (IOException e) {
                    throw new IOException("cannot close lease file " + file + " to other users (mode "
                            + PosixFilePermissions.toString(mode) + "): chmod 600 it as its owner", e);
                }
            }
            return channel;
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    /** Every file's lease, by resource. */
    Map<String, LeaseFile> read() throws IOException, LockException {
        Map<String, LeaseFile> leases = new HashMap<>();
        for (LockedFile file : files) {
            file.before = LeaseFile.read(file.channel, file.path, file.resource);
            leases.put(file.resource, file.before);
        }
        return leases;
    }

    /**
     * Writes the leases that differ from what {@link #read} found. If a write fails, the files already written get
     * their previous lease back before the locks go, so nobody sees part of the change.
     *
     * @param durable forced to disk before it returns: an acquire must be (a host that took a lease keeps it through
     *        a power cut); a release need not (lost, the lease stays with the host that lost power: nobody else takes
     *        it, and a migration's switch-over does not wait for the disk)
     */
    void write(Map<String, LeaseFile> after, boolean durable) throws IOException {
        List<LockedFile> written = new ArrayList<>();
        try {
            for (LockedFile file : files) {
                LeaseFile lease = after.get(file.resource);
                if (!lease.equals(file.before)) {
                    file.written = lease;
                    written.add(file);
                    lease.write(file.channel);
                }
            }
            if (durable) {
                for (LockedFile file : written) {
                    file.channel.force(true);
                }
            }
        } catch (IOException | RuntimeException e) {
            putBack(written, e);
            throw e;
        }
    }

    private void putBack(List<LockedFile> written, Exception failure) {
        boolean interrupted = Thread.interrupted(); // else each channel this thread uses is closed at once
        try {
            for (LockedFile file : written) {
                try {
                    if (file.channel.isOpen() || lockAgainIfUnchanged(file)) {
                        file.before.write(file.channel);
                        file.channel.force(true);
                    }
                } catch (IOException | RuntimeException e) {
                    failure.addSuppressed(new IOException("cannot put the previous lease back into " + file.path, e));
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Waits {@link #RETRY} before the next try at a lease file another process holds a lock on; false, without
     * waiting, once {@code deadline} (of {@link System#nanoTime}) has passed.
     */
    static boolean pausedBeforeRetry(long deadline) throws InterruptedIOException {
        if (System.nanoTime() - deadline >= 0) {
            return false;
        }
        try {
            Thread.sleep(RETRY.toMillis());
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for a lease file another process holds a lock"
                    + " on");
        }
    }

    /**
     * An interrupt closed the file's channel, and its lock went with it: another host may have changed the file
     * since. Locks it again, waiting for another process's lock at most as long as a change does; true when it still
     * holds this change's lease (or the previous one, not yet overwritten).
     */
    private boolean lockAgainIfUnchanged(LockedFile file) throws IOException {
        file.channel = opener.open(file.path);
        long deadline = System.nanoTime() + wait.toNanos();
        while (file.channel.tryLock() == null) {
            if (!pausedBeforeRetry(deadline)) {
                throw new LockedElsewhere(file.path, file.resource);
            }
        }
        try {
            LeaseFile now = LeaseFile.read(file.channel, file.path, file.resource);
            return now.equals(file.written) || now.equals(file.before);
        } catch (LockException damaged) {
            return true; // this change's write cut short: no host writes over a damaged lease
        }
    }

    /** Closing a file releases its lock. */
    @Override
    public void close() {
        for (LockedFile file : files) {
            try {
                file.channel.close();
            } catch (IOException ignored) {
                // the descriptor and its lock are gone all the same; what the file holds is what counts
            }
        }
    }
}
