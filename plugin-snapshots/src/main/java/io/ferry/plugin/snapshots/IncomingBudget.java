package io.ferry.plugin.snapshots;

import io.ferry.api.cookie.CookieException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * How many bytes of incoming snapshot streams a daemon holds at once, all migrations together. A stream is held
 * whole until it is staged (its digest comes at its end), and each of its bytes costs up to four on the heap (a
 * String of UTF-16 for XML outside Latin-1, the staged pack and its copy): a peer, or a few migrations at once,
 * must not be able to fill the daemon's heap with streams each within its own bound. A stream that would go over
 * fails its migration, which leaves the domain on its source, with a message that says why.
 */
final class IncomingBudget {
    /** The bytes held at most, and so also the most one stream may carry. */
    static final long BYTES = 64L * 1024 * 1024;

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

        /** Takes {@code more} bytes for the stream, or refuses if the daemon would hold more than its limit. */
        void take(long more) throws CookieException {
            long now = held.addAndGet(more);
            if (now > limit) {
                held.addAndGet(-more);
                throw new CookieException("snapshots stream: with this one's " + (bytes + more) + " bytes so far this daemon"
                        + " would hold over " + limit + " bytes of incoming snapshots at once (other migrations' included);"
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
