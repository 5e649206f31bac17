package io.ferry.plugin.snapshots;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.api.cookie.CookieException;
import io.ferry.api.snapshot.SnapshotStore.Snapshot;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.Test;

/**
 * The daemon holds at most {@link IncomingBudget#BYTES} of incoming snapshot streams at once: a stream within its
 * per-snapshot bounds but larger than the daemon's heap bears (63 snapshots of 4 MiB whose XML is outside Latin-1,
 * 8 MiB each as Strings) is refused as it goes over, not read whole into an OutOfMemoryError; so is one of many tiny
 * snapshots (each costs the destination hundreds of bytes beside its text, {@link IncomingBudget#PER_SNAPSHOT});
 * streams of several migrations share the budget.
 */
public class IncomingBudgetTest {
    @Test
    public void aStreamLargerThanTheBudgetIsRefusedWhileItIsRead() {
        IncomingBudget budget = new IncomingBudget(IncomingBudget.BYTES);
        Generated stream = new Generated(63, SnapshotStream.MAX_LENGTH);

        CookieException refused;
        try (IncomingBudget.Share share = budget.open()) {
            refused = assertThrows(CookieException.class,
                    () -> SnapshotStream.read(stream, new SnapshotDescriptor(63, "sha256:" + "0".repeat(64)), share));
        }

        // alone on an idle daemon: waiting for other migrations cannot help it
        assertTrue(refused.getMessage(), refused.getMessage().startsWith("snapshots stream: this one's "));
        assertTrue(refused.getMessage(), refused.getMessage().contains("over the " + IncomingBudget.BYTES + " bytes"));
        assertTrue(refused.getMessage(), refused.getMessage().contains("it can never be taken"));
        assertTrue(refused.getMessage(), refused.getMessage().endsWith(IncomingBudget.FEWER_SNAPSHOTS));
        assertFalse(refused.getMessage(), refused.getMessage().contains("migrate again"));
        assertTrue("refused before the 17th snapshot was read: " + stream.position,
                stream.position <= 4 + 16L * (5 + SnapshotStream.MAX_LENGTH));
        assertEquals("given back", 0, budget.held());
    }

    /** A million snapshots of 50 bytes took 55 MB of the budget and several hundred MB of the destination's heap. */
    @Test
    public void aMillionTinySnapshotsAreRefusedByTheirCountBeforeAnyIsRead() {
        IncomingBudget budget = new IncomingBudget(IncomingBudget.BYTES);
        Tiny stream = new Tiny(SnapshotStream.MAX_COUNT);

        CookieException refused;
        try (IncomingBudget.Share share = budget.open()) {
            refused = assertThrows(CookieException.class, () -> SnapshotStream.read(stream,
                    new SnapshotDescriptor(SnapshotStream.MAX_COUNT, "sha256:" + "0".repeat(64)), share));
        }

        assertEquals("snapshots stream announces 1000000 snapshots, more than this daemon holds at once (at most 131072:"
                + " 512 bytes each beside their text within its 67108864 bytes for incoming snapshots), as every Ferry"
                + " daemon of this build: it can never be taken here; " + IncomingBudget.FEWER_SNAPSHOTS,
                refused.getMessage());
        assertEquals("migrate the domain with fewer snapshots (Ferry has no snapshot-delete: `ferry undefine NAME"
                + " --snapshots-metadata` on the source removes a shut-off domain with all of its snapshots, to be"
                + " defined again)", IncomingBudget.FEWER_SNAPSHOTS);
        assertTrue("refused before its snapshots were read: " + stream.position, stream.position <= 4 + 64 * 1024);
        assertEquals("given back", 0, budget.held());
    }

