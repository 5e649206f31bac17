package io.ferry.driver.sim;

import static io.ferry.driver.sim.Sim.MIB_KIB;
import static io.ferry.driver.sim.Sim.spec;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
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
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.UUID;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** What the destination makes of a stream that is cut, corrupted or meant for another VM. */
public class MemoryStreamTest {
    /** Where the first frame of round 1 starts. */
    private static final int FIRST_PAGE = MemoryStreamFormat.HEADER_BYTES + MemoryStreamFormat.ROUND_FRAME_BYTES;
    /** A full PAGES frame: 64 pages. */
    private static final int RUN_FRAME = MemoryStreamFormat.RUN_HEAD_BYTES + 64 * GuestMemory.PAGE_SIZE;

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    @Rule
    public final TestHypervisor sim = new TestHypervisor();
    private final SimHypervisor hypervisor = sim.hypervisor;
    private final UUID uuid = UUID.randomUUID();
    private final DomainSpec spec = spec("guest", uuid, 8 * MIB_KIB, 0);
    private VirtualMachine source;
    private VirtualMachine destination;
    private Path destinationDir;
    /** What an idle source of random memory sends: header, round 1 with every page (32 runs), round 2 with none, DONE. */
    private byte[] stream;

    @Before
    public void capture() throws Exception {
        source = hypervisor.boot(spec, tmp.newFolder().toPath());
        destinationDir = tmp.newFolder().toPath();
        destination = hypervisor.createIncoming(spec, destinationDir);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        MigrationStats sent = source.sendMemory(out, new Sim.Control());
        stream = out.toByteArray();
        assertEquals(sent.processed(), stream.length);
        assertEquals(2, sent.iteration());
    }

    private String refusal(byte[] bytes) {
        return refusal(destination, bytes);
    }

    private static String refusal(VirtualMachine vm, byte[] bytes) {
        return assertThrows(HypervisorException.class,
                () -> vm.receiveMemory(new ByteArrayInputStream(bytes), new Sim.Control())).getMessage();
    }

    /**
     * In an Arabic or Persian locale {@code %d} prints Arabic-Indic digits: the destination refused the digest they
     * made ("U+0662"), or, where only one side had such a locale, found the memory differed. Its digits are ASCII in
     * every locale.
     */
    @Test
    public void theDigestIsTheSameInALocaleOfOtherDigits() throws Exception {
        String digest = source.memoryDigest();
        Locale before = Locale.getDefault();
        for (String locale : new String[] {"ar-SA", "fa-IR"}) {
            Locale.setDefault(Locale.forLanguageTag(locale));
            try {
                VirtualMachine incoming = hypervisor.createIncoming(spec, tmp.newFolder().toPath());
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                source.sendMemory(out, new Sim.Control());
                MigrationStats received = incoming.receiveMemory(new ByteArrayInputStream(out.toByteArray()),
                        new Sim.Control());
                assertTrue(locale, received.memoryVerified());
                assertEquals(locale, digest, incoming.memoryDigest());
                incoming.destroy();
            } finally {
                Locale.setDefault(before);
            }
        }
        assertTrue(digest, digest.matches("crc32c:[0-9a-f]{8}/[0-9]+"));
    }

    @Test
    public void theIntactStreamIsAccepted() throws Exception {
        assertArrayEquals(MemoryStreamFormat.MAGIC, Arrays.copyOf(stream, 8));
        assertEquals(MemoryStreamFormat.HEADER_BYTES + 2 * MemoryStreamFormat.ROUND_FRAME_BYTES
                + 32 * RUN_FRAME + 3 + source.memoryDigest().length(), stream.length);
        MigrationStats received = destination.receiveMemory(new ByteArrayInputStream(stream), new Sim.Control());
        assertTrue(received.memoryVerified());
        assertEquals(stream.length, received.processed());
        assertEquals(source.memoryDigest(), destination.memoryDigest());
        assertEquals("what the memory file holds", source.memoryDigest(), Sim.fileDigest(destinationDir));
    }

    @Test
    public void aTruncatedStreamIsRefused() {
        assertEquals("migration stream ended early after 0 pages", refusal(new byte[0]));
        assertEquals("migration stream ended early after 0 pages", refusal(Arrays.copyOf(stream, 20)));
        assertEquals("migration stream ended early after 640 pages",
                refusal(Arrays.copyOf(stream, FIRST_PAGE + 10 * RUN_FRAME + 100)));
        assertEquals("migration stream ended early after 2048 pages", refusal(Arrays.copyOf(stream, stream.length - 1)));
    }

    @Test
    public void aCorruptedPageFailsTheDigest() throws Exception {
        byte[] bad = stream.clone();
        bad[FIRST_PAGE + 15 * RUN_FRAME + MemoryStreamFormat.RUN_HEAD_BYTES + 40 * GuestMemory.PAGE_SIZE + 123] ^= 0x40; // page 1000
        String message = refusal(bad);
        assertTrue(message, message.matches("memory digest mismatch: source " + source.memoryDigest()
                + " destination crc32c:[0-9a-f]{8}/2048"));
        assertTrue(!message.endsWith(source.memoryDigest()));
    }

