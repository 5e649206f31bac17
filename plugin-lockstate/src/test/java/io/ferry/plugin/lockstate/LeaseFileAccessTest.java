package io.ferry.plugin.lockstate;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.api.lock.Lease;
import io.ferry.api.lock.LeaseRequest;
import io.ferry.api.lock.LockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * Whoever can open a lease file can hold a lock on it (a read lock needs only read access), and a change of it waited
 * for that lock for ever, holding every other change of this daemon's leases: the files are their owner's alone, and
 * a change waits for another process's lock a bounded time only, failing as a store that cannot be reached.
 */
public class LeaseFileAccessTest {
    private static final String DISK = "/images/disk0.img";
    /** Only what keeps a test from hanging: no test waits that long unless the manager hangs. */
    private static final long HANG = 60_000;

    @Rule
    public TemporaryFolder folder = new TemporaryFolder();

    private Path directory;
    private Path file;
    private final UUID domain = UUID.randomUUID();
    private final LeaseRequest hostA = request("host-a", DISK);
    private final LeaseRequest hostB = request("host-b", DISK);

    @Before
    public void shareADirectory() throws Exception {
        directory = folder.newFolder("leases").toPath();
        file = directory.resolve(FileLockManager.key(DISK) + ".lease");
    }

    @Test
    public void aLeaseFileIsItsOwnersAlone() throws Exception {
        LeaseDirectory.manager(directory).acquire(hostA, null);

        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    }

    /** Made by an earlier version, under the umask. */
    @Test
    public void aLeaseFileOthersCouldReadIsClosedToThem() throws Exception {
        Files.createFile(file);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--")); // whatever this umask is

        LeaseDirectory.manager(directory).heldElsewhere(hostB);

        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    }

    /** Shows the fault only under a umask that leaves others access (022, the usual one): no Java call sets it. */
    @Test
    public void theLeaseDirectoryTheManagerMakesIsItsOwnersAlone() throws Exception {
        Path made = folder.getRoot().toPath().resolve("var/leases");

        LeaseDirectory.manager(folder.getRoot().toPath(), "").acquire(hostA, null);

        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(made)));
    }

    /**
     * Another process holds a lock on the lease file (one opened before it was closed to others, or another host's
     * change that does not end): the change fails naming the file, as one whose store cannot be reached (with a cause:
     * a release is owed, not forgotten), and nothing changed; once the lock is gone, the leases change as before.
     */
    @Test(timeout = HANG)
    public void aLeaseFileLockedByAnotherProcessFailsTheChangeOnceTheWaitIsOver() throws Exception {
        FileLockManager manager = new FileLockManager(directory, LockedLeaseFiles.FILES, Duration.ofMillis(300));
        Lease held = manager.acquire(hostA, null);
        byte[] before = Files.readAllBytes(file);
        try (AnotherProcess holder = AnotherProcess.holdingASharedLockOn(file)) {
            LockException take = assertThrows(LockException.class, () -> manager.acquire(hostB, null));
            LockException giveBack = assertThrows(LockException.class, held::release);

            for (LockException failed : List.of(take, giveBack)) {
                assertTrue(failed.getMessage(), failed.getMessage().contains("lease file " + file + " of resource "
                        + DISK + " is locked by another process for more than 0.3 s"));
                assertNotNull("a store that cannot be reached, not a refusal", failed.getCause());
            }
            assertTrue(take.getMessage(), take.getMessage().startsWith("cannot take the leases of domain vm in "));
        }
        assertArrayEquals("nothing changed", before, Files.readAllBytes(file));
        held.release();
        manager.acquire(hostB, null);
    }

    /**
     * While a change waits for a lease file another process holds a lock on, the leases of other disks change: the
     * wait holds none of this daemon's locks. Once the lock is gone, the waiting change goes on.
     */
    @Test(timeout = HANG)
    public void otherLeasesChangeWhileOneWaitsForAnotherProcess() throws Exception {
        CountDownLatch triedAgain = new CountDownLatch(2);
        FileLockManager manager = new FileLockManager(directory, path -> {
            if (path.equals(file)) {
                triedAgain.countDown();
            }
            return LockedLeaseFiles.FILES.open(path);
        }, Duration.ofMillis(HANG));
        LeaseDirectory.manager(directory).acquire(hostA, null).release();
        Future<Lease> waiting;
        try (AnotherProcess holder = AnotherProcess.holdingASharedLockOn(file)) {
            waiting = CompletableFuture.supplyAsync(() -> {
                try {
                    return manager.acquire(hostB, null);
                } catch (LockException e) {
                    throw new IllegalStateException(e);
                }
            });
            triedAgain.await();

            manager.acquire(request("host-a", "/images/other.img"), null).release();
            assertFalse(waiting.isDone());
        }
        waiting.get(HANG, TimeUnit.MILLISECONDS);
    }

    private LeaseRequest request(String host, String disk) {
        return new LeaseRequest("vm", domain, List.of(disk), host, UUID.nameUUIDFromBytes(host.getBytes()));
    }
}
