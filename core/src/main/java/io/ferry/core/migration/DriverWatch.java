package io.ferry.core.migration;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;

/**
 * What a daemon knows of a migration's driver (the CLI, or the source daemon in peer-to-peer mode): when it
 * last heard of it, by a call or a keepalive, and whether one of its calls is under way. A driver is gone when
 * none of its calls runs and it has been silent longer than the limit.
 */
final class DriverWatch {
    private final LongSupplier clock;
    private final AtomicInteger calls = new AtomicInteger();
    private volatile long lastHeard;

    DriverWatch(LongSupplier clock) {
        this.clock = clock;
        this.lastHeard = clock.getAsLong();
    }

    void heard() {
        lastHeard = clock.getAsLong();
    }

    /** A call of the driver starts; closing the result ends it. */
    Call enter() {
        calls.incrementAndGet();
        heard();
        return () -> {
            calls.decrementAndGet();
            heard();
        };
    }

    boolean inCall() {
        return calls.get() > 0;
    }

    boolean silentFor(long millis) {
        return clock.getAsLong() - lastHeard > millis;
    }

    boolean gone(long millis) {
        return !inCall() && silentFor(millis);
    }

    interface Call extends AutoCloseable {
        @Override
        void close();
    }
}
