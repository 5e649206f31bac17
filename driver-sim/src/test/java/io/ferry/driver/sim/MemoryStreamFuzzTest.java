package io.ferry.driver.sim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.api.hypervisor.HypervisorException;
import io.ferry.api.hypervisor.MigrationStats;
import io.ferry.api.hypervisor.VirtualMachine;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The destination's reader of the memory stream (what a source daemon, authenticated but possibly hostile, sends
 * directly or through the tunnel) on hostile bytes, for a guest of 1 MiB. The stream is built frame by frame from
 * the input (a header right or raw, rounds, page runs, zero runs, a digest right for what was sent or raw, raw bytes,
 * an end anywhere), so that the fuzzer reaches the frames and an accepted stream, not only the header.
 * Each stream must be refused with a one-line {@link HypervisorException}, or accepted with the memory file holding
 * what the stream's digest names (and, for a stream of whole frames, exactly the pages it sent); either way without
 * another exception, without allocating more than the guest's size, and without touching the run directory beyond the
 * memory file's pages. Seeds and kept findings: {@code src/test/resources/io/ferry/driver/sim/MemoryStreamFuzzTestInputs/}.
 */
class MemoryStreamFuzzTest {
    private static final int PAGE = GuestMemory.PAGE_SIZE;
    private static final int GUEST_BYTES = 1 << 20;
    private static final int PAGES = GUEST_BYTES / PAGE;
    private static final UUID UUID = new UUID(0x6665727279L, 0x6d656d6f7279L);
    private static final DomainSpec SPEC = Sim.spec("fuzzed", UUID, GUEST_BYTES / 1024, 0, "zero");
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    private static SimHypervisor hypervisor;
    private static Path root;

    @BeforeAll
    static void start() throws IOException {
        hypervisor = new SimHypervisor(Sim.TEST_CHUNK);
        root = Files.createTempDirectory("memory-stream-fuzz");
        warmUp();
    }