    /** Each of 50 bytes takes 567 (its framing and its share beside): the 903rd goes over what others left. */
    @Test
    public void tinySnapshotsTakeTheirShareBesideOtherMigrations() throws Exception {
        IncomingBudget budget = new IncomingBudget(IncomingBudget.BYTES);
        IncomingBudget.Share other = budget.open();
        other.take(IncomingBudget.BYTES - 1_000 * IncomingBudget.PER_SNAPSHOT);

        CookieException refused;
        try (IncomingBudget.Share share = budget.open()) {
            SnapshotDescriptor descriptor = new SnapshotDescriptor(1_001, "sha256:" + "0".repeat(64));
            refused = assertThrows(CookieException.class, () -> SnapshotStream.read(new Tiny(1_001), descriptor, share));
        }

        assertEquals("snapshots stream: with this one's 512001 bytes so far (903 snapshots, 512 bytes each beside their"
                + " text) this daemon would hold over 67108864 bytes of incoming snapshots at once (other migrations'"
                + " included); migrate again once they are staged", refused.getMessage());
        other.close();
        assertEquals(0, budget.held());
    }

    /**
     * A stream that announces the most snapshots and then sends nothing (a slow peer, or a hostile one, up to 32
     * Prepares at once) took their share, the whole budget, before its first snapshot came, and held it until its
     * section's time limit: every other arrival with snapshots failed meanwhile. It holds what it was sent.
     */
    @Test
    public void aStreamThatAnnouncesTheMostSnapshotsAndSendsNoneLeavesTheBudgetToOthers() throws Exception {
        IncomingBudget budget = new IncomingBudget(IncomingBudget.BYTES);
        int most = (int) (IncomingBudget.BYTES / IncomingBudget.PER_SNAPSHOT);
        Stalled stalled = new Stalled(most);
        AtomicReference<Throwable> ended = new AtomicReference<>();
        Thread reading = new Thread(() -> {
            try (IncomingBudget.Share share = budget.open()) {
                SnapshotStream.read(stalled, new SnapshotDescriptor(most, "sha256:" + "0".repeat(64)), share);
            } catch (Throwable e) {
                ended.set(e);
            }
        });
        reading.start();
        try {
            assertTrue("the stalled stream's header was read", stalled.waiting.await(10, TimeUnit.SECONDS));
            assertEquals("held for snapshots not sent", 0, budget.held());

            List<Snapshot> ten = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                ten.add(SnapshotSideStreamTest.snapshot("s" + i, i == 0 ? null : "s" + (i - 1)));
            }
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            SnapshotStream.write(bytes, ten, "s9");
            try (IncomingBudget.Share share = budget.open()) {
                SnapshotStream.Contents contents = SnapshotStream.read(new ByteArrayInputStream(bytes.toByteArray()),
                        new SnapshotDescriptor(10, SnapshotStream.measure(ten, "s9").digest()), share);
                assertEquals(10, contents.xmls().size());
            }
        } finally {
            stalled.release.countDown();
            reading.join(10_000);
        }
        assertEquals("snapshots stream ended early: expected " + most + " snapshots", ended.get().getMessage());
        assertEquals("given back", 0, budget.held());
    }

    /**
     * The source refuses at Begin, by {@link IncomingBudget#need}, a stream no destination can take: what it reckons
     * is what a destination holds of that stream once read, to the byte.
     */
    @Test
    public void whatTheSourceReckonsIsWhatTheDestinationHolds() throws Exception {
        List<Snapshot> snapshots = List.of(SnapshotSideStreamTest.snapshot("a", null), new Snapshot("b", "a",
                "<domainsnapshot><name>b</name><description>\u20ac</description></domainsnapshot>"),
                SnapshotSideStreamTest.snapshot("c", "a"));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        SnapshotStream.write(bytes, snapshots, "c");
        SnapshotStream.Written written = SnapshotStream.measure(snapshots, "c");
        assertEquals(bytes.size(), written.length());
        IncomingBudget budget = new IncomingBudget(IncomingBudget.BYTES);

        try (IncomingBudget.Share share = budget.open()) {
            SnapshotDescriptor descriptor = new SnapshotDescriptor(3, written.digest());
            SnapshotStream.read(new ByteArrayInputStream(bytes.toByteArray()), descriptor, share);
            assertEquals(IncomingBudget.need(3, written.length()), budget.held());
        }
    }

    /** The bench's 10,000 snapshots (5.0 MiB of stream, a chain) migrate, several such migrations at once. */
    @Test
    public void tenThousandSnapshotsOfTheBenchsSizeFitWithRoomForOthers() throws Exception {
        List<Snapshot> chain = new ArrayList<>();
        for (int i = 0; i < 10_000; i++) {
            String name = String.format("s%05d", i);
            String xml = "<domainsnapshot><name>" + name + "</name><description>benchmark snapshot " + i + "</description>"
                    + (i == 0 ? "" : "<parent><name>" + chain.get(i - 1).name() + "</name></parent>")
                    + "<state>running</state><domain type='sim'><name>snapshots-vm</name>" + " ".repeat(320) + "</domain>"
                    + "</domainsnapshot>";
            chain.add(new Snapshot(name, i == 0 ? null : chain.get(i - 1).name(), xml));
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        SnapshotStream.write(bytes, chain, "s09999");
        assertTrue("the bench's stream: " + bytes.size(), bytes.size() >= 5 * 1024 * 1024);
        IncomingBudget budget = new IncomingBudget(IncomingBudget.BYTES);

        try (IncomingBudget.Share share = budget.open()) {
            SnapshotStream.Contents contents = SnapshotStream.read(new ByteArrayInputStream(bytes.toByteArray()),
                    new SnapshotDescriptor(10_000, SnapshotStream.measure(chain, "s09999").digest()), share);
            assertEquals(10_000, contents.xmls().size());
            assertTrue("held " + budget.held(), budget.held() < IncomingBudget.BYTES / 4);
        }
    }

    @Test
    public void migrationsShareTheBudgetAndAClosedShareGivesItsBytesBack() throws Exception {
        IncomingBudget budget = new IncomingBudget(100);
        IncomingBudget.Share first = budget.open();
        IncomingBudget.Share second = budget.open();
        first.take(60);

        assertThrows(CookieException.class, () -> second.take(41));
        second.take(40);
        assertEquals(100, budget.held());
        first.close();
        second.take(60);
        assertEquals(100, budget.held());
        second.close();
        assertEquals(0, budget.held());
    }

    /** A count, then nothing until {@link #release}d, then its end; {@link #waiting} once asked for more. */
    static final class Stalled extends InputStream {
        final CountDownLatch waiting = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        private final byte[] header;
        private boolean sent;

        Stalled(int count) {
            header = ByteBuffer.allocate(4).putInt(count).array();
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (!sent && len >= header.length) {
                sent = true;
                System.arraycopy(header, 0, b, off, header.length);
                return header.length;
            }
            waiting.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException();
            }
            return -1;
        }
    }

    /** A count, then per snapshot: flag 0, its length, 50 bytes of XML with a name of its own; made as it is read. */
    static final class Tiny extends InputStream {
        private final int count;
        private byte[] next;
        private int at;
        private int made;
        long position;

        Tiny(int count) {
            this.count = count;
            this.next = ByteBuffer.allocate(4).putInt(count).array();
        }

        @Override
        public int read() {
            if (at == next.length) {
                if (made == count) {
                    return -1;
                }
                String name = Integer.toString(made++, 36);
                byte[] xml = ("<domainsnapshot><name>" + "0".repeat(4 - name.length()) + name + "</name></domainsnapshot>")
                        .getBytes(StandardCharsets.UTF_8);
                next = ByteBuffer.allocate(5 + xml.length).put((byte) 0).putInt(xml.length).put(xml).array();
                at = 0;
            }
            position++;
            return next[at++] & 0xff;
        }
    }

    /** A count, then per snapshot: flag 0, its length, and XML with one character outside Latin-1; made as it is read. */
    static final class Generated extends InputStream {
        private final byte[] euro = "\u20ac".getBytes(StandardCharsets.UTF_8);
        private final int count;
        private final int length;
        private final long total;
        long position;

        Generated(int count, int length) {
            this.count = count;
            this.length = length;
            this.total = 4 + (long) count * (5 + length);
        }

        @Override
        public int read() {
            if (position >= total) {
                return -1;
            }
            long p = position++;
            if (p < 4) {
                return ByteBuffer.allocate(4).putInt(count).array()[(int) p] & 0xff;
            }
            long in = (p - 4) % (5 + length);
            if (in == 0) {
                return 0;
            }
            if (in < 5) {
                return ByteBuffer.allocate(4).putInt(length).array()[(int) in - 1] & 0xff;
            }
            return in - 5 < 3 ? euro[(int) (in - 5)] & 0xff : 'x';
        }
    }
}
