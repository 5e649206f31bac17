package io.ferry.plugin.lockstate;

import io.ferry.api.host.HostSettings;
import io.ferry.api.lock.Lease;
import io.ferry.api.lock.LeaseRequest;
import io.ferry.api.lock.LockException;
import io.ferry.api.lock.LockManager;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded lock manager, like libvirt's lockd: a lease per resource (a disk, the domain itself) in a directory
 * every host shares ({@code leaseDir}, {@code ferryd --lease-dir}). A lease's state is its generation, which every
 * acquire and release advances: presenting the generation a release returned proves nobody used the disk in between,
 * and a lease this host holds for the domain one generation past it was taken by the very take presented again.
 * A state that names no generation of a requested resource (one from a peer or a record before domain leases) takes
 * that lease as a free one; one that names a resource not requested (given to an earlier version) is ignored.
 */
@Component(service = LockManager.class, property = LockManager.NAME + "=file",
        configurationPid = "io.ferry.plugin.lockstate", configurationPolicy = ConfigurationPolicy.OPTIONAL)
public class FileLockManager implements LockManager {
    /** The configuration of the file lock manager. */
    public @interface Config {
        /**
         * The shared lease directory (ferryd --lease-dir), relative to the installation; it must be there unless it
         * is the default, and mounted when fstab mounts it. Empty: var/leases of the installation.
         */
        String leaseDir() default "";
    }

    /**
     * One change of lease files at a time in this JVM, whose file locks are the JVM's, not a thread's: a second lock of
     * a file it has locked already fails at once (OverlappingFileLockException) instead of waiting, and closing any
     * channel of a file may drop every lock the JVM holds on it.
     */
    private static final ReentrantLock CHANGES = new ReentrantLock();
    /**
     * How long a change waits for a lease file another process holds a lock on (another host's change of it, which
     * takes moments): well within the 30 s a domain's job is waited for, with two changes in one job.
     */
    static final Duration WAIT = Duration.ofSeconds(10);
    /** The lease directory when none is configured, relative to the installation: the only one this manager makes. */
    private static final String DEFAULT_DIRECTORY = "var/leases";
    private static final Logger LOG = LoggerFactory.getLogger(FileLockManager.class);
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rwx------");

    private final Path directory;
    private final LockedLeaseFiles.Opener files;
    private final Duration wait;
    private final UnmountedShares shares;

    @Activate
    public FileLockManager(@Reference HostSettings host, Config config) throws IOException {
        this(host, config, UnmountedShares.SYSTEM);
    }

    FileLockManager(HostSettings host, Config config, UnmountedShares shares) throws IOException {
        this(leaseDirectory(host, config.leaseDir().isBlank() ? DEFAULT_DIRECTORY : config.leaseDir().trim(), shares),
                LockedLeaseFiles.FILES, WAIT, shares);
    }

    FileLockManager(Path directory, LockedLeaseFiles.Opener files) {
        this(directory, files, WAIT);
    }

    FileLockManager(Path directory, LockedLeaseFiles.Opener files, Duration wait) {
        this(directory, files, wait, UnmountedShares.SYSTEM);
    }

    private FileLockManager(Path directory, LockedLeaseFiles.Opener files, Duration wait, UnmountedShares shares) {
        this.directory = directory;
        this.files = files;
        this.wait = wait;
        this.shares = shares;
    }

