package io.ferry.plugin.snapshots;

import io.ferry.api.cookie.CookieException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * How many bytes of incoming snapshot streams a daemon holds at once, all migrations together. A stream is held
 * whole until it is staged (its digest comes at its end), and each of its bytes costs up to four on the heap (a
 * String of UTF-16 for XML outside Latin-1, the staged pack and its copy), and each snapshot, however small, some
 * hundreds more ({@link #PER_SNAPSHOT}, charged for the stream's count before it is read): a peer, or a few migrations
 * at once, must not be able to fill the daemon's heap with streams each within its own bound, whether of large
 * snapshots or of many tiny ones. A stream that would go over fails its migration, which leaves the domain on its
 * source, with a message that says why.
 */
final class IncomingBudget {
    /** The bytes held at most, and so also the most one stream may carry. */
    static final long BYTES = 64L * 1024 * 1024;
    /**
     * What the destination holds per snapshot beside its text's bytes until it is staged: the String's and its array's
     * headers, the store's record and name, its entry in the store's map of what it read, the hierarchy's map entries
     * and lists, the staged pack's entry (sized text + 136) and its copy's. Measured for 200,000 snapshots of 50 bytes
     * (the smallest with a 4-character name): 51 bytes a snapshot for the text's String beyond the text, 139 held
     * after the hierarchy's check; the peaks added up from the structures: ~280 during that check (its maps), ~330
     * while the pack is written, more with a parent's name. Rounded up: the budget then bounds the count too (at most
     * 131,072 snapshots in all), where a million tiny ones took 55 MB of it and several hundred MB of heap.
     */
    static final long PER_SNAPSHOT = 512;

    private final long limit;
    private final AtomicLong held = new AtomicLong();

    IncomingBudget(long limit) {
        this.limit = limit;
    }

    /** A stream's share, taken as it is read and given back when it is closed (staged or failed). */
    Share open() {
        return new Share();
    }

    long held() {
        return held.get();
    }

    final class Share implements AutoCloseable {
        private long bytes;

        /**
         * Takes the fixed share of a stream's {@code count} snapshots, before any is read: a count the budget cannot
         * hold even alone is refused as such, naming it.
         */
        void takeSnapshots(int count) throws CookieException {
            if (count > limit / PER_SNAPSHOT) {
                throw new CookieException("snapshots stream announces " + count + " snapshots, more than this daemon holds"
                        + " at once (at most " + limit / PER_SNAPSHOT + ": " + PER_SNAPSHOT + " bytes each beside their text"
                        + " within its " + limit + " bytes for incoming snapshots)");
            }
            take(count * PER_SNAPSHOT, "'s " + count + " snapshots (" + PER_SNAPSHOT + " bytes each beside their text)");
        }

        /** Takes {@code more} bytes for the stream, or refuses if the daemon would hold more than its limit. */
        void take(long more) throws CookieException {
            take(more, "'s " + (bytes + more) + " bytes so far");
        }

        private void take(long more, String what) throws CookieException {
            long now = held.addAndGet(more);
            if (now > limit) {
                held.addAndGet(-more);
                throw new CookieException("snapshots stream: with this one" + what + " this daemon would hold over " + limit
                        + " bytes of incoming snapshots at once (other migrations' included);"
                        + " migrate again once they are staged");
            }
            bytes += more;
        }

        @Override
        public void close() {
            held.addAndGet(-bytes);
            bytes = 0;
        }
    }
}
