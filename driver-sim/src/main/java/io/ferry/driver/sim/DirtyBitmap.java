package io.ferry.driver.sim;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * One bit per guest page, set and cleared atomically. As a migration's dirty bitmap: set by the guest when it
 * writes a page and cleared by the sender just before it copies the page (a word of 64 at a time), so a write that
 * races with the copy leaves the bit set and the page goes again next round. As a memory's written map: set
 * before a page is written, so a clear bit means the page is zero.
 */
final class DirtyBitmap {
    /** Pages per word of the bitmap. */
    static final int WORD_PAGES = Long.SIZE;

    private final AtomicLongArray words;

    private final long pages;

    DirtyBitmap(long pages, boolean allDirty) {
        this.pages = pages;
        this.words = new AtomicLongArray((int) ((pages + 63) >>> 6));
        if (allDirty) {
            markAll();
        }
    }

    void markAll() {
        for (int i = 0; i < words.length(); i++) {
            long remaining = pages - ((long) i << 6);
            words.set(i, remaining >= 64 ? -1L : (1L << remaining) - 1);
        }
    }

    void mark(long first, int count) {
        for (long page = first; page < first + count; page++) {
            mark(page);
        }
    }

    void clear(long page) {
        int word = (int) (page >>> 6);
        long bit = 1L << page;
        long old;
        do {
            old = words.get(word);
        } while ((old & bit) != 0 && !words.compareAndSet(word, old, old & ~bit));
    }

    /** The 64 pages of {@code word} (bit i: page 64 word + i), left as they are. */
    long peek(int word) {
        return words.get(word);
    }

    void mark(long page) {
        int word = (int) (page >>> 6);
        long bit = 1L << page;
        long old;
        do {
            old = words.get(word);
        } while ((old & bit) == 0 && !words.compareAndSet(word, old, old | bit));
    }

    int words() {
        return words.length();
    }

    /** Clears the 64 pages of {@code word} at once; returns which of them were set (bit i: page 64 word + i). */
    long take(int word) {
        return words.getAndSet(word, 0);
    }

    /** Set pages now; a snapshot while the guest writes. */
    long count() {
        long count = 0;
        for (int i = 0; i < words.length(); i++) {
            count += Long.bitCount(words.get(i));
        }
        return count;
    }
}
