package io.ferry.protocol;

import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * How long a call may take in all, however its daemon keeps the reply alive: a read timeout cannot say, as each byte
 * (a heartbeat's space, a hostile peer's trickle) starts it over. Once the time is up the watchdog of
 * {@link StalledWrites} closes the connection, on a thread of its own, which ends the read blocked on it with an error.
 */
final class CallDeadline implements AutoCloseable {
    /** No limit: the calls that legitimately run for minutes (a Perform moving gigabytes). */
    static final CallDeadline NONE = new CallDeadline();

    private final ScheduledFuture<?> end;
    private volatile boolean passed;

    private CallDeadline() {
        this.end = null;
    }

    private CallDeadline(int millis, Runnable disconnect) {
        this.end = StalledWrites.WATCHDOG.schedule(() -> {
            passed = true;
            StalledWrites.aside(disconnect);
        }, millis, TimeUnit.MILLISECONDS);
    }

    /** Runs {@code disconnect} once {@code millis} have passed, unless closed before; 0 or less: never. */
    static CallDeadline start(int millis, Runnable disconnect) {
        return millis > 0 ? new CallDeadline(millis, disconnect) : NONE;
    }

    /** Whether the time was up and the connection closed: what failed the call, whatever error it surfaced as. */
    boolean passed() {
        return passed;
    }

    @Override
    public void close() {
        if (end != null) {
            end.cancel(false);
        }
    }
}