    /**
     * The lease directory. The default, var/leases, is made its user's alone when it is not there. Any other is the
     * directory the hosts share, and must be there: one missing is a share not mounted (yet), and a directory made in
     * its place would be this host's alone, whose leases keep no other host from running the same guest. So would the
     * mount point of a share of fstab not mounted, a local directory that is there all the same, and one under it.
     * One that is there (an NFS mount, an operator's) is taken as it is: its lease files are closed to others all the
     * same ({@link LockedLeaseFiles#FILES}).
     */
    private static Path leaseDirectory(HostSettings host, String configured, UnmountedShares shares)
            throws IOException {
        Path directory = host.resolve(configured);
        if (!Files.isDirectory(directory) && !normal(directory).equals(normal(host.resolve(DEFAULT_DIRECTORY)))) {
            String problem = Files.exists(directory) ? " is not a directory"
                    : " (leaseDir, --lease-dir) does not exist: the directory every host shares must be there"
                            + " before ferryd starts (is its share mounted?); ferryd makes only its default, "
                            + DEFAULT_DIRECTORY;
            throw refusal(directory + problem);
        }
        Optional<String> unmounted = unmounted(directory, shares);
        if (unmounted.isPresent()) {
            throw refusal(unmounted.get() + ": the directory every host shares must be mounted before ferryd starts"
                    + " (mount it; the unit bin/ferryd-systemd-unit prints waits for it)");
        }
        if (Files.isDirectory(directory)) {
            return directory;
        }
        Path parent = directory.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        try {
            if (directory.getFileSystem().supportedFileAttributeViews().contains("posix")) {
                Files.createDirectory(directory, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
            } else {
                Files.createDirectory(directory);
            }
        } catch (FileAlreadyExistsException e) {
            if (!Files.isDirectory(directory)) {
                throw e;
            }
        }
        return directory;
    }

    /** Why {@code directory} is not the share's, if it is on a mount point of fstab that is not mounted. */
    private static Optional<String> unmounted(Path directory, UnmountedShares shares) {
        return shares.under(directory).map(mountPoint -> directory + " is on " + mountPoint + ", which "
                + shares.fstab() + " mounts and which is not mounted");
    }

    /** Logged as the ZooKeeper manager logs its start refusals, and thrown: the component does not activate. */
    private static IOException refusal(String problem) {
        LOG.error("the file lock manager cannot start: lease directory {}", problem);
        return new IOException("lease directory " + problem);
    }

    private static Path normal(Path path) {
        return path.toAbsolutePath().normalize();
    }

    @Override
    public boolean usesState() {
        return true;
    }

    /** All or nothing: a lease refused, or a write failed, leaves every lease file of the request as it was. */
    @Override
    public Lease acquire(LeaseRequest request, String state) throws LockException {
        Map<String, Long> expected = state == null ? Map.of() : parse(state);
        return new FileLease(this, request, change(request, "take", true,
                lease -> take(request, lease, expected.get(key(lease.resource())))));
    }

    private static LeaseFile take(LeaseRequest request, LeaseFile lease, Long expectedGeneration) throws LockException {
        if (heldByAnother(request, lease)) {
            throw new LockException(refusal(lease));
        }
        // held, and not by another: this host's for this domain. One past the released state, it is a take of its own
        // that its daemon, killed before recording it, repeats: each change advances the lease once, so nothing else
        // came between (as ZooKeeper's take repeated after its answer was lost)
        boolean tookItUnanswered = lease.held() && expectedGeneration != null
                && lease.generation() == expectedGeneration + 1;
        if (expectedGeneration != null && lease.generation() != expectedGeneration && !tookItUnanswered) {
            throw new LockException("lease of " + lease.resource() + " changed since it was released (generation "
                    + lease.generation() + ", expected " + expectedGeneration + "): another host used it meanwhile");
        }
        if (lease.held()) {
            return lease; // already ours (a restarted daemon taking its running VM's leases again, or repeating a take)
        }
        return new LeaseFile(lease.resource(), true, request.owner(), request.ownerUuid().toString(), request.domainName(),
                lease.generation() + 1);
    }

    /**
     * Held, and not this host's for this domain: another domain of this host on the same disk is another writer, as
     * lockd has it.
     */
    private static boolean heldByAnother(LeaseRequest request, LeaseFile lease) {
        boolean mine = lease.ownerUuid().equals(request.ownerUuid().toString()) && lease.domain().equals(request.domainName());
        return lease.held() && !mine;
    }

    private static String refusal(LeaseFile lease) {
        return "resource " + lease.resource() + " is held by " + lease.owner() + " (" + lease.ownerUuid() + ") for domain "
                + lease.domain();
    }

    /** Reads the leases under their file locks and writes none: the first of the request's held by another, refused. */
    @Override
    public Optional<String> heldElsewhere(LeaseRequest request) throws LockException {
        Map<String, String> refusals = new HashMap<>();
        change(request, "read", false, lease -> {
            if (heldByAnother(request, lease)) {
                refusals.put(lease.resource(), refusal(lease));
            }
            return lease; // unchanged: nothing is written
        });
        return request.resources().stream().map(refusals::get).filter(Objects::nonNull).findFirst();
    }

    /**
     * Releases the request's leases that are this host's, all or none, not forced to disk (lost in a power cut, a
     * release leaves the lease with the host that lost power: nobody else takes it, and a migration's switch-over does
     * not wait for the disk). Returns each lease's generation after it.
     */
    Map<String, Long> giveBack(LeaseRequest request) throws LockException {
        return change(request, "give back", false, lease -> lease.held() && lease.ownerUuid().equals(request.ownerUuid().toString())
                ? new LeaseFile(lease.resource(), false, "", "", "", lease.generation() + 1) : lease);
    }

    private interface Change {
        LeaseFile apply(LeaseFile lease) throws LockException;
    }

    /**
     * Changes each lease of the request, or none; returns each one's generation after, in the request's order. A lease
     * file another process holds a lock on is tried again, the other changes of this daemon going on meanwhile, for
     * {@link #WAIT} at most: it fails then as a store that cannot be reached (with a cause), not as a refusal. It
     * says nothing of who holds the lease, nothing changed, and a release that fails so is owed and tried again: as a
     * refusal, this host's leases of a gone VM were forgotten, and a paused guest's taken again at a restart were
     * marked lost.
     */
    private Map<String, Long> change(LeaseRequest request, String what, boolean durable, Change change) throws LockException {
        String cannot = "cannot " + what + " the leases of domain " + request.domainName() + " in " + directory + ": ";
        // a share unmounted since the start (maintenance, umount -l) leaves its mount point, a local directory
        Optional<String> unmounted = unmounted(directory, shares);
        if (unmounted.isPresent()) { // as a store that cannot be reached: a release is owed, not forgotten
            throw new LockException(cannot + "lease directory " + unmounted.get() + ": mount it again (the leases are"
                    + " the share's); no lease was changed",
                    new IOException(unmounted.get()));
        }
        long deadline = System.nanoTime() + wait.toNanos();
        for (;;) {
            try {
                return changeOnce(request, cannot, durable, change);
            } catch (LockedLeaseFiles.LockedElsewhere e) {
                boolean again;
                try {
                    again = LockedLeaseFiles.pausedBeforeRetry(deadline);
                } catch (InterruptedIOException interrupted) {
                    throw new LockException(cannot + interrupted.getMessage(), interrupted);
                }
                if (!again) {
                    throw new LockException(cannot + e.getMessage() + " for more than " + wait.toMillis() / 1000.0
                            + " s (another host changing it, or a process of any user who can open it); no lease was"
                            + " changed", e);
                }
            }
        }
    }

    /** @throws LockedLeaseFiles.LockedElsewhere another process holds a lock on a lease file: nothing changed */
    private Map<String, Long> changeOnce(LeaseRequest request, String cannot, boolean durable, Change change)
            throws LockException, LockedLeaseFiles.LockedElsewhere {
        CHANGES.lock();
        try (LockedLeaseFiles locked = LockedLeaseFiles.lock(directory, request.resources(), files, wait)) {
            Map<String, LeaseFile> before = locked.read();
            Map<String, LeaseFile> after = new HashMap<>();
            for (String resource : request.resources()) { // in the request's order: a refusal names its first disk
                if (!after.containsKey(resource)) {
                    after.put(resource, change.apply(before.get(resource)));
                }
            }
            locked.write(after, durable);
            Map<String, Long> generations = new LinkedHashMap<>();
            request.resources().forEach(resource -> generations.put(resource, after.get(resource).generation()));
            return generations;
        } catch (LockedLeaseFiles.LockedElsewhere e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            // unchecked too (a lease file locked through a channel of this JVM other than the manager's)
            throw new LockException(cannot + e, e);
        } finally {
            CHANGES.unlock();
        }
    }

    static String key(String resource) {
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(resource.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(hash, 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** State text: {@code KEY:GENERATION} per resource, comma-separated. */
    static String format(Map<String, Long> generations) {
        StringBuilder state = new StringBuilder();
        generations.forEach((resource, generation) -> state.append(state.length() == 0 ? "" : ",")
                .append(key(resource)).append(':').append(generation));
        return state.toString();
    }

    static Map<String, Long> parse(String state) throws LockException {
        Map<String, Long> generations = new LinkedHashMap<>();
        if (state.isBlank()) {
            return generations;
        }
        for (String item : state.split(",")) {
            int colon = item.indexOf(':');
            try {
                generations.put(item.substring(0, colon), Long.parseLong(item.substring(colon + 1)));
            } catch (RuntimeException e) {
                throw new LockException("malformed lease state '" + state + "'");
            }
        }
        return generations;
    }
}
