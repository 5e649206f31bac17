package io.ferry.plugin.lockstate;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.api.lock.Lease;
import io.ferry.api.lock.LeaseRequest;
import io.ferry.api.lock.LockException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.After;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * An acquire whose write of its second lease file stops half-way: the lease files already written get their previous
 * lease back, so the state the source released is still good; a release that fails so can be tried again.
 */
public class LeaseWriteFailureTest {
    private static final List<String> DISKS = List.of("/images/a.img", "/images/b.img");

    @Rule
    public TemporaryFolder folder = new TemporaryFolder();

    private final Map<Path, FailingWrites.Failure> armed = new ConcurrentHashMap<>();
    private final UUID domain = UUID.randomUUID();
    private Path directory;
    private FileLockManager manager;
    private String released;

    @Before
    public void releaseTwoDisks() throws Exception {
        directory = folder.newFolder("leases").toPath();
        manager = new FileLockManager(directory, file -> new FailingWrites(LockedLeaseFiles.FILES.open(file), () -> armed.remove(file)));
        released = manager.acquire(request("host-a"), null).release();
    }

    @After
    public void clearTheInterrupt() {
        Thread.interrupted();
    }

    @Test
    public void aFullDiskPutsTheLeasesBack() throws Exception {
        Map<String, String> before = leaseFiles();
        failTheLastWrite(FailingWrites.Failure.FULL_DISK);

        LockException failed = assertThrows(LockException.class, () -> manager.acquire(request("host-b"), released));

        assertTrue(failed.getMessage(), failed.getMessage().endsWith("java.io.IOException: No space left on device"));
        assertEquals(before, leaseFiles());
        manager.acquire(request("host-b"), released);
    }

    /** The interrupt took the file's lock: it is locked again, and the lease put back, as nobody changed it since. */
    @Test
    public void anInterruptPutsTheLeasesBackAndIsKept() throws Exception {
        Map<String, String> before = leaseFiles();
        failTheLastWrite(FailingWrites.Failure.INTERRUPT);

        LockException failed = assertThrows(LockException.class, () -> manager.acquire(request("host-b"), released));

        assertTrue(failed.getMessage(), failed.getMessage().contains("ClosedByInterruptException"));
        assertTrue("the interrupt is kept", Thread.interrupted());
        assertEquals(before, leaseFiles());
        manager.acquire(request("host-b"), released);
    }

    /**
     * A release that fails (a full disk, the lease directory gone read-only) leaves the leases held, and a daemon that
     * tries again later (the core keeps a gone VM's leases owed) gives them back and hands on a state that is good.
     */
    @Test
    public void aReleaseThatFailedIsGivenBackWhenTriedAgain() throws Exception {
        Lease held = manager.acquire(request("host-b"), released);
        failTheLastWrite(FailingWrites.Failure.FULL_DISK);

        assertThrows(LockException.class, held::release);
        LockException refused = assertThrows(LockException.class, () -> manager.acquire(request("host-c"), null));
        assertTrue(refused.getMessage(), refused.getMessage().contains("is held by host-b"));

        manager.acquire(request("host-c"), held.release());
    }

    /** Arms a failure for the lease file written last (they are written in the order of their names). */
    private void failTheLastWrite(FailingWrites.Failure failure) {
        String last = DISKS.stream().map(FileLockManager::key).max(String::compareTo).orElseThrow();
        armed.put(directory.resolve(last + ".lease"), failure);
    }

    private LeaseRequest request(String host) {
        return new LeaseRequest("vm", domain, DISKS, host, UUID.nameUUIDFromBytes(host.getBytes(StandardCharsets.UTF_8)));
    }

    private Map<String, String> leaseFiles() throws IOException {
        Map<String, String> files = new TreeMap<>();
        for (String disk : DISKS) {
            Path file = directory.resolve(FileLockManager.key(disk) + ".lease");
            files.put(disk, Files.readString(file, StandardCharsets.ISO_8859_1));
        }
        return files;
    }
}