    @Test
    public void aCorruptedDigestIsRefused() {
        byte[] bad = stream.clone();
        int at = stream.length - source.memoryDigest().length() + "crc32c:".length();
        bad[at] = (byte) (bad[at] == 'a' ? 'b' : 'a');
        String forged = new String(bad, stream.length - source.memoryDigest().length(),
                source.memoryDigest().length(), StandardCharsets.US_ASCII);
        assertEquals("memory digest mismatch: source " + forged + " destination " + source.memoryDigest(),
                refusal(bad));
    }

    @Test
    public void aDigestCannotForgeALineOfTheRefusal() {
        byte[] bad = stream.clone();
        int at = stream.length - source.memoryDigest().length() + "crc32c:".length();
        bad[at] = '\n';
        assertEquals("corrupt migration stream: digest holds the character U+000A (printable ASCII only)", refusal(bad));
        bad[at] = (byte) 0xc3; // two bytes of modified UTF-8 make one character: 0xc3 0x81 is U+00C1
        bad[at + 1] = (byte) 0x81;
        ByteBuffer.wrap(bad).putShort(stream.length - source.memoryDigest().length() - 2,
                (short) source.memoryDigest().length());
        assertEquals("corrupt migration stream: digest holds the character U+00C1 (printable ASCII only)", refusal(bad));
    }

    @Test
    public void aStreamOfAnotherSizeOrVmIsRefused() throws Exception {
        VirtualMachine bigger = hypervisor.createIncoming(spec("guest", uuid, 16 * MIB_KIB, 0),
                tmp.newFolder().toPath());
        assertEquals("memory size mismatch: source has 2048 pages, destination 4096", refusal(bigger, stream));
        VirtualMachine other = hypervisor.createIncoming(spec("other", UUID.randomUUID(), 8 * MIB_KIB, 0),
                tmp.newFolder().toPath());
        assertTrue(refusal(other, stream).startsWith("memory stream is for domain " + uuid + ", not "));
    }

    @Test
    public void aForeignStreamIsRefused() {
        byte[] bad = stream.clone();
        bad[0] = 'X';
        assertEquals("not a Ferry memory stream", refusal(bad));
        assertEquals("not a Ferry memory stream", refusal("GET / HTTP/1.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII)));
        byte[] version = stream.clone();
        ByteBuffer.wrap(version).putInt(8, 1);
        assertEquals("unsupported Ferry memory stream version 1 (this host speaks 2)", refusal(version));
        byte[] pageSize = stream.clone();
        ByteBuffer.wrap(pageSize).putInt(12, 65536);
        assertEquals("unsupported page size 65536 in the memory stream (expected 4096)", refusal(pageSize));
    }

    @Test
    public void malformedFramesAreRefused() {
        byte[] index = stream.clone();
        ByteBuffer.wrap(index).putLong(FIRST_PAGE + 1, 1L << 40);
        assertEquals("corrupt migration stream: page index 1099511627776 out of range (2048 pages)", refusal(index));
        ByteBuffer.wrap(index).putLong(FIRST_PAGE + 1, -1);
        assertEquals("corrupt migration stream: page index -1 out of range (2048 pages)", refusal(index));
        byte[] type = stream.clone();
        type[FIRST_PAGE] = 0x7f;
        assertEquals("corrupt migration stream: unknown frame type 0x7f", refusal(type));
        byte[] round = stream.clone();
        ByteBuffer.wrap(round).putInt(MemoryStreamFormat.HEADER_BYTES + 1, 3);
        assertEquals("corrupt migration stream: round 3 after round 0", refusal(round));
        byte[] noRound = stream.clone();
        noRound[MemoryStreamFormat.HEADER_BYTES] = MemoryStreamFormat.PAGES;
        assertEquals("corrupt migration stream: a page run before the first round", refusal(noRound));
        byte[] longDigest = Arrays.copyOf(stream, stream.length + 100);
        int done = stream.length - source.memoryDigest().length() - 2;
        ByteBuffer.wrap(longDigest).putShort(done, (short) (source.memoryDigest().length() + 100));
        assertTrue(refusal(longDigest).startsWith("corrupt migration stream: digest of "));
    }

    @Test
    public void theDestinationRecoversFromARefusedStream() throws Exception {
        refusal(Arrays.copyOf(stream, stream.length / 2));
        assertTrue(destination.receiveMemory(new ByteArrayInputStream(stream), new Sim.Control()).memoryVerified());
    }

    @Test
    public void anAbortedReceiveStops() {
        HypervisorException e = assertThrows(HypervisorException.class, () -> destination
                .receiveMemory(new ByteArrayInputStream(stream), new Sim.Control().abortAfter(3)));
        assertEquals("migration aborted by user", e.getMessage());
    }
}
