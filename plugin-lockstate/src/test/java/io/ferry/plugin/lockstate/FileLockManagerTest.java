package io.ferry.plugin.lockstate;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import io.ferry.api.lock.Lease;
import io.ferry.api.lock.LeaseRequest;
import io.ferry.api.lock.LockException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
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

    /** Read as a take would refuse them, and nothing written: a take and give-back would advance a migration's state. */
    @Test
    public void whoHoldsTheLeasesIsReadWithoutChangingThem() throws Exception {
        assertEquals(Optional.empty(), manager.heldElsewhere(hostB));
        Lease lease = manager.acquire(hostA, null);
        Map<String, String> held = leaseFiles();

        Optional<String> holder = manager.heldElsewhere(hostB);
        assertTrue(holder.toString(), holder.orElseThrow().startsWith("resource /images/disk0.img is held by host-a ("));
        assertEquals("its own", Optional.empty(), manager.heldElsewhere(hostA));
        assertEquals("nothing written", held, leaseFiles());

        String released = lease.release();
        assertEquals(Optional.empty(), manager.heldElsewhere(hostB));
        manager.acquire(hostB, released); // the state the release returned still takes them
    }

    /**
     * A take that failed as a lease file stayed locked elsewhere took nothing: a give-back of them afterwards (an owed
     * one of a daemon, say), once another host took the leases, is refused as a refusal (no cause), and that host
     * keeps them.
     */
    @Test
    public void aGiveBackOwedAfterATakeThatTookNothingLeavesAnotherHostsLeases() throws Exception {
        manager.acquire(hostB, null);

        LockException refused = assertThrows(LockException.class, () -> manager.held(hostA, null).release());

        assertEquals(null, refused.getCause());
        assertTrue(manager.heldElsewhere(hostA).orElseThrow().contains("is held by host-b"));
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

    /**
     * A source daemon killed -9 after its rollback took its paused guest's leases back, before its status file said
     * so: restarted, the rollback presents the state the switch-over released again, and finds the lease this host's
     * for this domain, advanced once since (as every change advances it): the take it repeats, not another's use.
     */
    @Test
    public void aTakeOfReleasedLeasesRepeatedByItsKilledDaemonIsItsOwn() throws Exception {
        String released = manager.acquire(hostA, null).release();
        Lease taken = manager.acquire(hostA, released); // dropped unreleased, as a daemon killed -9 leaves it

        assertEquals(taken.state(), manager.acquire(hostA, released).state());
    }

    /** Only this host's take of this domain right after the release is repeated: any other use is refused as it was. */
    @Test
    public void aTakeIsRepeatedOnlyByItsHostAndDomainRightAfterTheRelease() throws Exception {
        String released = manager.acquire(hostA, null).release();
        long generation = FileLockManager.parse(released).values().iterator().next();
        Lease taken = manager.acquire(hostA, released);
        Map<String, String> takenOnce = leaseFiles();
        LeaseRequest clone = new LeaseRequest("vm-clone", UUID.randomUUID(), List.of("/images/disk0.img"), "host-a",
                hostA.ownerUuid());

        assertRefused("is held by host-a", hostB, released);
        assertRefused("is held by host-a", clone, released);
        assertRefused("changed since it was released", hostA, generation("/images/disk0.img", generation - 1));
        assertEquals("nothing written", takenOnce, leaseFiles());

        taken.release(); // free, two past the released state
        assertRefused("changed since it was released", hostA, released);
        manager.acquire(hostB, null).release();
        manager.acquire(hostA, null); // this host's again, after host B used it
        assertRefused("changed since it was released", hostA, released);
    }

    private void assertRefused(String why, LeaseRequest request, String state) {
        LockException refused = assertThrows(LockException.class, () -> manager.acquire(request, state));
        assertTrue(refused.getMessage(), refused.getMessage().contains(why));
    }

    private static String generation(String resource, long generation) {
        return FileLockManager.format(Map.of(resource, generation));
    }

    /**
     * The documented way to give back the leases of a host gone for good is to remove its lease files. A lease file
     * made anew must not count its generations from where the removed one did: a domain booted and stopped on the
     * disk since would bring the generation back to the one the old state names, and a host presenting that stale
     * state (a paused source's resume) would take the lease as if nobody had used the disk in between.
     */
    @Test
    public void aStateFromBeforeTheLeaseFileWasRemovedIsRefused() throws Exception {
        String released = manager.acquire(hostA, null).release();
        Files.delete(directory.resolve(FileLockManager.key("/images/disk0.img") + ".lease"));
        manager.acquire(request("host-c", UUID.randomUUID()), null).release();

        LockException refused = assertThrows(LockException.class, () -> manager.acquire(hostA, released));

        assertTrue(refused.getMessage(), refused.getMessage().contains("changed since it was released"));
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
     * The destination's definition of a two-disk domain names as its second disk one that another host holds for
     * another domain: the destination's acquire with the state the source's switch-over released is refused, and
     * must change no lease file, or the source's rollback, presenting that same state, would be refused in turn and
     * its VM stay paused for good.
     */
    @Test
    public void aRefusedAcquireChangesNoLeaseFile() throws Exception {
        LeaseRequest source = twoDisks("host-a", hostA.ownerUuid(), "/images/disk0.img", "/images/disk1.img");
        String released = manager.acquire(source, null).release();
        manager.acquire(new LeaseRequest("other", UUID.randomUUID(), List.of("/images/other.img"), "host-c", UUID.randomUUID()), null);
        Map<String, String> before = leaseFiles();
        LeaseRequest destination = twoDisks("host-b", hostB.ownerUuid(), "/images/disk0.img", "/images/other.img");

        LockException refused = assertThrows(LockException.class, () -> manager.acquire(destination, released));

        assertTrue(refused.getMessage(), refused.getMessage().contains("/images/other.img is held by host-c"));
        assertEquals(before, leaseFiles());
        manager.acquire(source, released); // the source's rollback
    }

    /**
     * The second disk's lease file is locked by another thread of this daemon (an unchecked exception of the JDK):
     * the failure is a LockException that names the domain, no lease file changed, and once the file is free the
     * state the source released is still good.
     */
    @Test
    public void anAcquireThatFailsWhileLockingChangesNoLeaseFile() throws Exception {
        String released = manager.acquire(twoDisks("host-a", hostA.ownerUuid(), "/images/a.img", "/images/b.img"), null).release();
        Map<String, String> before = leaseFiles();
        LeaseRequest destination = twoDisks("host-b", hostB.ownerUuid(), "/images/a.img", "/images/b.img");
        Path second = directory.resolve(FileLockManager.key("/images/b.img") + ".lease");
        try (FileChannel other = FileChannel.open(second, StandardOpenOption.READ, StandardOpenOption.WRITE);
                FileLock held = other.lock()) {
            LockException failed = assertThrows(LockException.class, () -> manager.acquire(destination, released));
            assertTrue(failed.getMessage(), failed.getMessage().startsWith("cannot take the leases of domain vm"));
        }
        assertEquals(before, leaseFiles());
        manager.acquire(destination, released);
    }

    /**
     * Two threads of one daemon taking and giving back the same lease (two domains on one disk started at once): each
     * waits for the other, where the JDK refused the second lock of a lease file this JVM had locked already.
     */
    @Test
    public void twoThreadsOfOneDaemonWaitForEachOther() throws Exception {
        CyclicBarrier together = new CyclicBarrier(2);
        Callable<Void> takeAndGiveBack = () -> {
            together.await();
            for (int i = 0; i < 100; i++) {
                manager.acquire(hostA, null).release();
            }
            return null;
        };
        ExecutorService threads = Executors.newFixedThreadPool(2);
        try {
            for (Future<Void> thread : threads.invokeAll(List.of(takeAndGiveBack, takeAndGiveBack))) {
                thread.get();
            }
        } finally {
            threads.shutdownNow();
        }
    }

    /**
     * Rolling upgrade: a state released before domain leases (a peer's, a journal's) names no generation of the domain's
     * own lease, which is taken as a free one; held by another host it is refused all the same, naming it.
     */
    @Test
    public void aStateFromBeforeDomainLeasesTakesTheDomainsOwnLeaseFreshWhenFree() throws Exception {
        String before = manager.acquire(hostA, null).release(); // disks only, as an earlier version asks
        LeaseRequest withItself = withDomainLease(hostB);

        Lease taken = manager.acquire(withItself, before);
        assertEquals(2, FileLockManager.parse(taken.state()).size());
        Optional<String> holder = manager.heldElsewhere(withDomainLease(hostA));
        assertTrue(holder.toString(), holder.orElseThrow().startsWith("resource /images/disk0.img is held by host-b ("));
        String released = taken.release();

        manager.acquire(new LeaseRequest("vm", domain, List.of(LeaseRequest.domainResource(domain)), "host-c",
                UUID.randomUUID()), null); // host C runs the domain, its disks elsewhere
        LockException refused = assertThrows(LockException.class, () -> manager.acquire(withDomainLease(hostA), released));
        assertTrue(refused.getMessage(), refused.getMessage().startsWith("resource domain:" + domain + " is held by host-c ("));
    }

    /** An earlier version given a state that names the domain's own lease ignores it, and still checks its disks'. */
    @Test
    public void anEarlierVersionIgnoresTheDomainsOwnLeaseInAState() throws Exception {
        String released = manager.acquire(withDomainLease(hostA), null).release();
        assertEquals(2, FileLockManager.parse(released).size());

        manager.acquire(hostB, released).release(); // disks only, as an earlier version asks
        LockException stale = assertThrows(LockException.class, () -> manager.acquire(hostA, released));
        assertTrue(stale.getMessage(), stale.getMessage().contains("changed since it was released"));
    }

    /**
     * A refusal names the request's first resource held elsewhere: a disk before the domain's own lease. The domain's
     * UUID is one whose lease a hash map of the two resources yields first, as the leases were once gone through.
     */
    @Test
    public void aRefusalNamesADiskBeforeTheDomainsOwnLease() throws Exception {
        UUID hashedFirst = UUID.fromString("7c9e6679-7425-40de-944b-e07fc1f90ae7");
        manager.acquire(withDomainLease(hostA, hashedFirst), null);
        LockException refused = assertThrows(LockException.class, () -> manager.acquire(withDomainLease(hostB, hashedFirst), null));
        assertTrue(refused.getMessage(), refused.getMessage().startsWith("resource /images/disk0.img is held by host-a ("));
    }

    /**
     * A lease directory configured and not there is the hosts' share not mounted (yet): one made here would be this
     * host's alone, and its leases would keep no other host from running the same guest.
     */
    @Test
    public void aConfiguredLeaseDirectoryThatIsNotThereIsRefusedAndNotMade() throws Exception {
        Path home = folder.newFolder("ferry").toPath();
        Path share = folder.getRoot().toPath().resolve("mnt/share/leases");

        for (Path missing : List.of(share, home.resolve("shared/leases"))) {
            IOException refused = assertThrows(IOException.class,
                    () -> LeaseDirectory.manager(home, missing.equals(share) ? share.toString() : "shared/leases"));
            assertEquals("lease directory " + missing + " (leaseDir, --lease-dir) does not exist: the directory every"
                    + " host shares must be there before ferryd starts (is its share mounted?); ferryd makes only its"
                    + " default, var/leases", refused.getMessage());
            assertFalse("not made: " + missing, Files.exists(missing));
        }
        assertFalse("nor the directories above it", Files.exists(folder.getRoot().toPath().resolve("mnt")));
    }

    /** Unset, or set to it (the distribution's etc/ names it), the default var/leases is made in the installation. */
    @Test
    public void theDefaultLeaseDirectoryIsMade() throws Exception {
        for (String leaseDir : List.of("", " var/leases ")) {
            Path home = folder.newFolder().toPath();
            LeaseDirectory.manager(home, leaseDir).acquire(hostA, null);
            assertTrue(leaseDir, Files.isDirectory(home.resolve("var/leases")));
        }
    }

    @Test
    public void aConfiguredLeaseDirectoryThatIsThereIsTakenAsItIs() throws Exception {
        Path share = folder.newFolder("share").toPath();
        Files.setPosixFilePermissions(share, PosixFilePermissions.fromString("rwxr-x---"));

        LeaseDirectory.manager(folder.newFolder("ferry").toPath(), share.toString()).acquire(hostA, null);

        assertEquals("rwxr-x---", PosixFilePermissions.toString(Files.getPosixFilePermissions(share)));
        try (Stream<Path> files = Files.list(share)) {
            assertEquals("the lease file", 1, files.count());
        }
    }

    /**
     * A share's mount point is a local directory while the share is not mounted (a late mount, a failed one): a lease
     * directory that is the mount point or under it, configured or the default, is refused as a missing one is.
     */
    @Test
    public void aLeaseDirectoryOnAShareOfFstabThatIsNotMountedIsRefused() throws Exception {
        Path home = folder.newFolder("ferry").toPath();
        Path share = Files.createDirectories(folder.getRoot().toPath().resolve("mnt/share/leases")).getParent();
        Path defaultLeases = Files.createDirectories(home.resolve("var/leases"));

        for (Path mountPoint : List.of(share, defaultLeases)) {
            UnmountedShares unmounted = shares(mountPoint, "");
            for (Path leases : List.of(mountPoint, mountPoint.resolve("leases"))) {
                String leaseDir = mountPoint.equals(defaultLeases) ? "" : leases.toString();
                IOException refused = assertThrows(IOException.class,
                        () -> LeaseDirectory.manager(home, leaseDir, unmounted));
                assertEquals("lease directory " + (leaseDir.isEmpty() ? defaultLeases : leases) + " is on " + mountPoint
                        + ", which " + unmounted.fstab() + " mounts and which is not mounted: the directory every host"
                        + " shares must be mounted before ferryd starts (mount it; the unit bin/ferryd-systemd-unit"
                        + " prints waits for it)", refused.getMessage());
                if (leaseDir.isEmpty()) {
                    break;
                }
            }
        }
        try (Stream<Path> inShare = Files.list(share); Stream<Path> inDefault = Files.list(defaultLeases)) {
            assertEquals("no lease file", List.of(share.resolve("leases")), inShare.toList());
            assertEquals("no lease file", List.of(), inDefault.toList());
        }
    }

    @Test
    public void aLeaseDirectoryOnAMountedShareOrWithoutFstabIsTaken() throws Exception {
        Path home = folder.newFolder("ferry").toPath();
        Path share = folder.newFolder("share").toPath();
        Path mountinfo = Files.writeString(folder.getRoot().toPath().resolve("mountinfo"), mountinfoLine(share));

        LeaseDirectory.manager(home, share.toString(), shares(share, mountinfoLine(share))).acquire(hostA, null);
        LeaseDirectory.manager(home, share.toString(), new UnmountedShares(home.resolve("no-fstab"), mountinfo))
                .acquire(withDomainLease(hostA), null);

        try (Stream<Path> files = Files.list(share)) {
            assertEquals("the disk's and the domain's lease files", 2, files.count());
        }
    }

    /**
     * A share unmounted while the daemon runs (maintenance, umount -l: lease files are opened per change) leaves its
     * mount point, a local directory, which the check at the start alone took for the share at every later change.
     */
    @Test
    public void aShareUnmountedSinceTheStartIsRefusedAtTheNextChangeAsUnreachable() throws Exception {
        Path home = folder.newFolder("ferry").toPath();
        Path share = folder.newFolder("share").toPath();
        UnmountedShares shares = shares(share, mountinfoLine(share));
        FileLockManager manager = LeaseDirectory.manager(home, share.toString(), shares);
        manager.acquire(hostA, null);

        Files.writeString(shares.fstab().resolveSibling("mountinfo"), "26 1 8:1 / / rw - ext4 /dev/sda1 rw\n");
        LockException refused = assertThrows(LockException.class, () -> manager.acquire(withDomainLease(hostA), null));

        assertTrue(refused.getMessage(), refused.getMessage().contains(share + ", which " + shares.fstab()
                + " mounts and which is not mounted"));
        assertNotNull("a store that cannot be reached, not a refusal", refused.getCause());
        try (Stream<Path> files = Files.list(share)) {
            assertEquals("the disk's lease file alone", 1, files.count());
        }
    }

    /** A host whose fstab mounts an NFS share on {@code mountPoint} (besides swap), and whose mounts are these. */
    private UnmountedShares shares(Path mountPoint, String mountinfo) throws IOException {
        Path dir = folder.newFolder().toPath();
        Files.writeString(dir.resolve("fstab"), "# <file system> <mount point> <type> <options> <dump> <pass>\n"
                + "/dev/sda1 / ext4 defaults 0 1\nUUID=5c1e none swap sw 0 0\n"
                + "nfs.example:/leases\t" + mountPoint + "  nfs4 defaults,_netdev 0 0\n");
        return new UnmountedShares(dir.resolve("fstab"), Files.writeString(dir.resolve("mountinfo"),
                "21 26 0:20 / /proc rw,relatime - proc proc rw\n26 1 8:1 / / rw,relatime - ext4 /dev/sda1 rw\n"
                        + mountinfo));
    }

    private static String mountinfoLine(Path mountPoint) {
        return "36 26 0:50 / " + mountPoint + " rw,relatime shared:1 - nfs4 nfs.example:/leases rw\n";
    }

    private LeaseRequest withDomainLease(LeaseRequest request) {
        return withDomainLease(request, domain);
    }

    private static LeaseRequest withDomainLease(LeaseRequest request, UUID domain) {
        return new LeaseRequest(request.domainName(), domain, List.of("/images/disk0.img", LeaseRequest.domainResource(domain)),
                request.owner(), request.ownerUuid());
    }

    private LeaseRequest twoDisks(String host, UUID hostUuid, String first, String second) {
        return new LeaseRequest("vm", domain, List.of(first, second), host, hostUuid);
    }

    /** Each lease file's content, by name. */
    private Map<String, String> leaseFiles() throws IOException {
        Map<String, String> files = new TreeMap<>();
        try (Stream<Path> list = Files.list(directory)) {
            for (Path file : list.toList()) {
                files.put(file.getFileName().toString(), Files.readString(file, StandardCharsets.ISO_8859_1));
            }
        }
        return files;
    }

    private LeaseRequest request(String host, UUID hostUuid) {
        return new LeaseRequest("vm", domain, List.of("/images/disk0.img"), host, hostUuid);
    }
}
