package io.ferry.plugin.lockstate;

import io.ferry.api.lock.LockException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The lease files of one request, each open and under its exclusive file lock from {@link #lock} to {@link #close},
 * so that they change all together or not at all. They are locked in the order of their names, the same on every
 * host: two hosts locking files they share never wait for each other in a circle.
 */
final class LockedLeaseFiles implements AutoCloseable {
    /** Opens a lease file for reading and writing, creating it empty. */
    interface Opener {
        FileChannel open(Path file) throws IOException;
    }

    static final Opener FILES = file -> FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
            StandardOpenOption.WRITE);

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
    private final List<LockedFile> files = new ArrayList<>();

    private LockedLeaseFiles(Opener opener) {
        this.opener = opener;
    }

    static LockedLeaseFiles lock(Path directory, Collection<String> resources, Opener opener) throws IOException {
        Map<String, String> byName = new TreeMap<>();
        resources.forEach(resource -> byName.put(FileLockManager.key(resource) + ".lease", resource));
        LockedLeaseFiles locked = new LockedLeaseFiles(opener);
        try {
            for (Map.Entry<String, String> name : byName.entrySet()) {
                LockedFile file = new LockedFile(name.getValue(), directory.resolve(name.getKey()));
                file.channel = opener.open(file.path);
                locked.files.add(file);
                file.channel.lock();
            }
        } catch (IOException | RuntimeException e) {
            locked.close();
            throw e;
        }
        return locked;
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
     * An interrupt closed the file's channel, and its lock went with it: another host may have changed the file
     * since. Locks it again; true when it still holds this change's lease (or the previous one, not yet overwritten).
     */
    private boolean lockAgainIfUnchanged(LockedFile file) throws IOException {
        file.channel = opener.open(file.path);
        file.channel.lock();
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
