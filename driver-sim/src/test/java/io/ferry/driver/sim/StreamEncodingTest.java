package io.ferry.driver.sim;

import static io.ferry.driver.sim.Sim.MIB_KIB;
import static io.ferry.driver.sim.Sim.spec;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.api.hypervisor.HypervisorException;
import io.ferry.api.hypervisor.MigrationStats;
import io.ferry.api.hypervisor.VirtualMachine;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.zip.CRC32C;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** The encodings of stream version 2: runs of pages, zero pages as headers, and the digest folded as pages stream. */
public class StreamEncodingTest {
    private static final int PAGE = GuestMemory.PAGE_SIZE;
    private static final int HEAD = MemoryStreamFormat.RUN_HEAD_BYTES;

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    @Rule
    public final TestHypervisor sim = new TestHypervisor();
    private final SimHypervisor hypervisor = sim.hypervisor;

    private SimVirtualMachine boot(DomainSpec spec) throws Exception {
        return (SimVirtualMachine) hypervisor.boot(spec, tmp.newFolder().toPath());
    }

    private VirtualMachine incoming(DomainSpec spec) throws Exception {
        return hypervisor.createIncoming(spec, tmp.newFolder().toPath());
    }

    private static byte[] send(VirtualMachine vm) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        MigrationStats sent = vm.sendMemory(out, new Sim.Control());
        assertEquals(sent.processed(), out.size());
        return out.toByteArray();
    }

    private static MigrationStats receive(VirtualMachine vm, byte[] stream) throws Exception {
        return vm.receiveMemory(new ByteArrayInputStream(stream), new Sim.Control());
    }

    private static String refusal(VirtualMachine vm, byte[] stream) {
        return assertThrows(HypervisorException.class, () -> receive(vm, stream)).getMessage();
    }

    /** Writes {@code pages} of the guest with bytes from {@code seed}, as its own writes would. */
    private static void write(SimVirtualMachine vm, long seed, long... pages) throws Exception {
        SplittableRandom random = new SplittableRandom(seed);
        byte[] page = new byte[PAGE];
        for (long index : pages) {
            random.nextBytes(page);
            vm.memory().writePage(index, page);
        }
        vm.forgetArrivals(); // as a workload starting to write does: the CRCs the VM knew are no longer all there is
    }

    private static byte[] withInt(byte[] stream, int offset, int value) {
        byte[] changed = stream.clone();
        ByteBuffer.wrap(changed).putInt(offset, value);
        return changed;
    }

    private static String doneDigest(byte[] stream, int length) {
        return new String(stream, stream.length - length, length, StandardCharsets.UTF_8);
    }

    @Test
    public void anIdleGuestsZeroPagesCostOneHeaderForTheWholeRun() throws Exception {
        SimVirtualMachine source = boot(Sim.spec("idle", UUID.randomUUID(), 64 * MIB_KIB, 0, "zero"));
        byte[] stream = send(source);
        String digest = source.memoryDigest();
        assertEquals("header, round 1: one ZEROS frame for all 16384 pages, round 2: nothing, DONE",
                MemoryStreamFormat.HEADER_BYTES + 2 * MemoryStreamFormat.ROUND_FRAME_BYTES + HEAD + 3 + digest.length(),
                stream.length);
        ByteBuffer zeros = ByteBuffer.wrap(stream, MemoryStreamFormat.HEADER_BYTES + MemoryStreamFormat.ROUND_FRAME_BYTES, HEAD);
        assertEquals(MemoryStreamFormat.ZEROS, zeros.get());
        assertEquals(0, zeros.getLong());
        assertEquals(16384, zeros.getInt());

        VirtualMachine destination = incoming(source.spec());
        MigrationStats received = receive(destination, stream);
        assertTrue(received.memoryVerified());
        assertEquals(0, received.remaining());
        assertEquals(digest, destination.memoryDigest());
    }

    @Test
    public void dataPagesGoInRunsAndZeroPagesBetweenThemAsZeroRuns() throws Exception {
        SimVirtualMachine source = boot(Sim.spec("mixed", UUID.randomUUID(), 1 * MIB_KIB, 0, "zero")); // 256 pages
        write(source, 1, 0, 1, 2, 63, 64, 65, 200);
        byte[] stream = send(source);
        ByteBuffer frames = ByteBuffer.wrap(stream);
        frames.position(MemoryStreamFormat.HEADER_BYTES + MemoryStreamFormat.ROUND_FRAME_BYTES);
        StringBuilder round1 = new StringBuilder();
        for (int type = frames.get(); type != MemoryStreamFormat.ROUND; type = frames.get()) {
            long first = frames.getLong();
            int count = frames.getInt();
            round1.append(type == MemoryStreamFormat.PAGES ? " pages " : " zeros ").append(first).append('+').append(count);
            if (type == MemoryStreamFormat.PAGES) {
                frames.position(frames.position() + count * PAGE);
            }
        }
        // a run never spans two words of the dirty bitmap: 63 and 64 go in two frames
        assertEquals(" pages 0+3 zeros 3+60 pages 63+1 pages 64+2 zeros 66+134 pages 200+1 zeros 201+55",
                round1.toString());

        VirtualMachine destination = incoming(source.spec());
        assertTrue(receive(destination, stream).memoryVerified());
        assertEquals(source.memoryDigest(), destination.memoryDigest());
    }

    @Test
    public void aZeroRunClearsPagesThatHeldDataBefore() throws Exception {
        UUID uuid = UUID.randomUUID();
        SimVirtualMachine random = boot(Sim.spec("random", uuid, 1 * MIB_KIB, 0, "random"));
        VirtualMachine destination = incoming(random.spec());
        assertTrue(receive(destination, send(random)).memoryVerified());
        random.destroy();
        SimVirtualMachine idle = boot(Sim.spec("random", uuid, 1 * MIB_KIB, 0, "zero"));
        write(idle, 7, 5, 100);

        assertTrue("the stream of mostly zero pages verifies", receive(destination, send(idle)).memoryVerified());
        assertEquals(idle.memoryDigest(), destination.memoryDigest());
    }

    @Test
    public void theDigestIsFoldedFromThePagesAsTheyStreamedAndIsTheWholeMemorysCrc() throws Exception {
        SimVirtualMachine busy = boot(Sim.spec("busy", UUID.randomUUID(), 8 * MIB_KIB, 20_000, "zero"));
        assertTrue(Sim.eventually(() -> busy.pagesDirtied() > 1000)); // zero pages and data pages
        Sim.Control control = new Sim.Control();
        control.downtime = 0; // every round the guest writes: the round limit ends the pre-copy
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        MigrationStats sent = busy.sendMemory(out, control);
        byte[] stream = out.toByteArray();
        assertTrue(sent.toString(), sent.iteration() >= 2);
        assertFalse(busy.isRunning());
        String paused = busy.memoryDigest(); // read from the whole memory of the paused source
        assertEquals("the sender's digest, folded from what it sent, is the paused memory's", paused,
                doneDigest(stream, paused.length()));
        VirtualMachine destination = incoming(busy.spec());
        assertTrue(receive(destination, stream).memoryVerified());
        assertEquals(paused, destination.memoryDigest());
    }

    @Test
    public void foldedPageCrcsEqualTheCrcOfTheWholeMemory() {
        SplittableRandom random = new SplittableRandom(3);
        for (int pages : new int[] {1, 2, 3, 64, 257}) {
            byte[] memory = new byte[pages * PAGE];
            PageCrcs crcs = new PageCrcs(pages);
            CRC32C crc = new CRC32C();
            for (int page = 0; page < pages; page += 1 + random.nextInt(3)) { // some pages stay zero
                byte[] bytes = new byte[PAGE];
                random.nextBytes(bytes);
                System.arraycopy(bytes, 0, memory, page * PAGE, PAGE);
                crcs.set(page, PageCrcs.crc(bytes, 0, crc));
            }
            CRC32C whole = new CRC32C();
            whole.update(memory);
            assertEquals(pages + " pages", GuestMemory.digest((int) whole.getValue(), pages), crcs.digest());
        }
    }

    @Test
    public void aStreamCutAtAnyByteIsRefusedAndTheWholeOneStillVerifies() throws Exception {
        SimVirtualMachine source = boot(Sim.spec("cut", UUID.randomUUID(), 1 * MIB_KIB, 0, "zero"));
        write(source, 11, 1, 2, 70, 255);
        byte[] stream = send(source);
        VirtualMachine destination = incoming(source.spec());
        for (int length = 0; length < stream.length; length++) {
            String message = refusal(destination, Arrays.copyOf(stream, length));
            assertTrue(length + ": " + message, message.startsWith("migration stream ended early after "));
        }
        assertTrue(receive(destination, stream).memoryVerified());
        assertEquals(source.memoryDigest(), destination.memoryDigest());
    }

    @Test
    public void runsOutOfBoundsAreRefused() throws Exception {
        SimVirtualMachine source = boot(Sim.spec("bounds", UUID.randomUUID(), 1 * MIB_KIB, 0, "zero"));
        write(source, 5, 0);
        byte[] stream = send(source);
        VirtualMachine destination = incoming(source.spec());
        int pages = MemoryStreamFormat.HEADER_BYTES + MemoryStreamFormat.ROUND_FRAME_BYTES; // PAGES 0+1
        int zeros = pages + HEAD + PAGE; // ZEROS 1+255

        assertEquals("corrupt migration stream: a page run of 0 pages from page 0 (at most 64)",
                refusal(destination, withInt(stream, pages + 9, 0)));
        assertEquals("corrupt migration stream: a page run of 65 pages from page 0 (at most 64)",
                refusal(destination, withInt(stream, pages + 9, 65)));
        assertEquals("corrupt migration stream: a page run of 4294967295 pages from page 0 (at most 64)",
                refusal(destination, withInt(stream, pages + 9, -1)));
        assertEquals("corrupt migration stream: a zero run of 256 pages from page 1 (at most 255)",
                refusal(destination, withInt(stream, zeros + 9, 256)));
        byte[] index = stream.clone();
        ByteBuffer.wrap(index).putLong(zeros + 1, 256);
        assertEquals("corrupt migration stream: page index 256 out of range (256 pages)", refusal(destination, index));
        assertTrue(receive(destination, stream).memoryVerified());
    }
}
