package io.ferry.driver.sim;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ClosedByInterruptException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** Guest memory mapped in chunks, and the dirty bitmap. */
public class GuestMemoryTest {
    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    @Test
    public void memoryBeyondTwoGibibytes() throws Exception {
        Path file = tmp.getRoot().toPath().resolve("memory");
        long bytes = 3L << 30; // sparse: only the pages written below take room
        GuestMemory memory = GuestMemory.create(file, bytes, GuestMemory.DEFAULT_CHUNK_BYTES);
        try {
            assertEquals(3 << 18, memory.pageCount());
            byte[] page = new byte[GuestMemory.PAGE_SIZE];
            long[] pages = {0, (1L << 18) - 1, 1L << 18, (2L << 18) + 5, memory.pageCount() - 1};
            for (long index : pages) {
                Arrays.fill(page, (byte) index);
                page[0] = (byte) (index >>> 8);
                memory.writePage(index, page);
            }
            byte[] read = new byte[GuestMemory.PAGE_SIZE];
            try (GuestMemory.PageReader reader = memory.reader()) {
                for (long index : pages) {
                    Arrays.fill(page, (byte) index);
                    page[0] = (byte) (index >>> 8);
                    reader.read(index, 1, read, 0);
                    assertArrayEquals("page " + index, page, read);
                }
                assertThrows(IndexOutOfBoundsException.class, () -> reader.read(memory.pageCount(), 1, read, 0));
            }
        } finally {
            memory.close(true);
        }
        assertFalse(Files.exists(file));
    }

    @Test
    public void aNewMemoryOverAFileReadableByAllIsItsOwnersAlone() throws Exception {
        Path file = tmp.newFile().toPath();
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        GuestMemory memory = GuestMemory.create(file, 1 << 20, 1 << 20);
        try {
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        } finally {
            memory.close(true);
        }
    }

    @Test
    public void fillAndDigestDoNotDependOnTheChunkSize() throws Exception {
        GuestMemory small = GuestMemory.create(tmp.newFile().toPath(), 3 << 20, 1 << 20);
        GuestMemory large = GuestMemory.create(tmp.newFile().toPath(), 3 << 20, 1 << 30);
        small.fill(42);
        large.fill(42);
        assertEquals(PageCrcs.of(large).digest(), PageCrcs.of(small).digest());
        small.scribble(300, new SplittableRandom(1), 8);
        assertFalse(PageCrcs.of(large).digest().equals(PageCrcs.of(small).digest()));
        small.close(false);
        assertThrows(IllegalStateException.class, () -> PageCrcs.of(small));
        large.close(false);
    }

    @Test
    public void aReaderInterruptedClosesOnlyItsOwnChannelAndTheGuestsWritesGoOn() throws Exception {
        GuestMemory memory = GuestMemory.create(tmp.newFile().toPath(), 1 << 20, 1 << 20);
        try {
            byte[] page = new byte[GuestMemory.PAGE_SIZE];
            Arrays.fill(page, (byte) 7);
            memory.writePage(3, page);
            GuestMemory.PageReader interrupted = memory.reader();
            Thread.currentThread().interrupt();
            try {
                assertThrows(ClosedByInterruptException.class, () -> interrupted.read(3, 1, new byte[GuestMemory.PAGE_SIZE], 0));
            } finally {
                Thread.interrupted();
                interrupted.close();
            }
            Arrays.fill(page, (byte) 9);
            memory.writePage(4, page); // through the memory's own channel, still open
            byte[] read = new byte[GuestMemory.PAGE_SIZE];
            try (GuestMemory.PageReader reader = memory.reader()) {
                reader.read(4, 1, read, 0);
            }
            assertArrayEquals(page, read);
        } finally {
            memory.close(true);
        }
    }

    @Test
    public void fillWritesTheSeedsXorshiftSequenceToTheLastByteAndNoFurther() throws Exception {
        long bytes = (1 << 20) + 3 * GuestMemory.PAGE_SIZE; // not a whole number of fill blocks
        Path file = tmp.newFile().toPath();
        GuestMemory memory = GuestMemory.create(file, bytes, 1 << 20);
        memory.fill(42);
        ByteBuffer expected = ByteBuffer.allocate((int) bytes).order(ByteOrder.LITTLE_ENDIAN);
        for (long x = 42; expected.hasRemaining();) {
            x ^= x >>> 12;
            x ^= x << 25;
            x ^= x >>> 27;
            expected.putLong(x * 0x2545F4914F6CDD1DL);
        }
        assertArrayEquals(expected.array(), Files.readAllBytes(file));
        memory.close(true);
    }

    @Test
    public void bitmapMarksAndTakesWordsAtOnce() {
        DirtyBitmap all = new DirtyBitmap(130, true);
        assertEquals(130, all.count());
        assertEquals(3, all.words());
        assertEquals(-1L, all.take(0));
        assertEquals(0b11, all.take(2)); // pages 128 and 129, nothing beyond the last page
        assertEquals(64, all.count());
        DirtyBitmap bitmap = new DirtyBitmap(200, false);
        assertEquals(0, bitmap.count());
        bitmap.mark(3);
        bitmap.mark(3);
        bitmap.mark(64);
        bitmap.mark(199);
        assertEquals(3, bitmap.count());
        assertEquals(1L << 3, bitmap.take(0));
        assertEquals(0, bitmap.take(0));
        assertEquals(1L, bitmap.take(1));
        assertEquals(1L << (199 - 192), bitmap.take(3));
        assertEquals(0, bitmap.count());
    }
}
