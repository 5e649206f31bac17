package io.ferry.plugin.lockstate;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import io.ferry.api.lock.Lease;
import io.ferry.api.lock.LeaseRequest;
import io.ferry.api.lock.LockException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.UUID;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** Two hosts sharing one lease directory. */
public class FileLockManagerTest {
    @Rule
    public TemporaryFolder folder = new TemporaryFolder();

    private FileLockManager manager;
    private Path directory;
    private final UUID domain = UUID.randomUUID();
    private final LeaseRequest hostA = request("host-a", UUID.randomUUID());
    private final LeaseRequest hostB = request("host-b", UUID.randomUUID());

    @Before
    public void shareADirectory() throws Exception {
        directory = folder.newFolder("leases").toPath();
        manager = LeaseDirectory.manager(directory);
    }

    @Test
    public void aSecondHostIsRefusedAndTheHolderNamed() throws Exception {
        manager.acquire(hostA, null);
        try {
            manager.acquire(hostB, null);
            fail("two hosts held the same disk");
        } catch (LockException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("/images/disk0.img is held by host-a"));
        }
    }

    @Test
    public void releasedStateLetsTheNextHostContinue() throws Exception {
        Lease lease = manager.acquire(hostA, null);
        String released = lease.release();
        Lease taken = manager.acquire(hostB, released);
        assertNotEquals(released, taken.state());
    }

    @Test
    public void stateIsRefusedWhenSomeoneUsedTheDisksInBetween() throws Exception {
        String released = manager.acquire(hostA, null).release();
        manager.acquire(request("host-c", UUID.randomUUID()), null).release();
        try {
            manager.acquire(hostB, released);
            fail("a stale state was accepted");
        } catch (LockException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("changed since it was released"));
        }
    }

    @Test
    public void aFailedAcquireLeavesNoLeaseBehind() throws Exception {
        LeaseRequest twoDisks = new LeaseRequest("vm", domain, List.of("/images/free.img", "/images/disk0.img"), "host-b",
                hostB.ownerUuid());
        manager.acquire(hostA, null);
        try {
            manager.acquire(twoDisks, null);
            fail();
        } catch (LockException expected) {
            // the first disk must have been given back
        }
        manager.acquire(new LeaseRequest("other", UUID.randomUUID(), List.of("/images/free.img"), "host-c", UUID.randomUUID()), null);
    }

    @Test
    public void theSameHostTakesItsOwnLeasesAgainAfterARestart() throws Exception {
        Lease first = manager.acquire(hostA, null);
        assertEquals(first.state(), manager.acquire(hostA, null).state());
    }

    /**
     * Two domains of one host on one disk (a clone defined without a copy of its disk) are two writers: the second
     * is refused, as libvirt's lockd refuses it; otherwise stopping either would free the disk the other runs on.
     */
    @Test
    public void aSecondDomainOfTheSameHostOnTheSameDiskIsRefused() throws Exception {
        manager.acquire(hostA, null);
        LeaseRequest clone = new LeaseRequest("vm-clone", UUID.randomUUID(), List.of("/images/disk0.img"), "host-a",
                hostA.ownerUuid());

        LockException refused = assertThrows(LockException.class, () -> manager.acquire(clone, null));

        assertTrue(refused.getMessage(), refused.getMessage().contains("/images/disk0.img is held by host-a (" + hostA.ownerUuid()
                + ") for domain vm"));
        assertEquals("its own domain takes it again", manager.acquire(hostA, null).state(), manager.acquire(hostA, null).state());
    }

    /**
     * The second disk's lease file is locked by another thread of this daemon (an unchecked exception of the JDK):
     * the first disk's lease is given back all the same, and the failure is a LockException that names the domain.
     */
    @Test
    public void anUncheckedFailureHalfWayGivesBackTheLeasesAlreadyTaken() throws Exception {
        LeaseRequest twoDisks = new LeaseRequest("vm", domain, List.of("/images/a.img", "/images/b.img"), "host-a",
                hostA.ownerUuid());
        Path second = directory.resolve(FileLockManager.key("/images/b.img") + ".lease");
        try (FileChannel other = FileChannel.open(second, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE); FileLock held = other.lock()) {
            LockException failed = assertThrows(LockException.class, () -> manager.acquire(twoDisks, null));
            assertTrue(failed.getMessage(), failed.getMessage().startsWith("cannot take the leases of domain vm: "));
        }
        manager.acquire(new LeaseRequest("vm", domain, List.of("/images/a.img"), "host-b", hostB.ownerUuid()), null);
    }

    private LeaseRequest request(String host, UUID hostUuid) {
        return new LeaseRequest("vm", domain, List.of("/images/disk0.img"), host, hostUuid);
    }
}
