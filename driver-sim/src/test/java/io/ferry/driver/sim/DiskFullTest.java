package io.ferry.driver.sim;

import static io.ferry.driver.sim.Sim.MIB_KIB;
import static io.ferry.driver.sim.Sim.spec;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.api.hypervisor.HypervisorException;
import io.ferry.api.hypervisor.VirtualMachine;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import java.util.zip.CRC32C;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** A VM's memory on a file system too small for it: a clean failure that says so and leaves nothing behind. */
public class DiskFullTest {
    private static final long DISK_BYTES = 8L << 20;

    @Rule
    public SmallDisk disk = new SmallDisk(DISK_BYTES);
    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    /** Inside the disk's rule: the VMs' memory files are closed before the small disk goes. */
    @Rule(order = 1)
    public final TestHypervisor sim = new TestHypervisor();
    private final SimHypervisor hypervisor = sim.hypervisor;

    @Test
    public void aBootLargerThanTheFreeSpaceIsRefusedAndLeavesNothing() throws Exception {
        Path dir = disk.path().resolve("run-big");
        long free = disk.free();
        HypervisorException e = assertThrows(HypervisorException.class,
                () -> hypervisor.boot(spec("big", UUID.randomUUID(), 16 * MIB_KIB, 0), dir));
        assertEquals("cannot set up domain 'big' in " + dir + ": No space left on device: the memory needs 16 MiB, "
                + (free >> 20) + " MiB are free", e.getMessage());
        assertFalse("the run directory is gone", Files.exists(dir));
        assertEquals(free, disk.free());
        hypervisor.boot(spec("small", UUID.randomUUID(), 4 * MIB_KIB, 0), dir).destroy();
    }

    @Test
    public void aFillThatFindsTheDiskFullFailsWithAnErrorInsteadOfABusError() throws Exception {
        Path file = disk.path().resolve("memory");
        long free = disk.free();
        GuestMemory memory = GuestMemory.create(file, 2 * DISK_BYTES, Sim.TEST_CHUNK); // sparse: creating it takes no room
        IOException e = assertThrows(IOException.class, () -> memory.fill(7));
        assertEquals("No space left on device", e.getMessage());
        memory.close(true);
        assertFalse(Files.exists(file));
        assertEquals("the partial file's blocks are free again", free, disk.free());
    }

    @Test
    public void incomingMemoryLargerThanTheFreeSpaceIsRefusedAtItsCreation() throws Exception {
        Path dir = disk.path().resolve("run-in");
        HypervisorException e = assertThrows(HypervisorException.class,
                () -> hypervisor.createIncoming(spec("arrival", UUID.randomUUID(), 16 * MIB_KIB, 0), dir));
        assertTrue(e.getMessage(), e.getMessage().contains(": No space left on device: the memory needs 16 MiB"));
        assertFalse(Files.exists(dir));
    }

    @Test
    public void aDiskThatFillsWhileMemoryArrivesFailsTheTransferInItsOwnWords() throws Exception {
        UUID uuid = UUID.randomUUID();
        DomainSpec spec = spec("crowded", uuid, 4 * MIB_KIB, 0);
        VirtualMachine source = hypervisor.boot(spec, tmp.newFolder().toPath());
        ByteArrayOutputStream stream = new ByteArrayOutputStream();
        source.sendMemory(stream, new Sim.Control());
        Path dir = disk.path().resolve("run-crowded");
        VirtualMachine destination = hypervisor.createIncoming(spec, dir);
        disk.fillAllBut(GuestMemory.PAGE_SIZE * 16L); // someone else takes the room the check saw
        HypervisorException e = assertThrows(HypervisorException.class,
                () -> destination.receiveMemory(new ByteArrayInputStream(stream.toByteArray()), new Sim.Control()));
        assertEquals("cannot write the memory of domain 'crowded' to " + dir.resolve("memory") + ": No space left on device",
                e.getMessage());
        destination.destroy();
        assertFalse(Files.exists(dir.resolve("memory")));
    }

    @Test
    public void aZeroGuestWhoseDiskFillsStopsWritingWithAnErrorInsteadOfABusError() throws Exception {
        Path dir = disk.path().resolve("run-sparse");
        SimVirtualMachine vm = (SimVirtualMachine) hypervisor.boot(Sim.spec("sparse", UUID.randomUUID(), 4 * MIB_KIB, 0, "zero"), dir);
        disk.fillAllBut(0); // the sparse memory file has no page of its own but its last
        try (java.nio.channels.FileChannel last = java.nio.channels.FileChannel.open(disk.path().resolve("last"),
                java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE)) {
            while (true) { // what the size's rounding left
                last.write(java.nio.ByteBuffer.allocate(GuestMemory.PAGE_SIZE));
            }
        } catch (IOException full) {
            // full now
        }
        IOException e = assertThrows(IOException.class, () -> vm.memory().scribble(7, new java.util.SplittableRandom(1), 8));
        assertEquals("No space left on device", e.getMessage());
        CRC32C zeros = new CRC32C();
        zeros.update(new byte[4 << 20]);
        assertEquals("the digest reads no hole (a tmpfs would have to find it a page)",
                String.format("crc32c:%08x/1024", zeros.getValue()), PageCrcs.of(vm.memory()).digest());
        assertEquals(PageCrcs.of(vm.memory()).digest(), vm.memoryDigest());
        vm.destroy();
    }
}
