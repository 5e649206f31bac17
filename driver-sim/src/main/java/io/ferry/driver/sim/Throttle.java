package io.ferry.driver.sim;

import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

/**
 * A token bucket for the memory stream: bytes are paid for after they are written (the balance may go
 * negative), and the writer then waits until the balance is back to zero. The cap is read anew on every call
 * and during long waits, so migrate-setspeed applies at once; an unused cap does not pile up beyond a short
 * burst.
 */
final class Throttle {
    /** Sleeps; the clock must have moved on by about {@code nanos} afterwards. */
    @FunctionalInterface
    interface Sleeper {
        void sleep(long nanos) throws InterruptedException;
    }

    static final long BURST_NANOS = TimeUnit.MILLISECONDS.toNanos(50);
    /** At least two chunks of the sender (64 pages each), or a writer slower than the cap would still wait on every chunk. */
    static final long MIN_BURST_BYTES = 2L * MemorySender.CHUNK_PAGES * GuestMemory.PAGE_SIZE;
    static final long MAX_SLEEP_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    private final LongSupplier clock;
    private final Sleeper sleeper;
    private double tokens;
    private long last;
    private boolean started;

    Throttle(LongSupplier clock, Sleeper sleeper) {
        this.clock = clock;
        this.sleeper = sleeper;
    }

    static Throttle system() {
        return new Throttle(System::nanoTime, TimeUnit.NANOSECONDS::sleep);
    }

    /**
     * Accounts for {@code bytes} just written and waits as long as the cap (bytes per second, 0 for none)
     * asks; returns early once {@code stop} says so.
     */
    void pace(long bytes, LongSupplier cap, BooleanSupplier stop) throws InterruptedException {
        long rate = cap.getAsLong();
        if (rate <= 0) {
            started = false; // unlimited: start afresh when a cap comes
            return;
        }
        refill(rate);
        tokens -= bytes;
        while (tokens < 0 && !stop.getAsBoolean()) {
            sleeper.sleep(Math.min(MAX_SLEEP_NANOS, (long) Math.ceil(-tokens * 1e9 / rate)));
            rate = cap.getAsLong();
            if (rate <= 0) {
                started = false;
                return;
            }
            refill(rate);
        }
    }

    private void refill(long rate) {
        long now = clock.getAsLong();
        if (!started) {
            started = true;
            last = now;
            tokens = 0;
            return;
        }
        tokens = Math.min(burstBytes(rate), tokens + (now - last) / 1e9 * rate);
        last = now;
    }

    /** The most that idle time can save up at {@code rate}. */
    static double burstBytes(long rate) {
        return Math.max(MIN_BURST_BYTES, rate * (BURST_NANOS / 1e9));
    }
}
