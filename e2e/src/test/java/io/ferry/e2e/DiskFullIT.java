package io.ferry.e2e;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.After;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;

/**
 * A daemon whose state directory is on a small file system: a start, a define, a snapshot or an arriving VM that
 * does not fit fails with "No space left on device" and leaves nothing behind (no domain, file, run directory or
 * lease), and the space is free again.
 */
public class DiskFullIT {
    private static final String NO_SPACE = "No space left on device";

    private static SmallDisk disk;
    private static Path leases;
    private static DaemonProcess host;

    @BeforeClass
    public static void startDaemonOnASmallDisk() throws Exception {
        disk = SmallDisk.mount("64m");
        leases = Files.createTempDirectory(Installation.work(), "disk-full-leases");
        host = DaemonProcess.startOn(disk.path().resolve("state"), "small-disk", "--lease-dir", leases.toString());
        host.url();
    }

    @AfterClass
    public static void stopDaemonAndUnmount() throws Exception {
        try {
            if (host != null) {
                host.close();
            }
        } finally {
            if (disk != null) {
                disk.close();
            }
        }
    }

    @After
    public void giveTheSpaceBack() throws IOException {
        disk.empty();
    }

    @Test
    public void aVmLargerThanTheDiskDoesNotStartAndHoldsNothing() throws Exception {
        UUID uuid = UUID.randomUUID();
        define(host, "big", uuid, 128);
        long free = disk.free();

        assertFails(host.ferry("start", "big"));
        assertEquals(Optional.of("shut off"), host.listedState("big"));
        assertFalse("lease held", holders().contains("big"));
        assertFalse("run directory left", Files.exists(host.stateDir.resolve("run").resolve(uuid.toString())));
        assertEquals("free space", free, disk.free());

        define(host, "big", uuid, 8); // the same domain, small enough now
        host.ferryOk("start", "big");
        assertTrue("lease held", holders().contains("big"));
        host.ferryOk("destroy", "big");
        host.ferryOk("undefine", "big");
    }

    @Test
    public void aDefineOnAFullDiskLeavesNoDomain() throws Exception {
        disk.fillAllBut(0);
        Path file = file("ghost", UUID.randomUUID(), 8);
        assertFails(host.ferry("define", file.toString()));
        assertEquals(Optional.empty(), host.listedState("ghost"));
        assertFalse(Files.exists(host.stateDir.resolve("domains/ghost.xml")));

        disk.empty();
        host.ferryOk("define", file.toString());
        host.ferryOk("undefine", "ghost");
    }

    @Test
    public void aSnapshotThatFindsTheDiskFullLeavesNothing() throws Exception {
        UUID uuid = UUID.randomUUID();
        define(host, "snappy", uuid, 8);
        host.ferryOk("start", "snappy");
        host.ferryOk("snapshot-create-as", "snappy", "before");
        Path log = host.stateDir.resolve("snapshots").resolve(uuid.toString()).resolve("local.log");
        long logBytes = Files.size(log);
        disk.fillAllBut(0); // the log's last page has room for a small snapshot, not for one with this description
        String description = "x".repeat(5000);

        assertFails(host.ferry("snapshot-create-as", "snappy", "after", "--description", description));
        assertEquals("before\n", host.ferryOk("snapshot-current", "snappy", "--name").out());
        assertFalse(host.ferryOk("snapshot-list", "snappy").out().contains("after"));
        assertEquals("what the failed append wrote is cut off", logBytes, Files.size(log));

        disk.empty();
        host.ferryOk("snapshot-create-as", "snappy", "after", "--description", description);
        host.ferryOk("destroy", "snappy");
        host.ferryOk("undefine", "snappy", "--snapshots-metadata");
    }

    @Test
    public void aVmLargerThanTheDestinationsDiskIsRefusedAtPrepareAndRunsOnAtTheSource() throws Exception {
        try (DaemonProcess source = DaemonProcess.start("full-source", "--lease-dir", leases.toString())) {
            UUID uuid = UUID.randomUUID();
            define(source, "arrival", uuid, 128);
            source.ferryOk("start", "arrival");
            String digest = source.digest("arrival");
            long free = disk.free();

            assertFails(source.ferry("migrate", "--live", "arrival", host.url()));
            assertEquals("running (booted)", source.dominfo("arrival").get("State"));
            assertEquals(digest, source.digest("arrival"));
            assertTrue("the source holds its lease", holders().contains("arrival"));
            assertEquals(Optional.empty(), host.listedState("arrival"));
            assertFalse("run directory left", Files.exists(host.stateDir.resolve("run").resolve(uuid.toString())));
            // what stays is the journal's record of the refused migration: a page, not memory
            assertTrue("free space " + free + " before, " + disk.free() + " after", disk.free() >= free - 64 * 1024);
            source.ferryOk("destroy", "arrival");
        }
    }

    @Test
    public void aSourceWhoseDiskIsFullKeepsItsGuestRunning() throws Exception {
        try (DaemonProcess destination = DaemonProcess.start("roomy-destination", "--lease-dir", leases.toString())) {
            define(host, "stuck", UUID.randomUUID(), 8);
            host.ferryOk("start", "stuck");
            String digest = host.digest("stuck");
            disk.fillAllBut(0);

            assertFails(host.ferry("migrate", "--live", "stuck", destination.url()));
            assertEquals("running (booted)", host.dominfo("stuck").get("State"));
            assertEquals(digest, host.digest("stuck"));
            assertEquals(Optional.empty(), destination.listedState("stuck"));

            disk.empty(); // with room again, nothing is left in the way
            host.ferryOk("migrate", "--live", "stuck", destination.url());
            Placement.assertRunsOnlyOn(destination, host, "stuck", digest);
            destination.ferryOk("destroy", "stuck");
        }
    }

    private static void assertFails(Installation.Result result) {
        assertEquals(result.toString(), 1, result.exit());
        assertTrue(result.toString(), result.err().startsWith("error: ") && result.err().contains(NO_SPACE));
    }

    /** An idle sim domain of {@code mib} with a disk, whose lease the file lock manager keeps in {@link #leases}. */
    private static Path file(String name, UUID uuid, int mib) throws IOException {
        return SimDomain.idle(name, mib).withUuid(uuid).withDisk("/images/" + name + ".img").file();
    }

    private static void define(DaemonProcess daemon, String name, UUID uuid, int mib) throws Exception {
        daemon.ferryOk("define", file(name, uuid, mib).toString());
    }

    /** The domains whose disk leases are held, from the lease files. */
    private static List<String> holders() throws IOException {
        try (Stream<Path> files = Files.list(leases)) {
            return files.map(DiskFullIT::read).filter(lease -> lease.contains("held=true"))
                    .map(lease -> lease.replaceAll("(?s).*\\bdomain=([^\\n]*).*", "$1")).sorted().toList();
        }
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
