package io.ferry.driver.sim;

import java.io.IOException;
import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * The CRC32C of each page, kept as pages stream, and the memory digest folded from them: the CRC32C of the
 * whole memory, the same value {@link #of} gives by reading it all. Pages move out of order
 * and more than once, so each page keeps its own CRC; at the end they are combined in page order as zlib's
 * {@code crc32_combine} does, {@code crc(A+B) = crc(A) * x^(8 |B|) mod P xor crc(B)}, with the multiplication by
 * the constant {@code x^(8 * page size)} done by four table look-ups: about a millisecond per GiB of memory,
 * where reading it at switch-over took 0.1 s and more. {@link GuestMemory#digest} is a fold too, of the pages read.
 */
final class PageCrcs {
    /** CRC-32C (Castagnoli), reflected. */
    private static final int POLY = 0x82F63B78;
    private static final int PAGE = GuestMemory.PAGE_SIZE;
    /** The CRC32C of a page of zeros. */
    static final int ZERO_PAGE;
    /** {@code x^(8 * PAGE) mod P} times each byte value at each of the four byte positions. */
    private static final int[][] SHIFT_PAGE = new int[4][256];

    static {
        CRC32C crc = new CRC32C();
        crc.update(new byte[PAGE]);
        ZERO_PAGE = (int) crc.getValue();
        int shift = xPow8n(PAGE);
        for (int position = 0; position < 4; position++) {
            for (int value = 0; value < 256; value++) {
                SHIFT_PAGE[position][value] = multiply(shift, value << (8 * position));
            }
        }
    }

    private final int[] crcs;

    /** A memory of {@code pages} zero pages. */
    PageCrcs(long pages) {
        if (pages > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(pages + " pages");
        }
        crcs = new int[(int) pages];
        Arrays.fill(crcs, ZERO_PAGE);
    }

    /** The CRCs of what {@code memory} holds now: reads every page it ever wrote; the others are zero, and not read. */
    static PageCrcs of(GuestMemory memory) throws IOException {
        try (GuestMemory.PageReader reader = memory.reader()) { // first: a released memory's table is not made
            PageCrcs crcs = new PageCrcs(memory.pageCount());
            byte[] pages = new byte[DirtyBitmap.WORD_PAGES * PAGE];
            CRC32C crc = new CRC32C();
            for (long word = 0; word << 6 < memory.pageCount(); word++) {
                long written = memory.written(word);
                while (written != 0) { // runs of written pages, read at once
                    int from = Long.numberOfTrailingZeros(written);
                    int to = from + Long.numberOfTrailingZeros(~(written >>> from));
                    int count = Math.min(to, DirtyBitmap.WORD_PAGES) - from;
                    long first = (word << 6) + from;
                    count = (int) Math.min(count, memory.pageCount() - first);
                    reader.read(first, count, pages, 0);
                    for (int i = 0; i < count; i++) {
                        crcs.set(first + i, crc(pages, i * PAGE, crc));
                    }
                    written = to >= DirtyBitmap.WORD_PAGES ? 0 : written & (-1L << to);
                }
            }
            return crcs;
        }
    }

    void set(long page, int crc) {
        crcs[(int) page] = crc;
    }

    void setZero(long first, int count) {
        Arrays.fill(crcs, (int) first, (int) first + count, ZERO_PAGE);
    }

    /** {@code crc32c:<hex>/<pages>}, as {@link GuestMemory#digest} of a memory whose pages have these CRCs. */
    String digest() {
        int whole = crcs.length == 0 ? 0 : crcs[0];
        for (int i = 1; i < crcs.length; i++) {
            whole = shiftPage(whole) ^ crcs[i];
        }
        return GuestMemory.digest(whole, crcs.length);
    }

    static int crc(byte[] bytes, int offset, CRC32C crc) {
        crc.reset();
        crc.update(bytes, offset, PAGE);
        return (int) crc.getValue();
    }

    /** {@code crc * x^(8 * PAGE) mod P}. */
    private static int shiftPage(int crc) {
        return SHIFT_PAGE[0][crc & 0xff] ^ SHIFT_PAGE[1][(crc >>> 8) & 0xff] ^ SHIFT_PAGE[2][(crc >>> 16) & 0xff]
                ^ SHIFT_PAGE[3][crc >>> 24];
    }

    /** {@code a * b mod P}, reflected bit order (zlib's multmodp). */
    private static int multiply(int a, int b) {
        int m = 1 << 31;
        int product = 0;
        while (m != 0) {
            if ((a & m) != 0) {
                product ^= b;
            }
            m >>>= 1;
            b = (b & 1) != 0 ? (b >>> 1) ^ POLY : b >>> 1;
        }
        return product;
    }

    /** {@code x^(8 * bytes) mod P}. */
    private static int xPow8n(long bytes) {
        int result = 1 << 31; // x^0
        int square = 1 << 30; // x^1
        for (long exponent = 8 * bytes; exponent != 0; exponent >>>= 1) {
            if ((exponent & 1) != 0) {
                result = multiply(square, result);
            }
            square = multiply(square, square);
        }
        return result;
    }
}