    /** Loads and initializes what a receive uses, so that the allocation bound counts the reader's own buffers. */
    private static void warmUp() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        MemoryStreamFormat.writeHeader(out, new MemoryStreamFormat.Header(PAGE, PAGES, UUID));
        MemoryStreamFormat.writeRound(out, 1);
        out.writeByte(MemoryStreamFormat.DONE);
        out.writeUTF(digest(new byte[GUEST_BYTES]));
        for (byte[] stream : List.of(bytes.toByteArray(), Arrays.copyOf(bytes.toByteArray(), 40), new byte[0])) {
            try {
                VirtualMachine vm = hypervisor.createIncoming(SPEC, root.resolve("vm"));
                try {
                    vm.receiveMemory(new ByteArrayInputStream(stream), new Sim.Control());
                } catch (HypervisorException e) {
                    // a refusal: what the fuzzed streams meet most
                } finally {
                    vm.destroy();
                }
            } catch (HypervisorException e) {
                throw new IllegalStateException("cannot create the fuzzed guest: " + e.getMessage(), e);
            }
        }
    }

    @AfterAll
    static void stop() throws IOException {
        hypervisor.deactivate();
        try (Stream<Path> left = Files.walk(root)) {
            left.sorted((a, b) -> b.compareTo(a)).forEach(p -> p.toFile().delete());
        }
    }

    @FuzzTest(maxDuration = "30m", maxExecutions = 10_000_000)
    void streamsAreRefusedOrLeaveTheMemoryTheyName(FuzzedDataProvider data) throws Exception {
        Built stream = build(data);
        Path dir = root.resolve("vm");
        VirtualMachine destination = hypervisor.createIncoming(SPEC, dir);
        try {
            List<Path> files = list(dir);
            MigrationStats received = null;
            long before = THREADS.getCurrentThreadAllocatedBytes();
            try {
                received = destination.receiveMemory(new ByteArrayInputStream(stream.bytes), new Sim.Control());
            } catch (HypervisorException e) {
                String message = e.getMessage();
                assertTrue(message != null && !message.isBlank(), "a refusal must say why");
                assertFalse(message.contains("\n") || message.contains("\r"), () -> "a refusal must be one line: " + message);
            }
            long allocated = THREADS.getCurrentThreadAllocatedBytes() - before;
            assertTrue(allocated < GUEST_BYTES, () -> "the reader allocated " + allocated + " bytes for a guest of "
                    + GUEST_BYTES);
            assertEquals(files, list(dir), "the run directory changed");
            assertEquals(GUEST_BYTES, Files.size(dir.resolve("memory")), "the memory file's size changed");
            if (received == null) {
                return;
            }
            byte[] memory = Files.readAllBytes(dir.resolve("memory"));
            MigrationStats accepted = received;
            String held = digest(memory);
            assertEquals(held, destination.memoryDigest(), "the destination's digest is not its memory's");
            assertTrue(accepted.processed() >= held.length() && accepted.processed() <= stream.bytes.length,
                    () -> accepted.processed() + " bytes read of " + stream.bytes.length);
            String claimed = new String(stream.bytes, (int) accepted.processed() - held.length(), held.length(),
                    StandardCharsets.ISO_8859_1);
            assertEquals(claimed, held, "accepted a stream whose digest is not the memory's");
            if (stream.wholeFrames) {
                assertArrayEquals(stream.model, memory, "the memory is not what the stream sent");
            }
        } finally {
            destination.destroy();
        }
    }

    /** A stream and the memory it would leave if each of its frames were taken. */
    private record Built(byte[] bytes, byte[] model, boolean wholeFrames) {
    }

    private static Built build(FuzzedDataProvider data) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        byte[] model = new byte[GUEST_BYTES];
        boolean wholeFrames = data.consumeBoolean();
        if (wholeFrames) {
            MemoryStreamFormat.writeHeader(out, new MemoryStreamFormat.Header(PAGE, PAGES, UUID));
        } else {
            out.write(data.consumeBytes(MemoryStreamFormat.HEADER_BYTES));
        }
        int round = 0;
        byte[] page = new byte[PAGE];
        while (data.remainingBytes() > 0) {
            switch (data.consumeInt(0, 5)) {
                case 0 -> {
                    int next = data.consumeBoolean() ? round + 1 : data.consumeInt();
                    MemoryStreamFormat.writeRound(out, next);
                    round = next == round + 1 ? next : round;
                }
                case 1, 2 -> {
                    boolean zeros = data.consumeBoolean();
                    long first = data.consumeBoolean() ? data.consumeLong(0, PAGES - 1) : data.consumeLong();
                    int count = data.consumeBoolean() ? data.consumeInt(1, zeros ? PAGES : 64) : data.consumeInt();
                    byte[] head = new byte[MemoryStreamFormat.RUN_HEAD_BYTES];
                    MemoryStreamFormat.putRunHead(head, 0, zeros ? MemoryStreamFormat.ZEROS : MemoryStreamFormat.PAGES,
                            first, count);
                    out.write(head);
                    boolean fits = first >= 0 && first < PAGES && count >= 1 && count <= PAGES - first;
                    for (int i = 0; !zeros && i < Math.min(Integer.toUnsignedLong(count), 65); i++) {
                        Arrays.fill(page, data.consumeByte());
                        page[data.consumeInt(0, PAGE - 1)] = data.consumeByte();
                        out.write(page);
                        if (fits && i < count) {
                            System.arraycopy(page, 0, model, (int) (first + i) * PAGE, PAGE);
                        }
                    }
                    if (zeros && fits) {
                        Arrays.fill(model, (int) first * PAGE, (int) (first + count) * PAGE, (byte) 0);
                    }
                }
                case 3 -> {
                    out.writeByte(MemoryStreamFormat.DONE);
                    out.writeUTF(data.consumeBoolean() ? digest(model) : data.consumeString(70));
                    return new Built(bytes.toByteArray(), model, wholeFrames); // the reader stops at DONE
                }
                case 4 -> {
                    out.write(data.consumeBytes(data.consumeInt(0, 32)));
                    wholeFrames = false;
                }
                default -> {
                    byte[] cut = bytes.toByteArray();
                    return new Built(Arrays.copyOf(cut, data.consumeInt(0, cut.length)), model, false);
                }
            }
        }
        return new Built(bytes.toByteArray(), model, wholeFrames);
    }

    /** The digest of a memory, computed here from its bytes, as {@link GuestMemory#digest} words it. */
    private static String digest(byte[] memory) {
        CRC32C crc = new CRC32C();
        crc.update(memory);
        return GuestMemory.digest((int) crc.getValue(), memory.length / PAGE);
    }

    private static List<Path> list(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.sorted().toList();
        }
    }
}
