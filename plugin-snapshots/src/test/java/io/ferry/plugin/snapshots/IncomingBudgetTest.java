package io.ferry.plugin.snapshots;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.api.cookie.CookieException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.Test;

/**
 * The daemon holds at most {@link IncomingBudget#BYTES} of incoming snapshot streams at once: a stream within its
 * per-snapshot bounds but larger than the daemon's heap bears (63 snapshots of 4 MiB whose XML is outside Latin-1,
 * 8 MiB each as Strings) is refused as it goes over, not read whole into an OutOfMemoryError; streams of several
 * migrations share the budget.
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

        assertTrue(refused.getMessage(), refused.getMessage().startsWith("snapshots stream: with this one's "));
        assertTrue(refused.getMessage(), refused.getMessage().contains("would hold over " + IncomingBudget.BYTES + " bytes"));
        assertTrue("refused before the 17th snapshot was read: " + stream.position,
                stream.position <= 4 + 16L * (5 + SnapshotStream.MAX_LENGTH));
        assertEquals("given back", 0, budget.held());
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
