package io.ferry.driver.sim;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * One bit per guest page, set by the guest when it writes a page and cleared by the sender just before it
 * copies the page: a write that races with the copy leaves the bit set, so the page goes again next round.
 */
final class DirtyBitmap {
    private final long pages;
    private final AtomicLongArray words;

    DirtyBitmap(long pages, boolean allDirty) {
        this.pages = pages;
        this.words = new AtomicLongArray((int) ((pages + 63) >>> 6));
        if (allDirty) {
            for (int i = 0; i < words.length(); i++) {
                long remaining = pages - ((long) i << 6);
                words.set(i, remaining >= 64 ? -1L : (1L << remaining) - 1);
            }
        }
    }

    void mark(long page) {
        int word = (int) (page >>> 6);
        long bit = 1L << page;
        long old;
        do {
            old = words.get(word);
        } while ((old & bit) == 0 && !words.compareAndSet(word, old, old | bit));
    }

    /** Clears the page's bit; true if it was set. */
    boolean testAndClear(long page) {
        int word = (int) (page >>> 6);
        long bit = 1L << page;
        long old;
        do {
            old = words.get(word);
            if ((old & bit) == 0) {
                return false;
            }
        } while (!words.compareAndSet(word, old, old & ~bit));
        return true;
    }

    /** The first set page at or after {@code from}, or -1. */
    long nextSet(long from) {
        if (from >= pages) {
            return -1;
        }
        int word = (int) (from >>> 6);
        long bits = words.get(word) & (-1L << from);
        while (bits == 0) {
            if (++word == words.length()) {
                return -1;
            }
            bits = words.get(word);
        }
        return ((long) word << 6) + Long.numberOfTrailingZeros(bits);
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
