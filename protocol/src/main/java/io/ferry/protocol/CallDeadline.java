package io.ferry.protocol;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * How long a call may take in all, however its daemon keeps the reply alive: a read timeout cannot say, as each byte
 * (a heartbeat's space, a hostile peer's trickle) starts it over. Enforced twice over:
 * <ul>
 * <li>once the time is up the watchdog of {@link StalledWrites} closes the connection, on a thread of its own, which
 * ends a call whose peer is silent (before its reply: the connection's close lands at once);</li>
 * <li>the calling thread checks the time left once connected ({@link #check}) and before each read of the reply
 * ({@link #guard}): once the reply began, the close waits for the lock the blocked read holds, and may keep losing it
 * to the next read a heartbeat's byte wakes; and a close while the connection is being made finds none to close.</li>
 * </ul>
 */
final class CallDeadline implements AutoCloseable {
    /** No limit: the calls that legitimately run for minutes (a Perform moving gigabytes). */
    static final CallDeadline NONE = new CallDeadline();

    private final ScheduledFuture<?> end;
    private final long endsAtNanos;
    private final Runnable closeConnection;
    private volatile boolean passed;

    private CallDeadline() {
        this.end = null;
        this.endsAtNanos = 0;
        this.closeConnection = () -> { };
    }

    private CallDeadline(int millis, Runnable disconnect) {
        this.endsAtNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        this.closeConnection = disconnect;
        this.end = StalledWrites.WATCHDOG.schedule(() -> {
            passed = true;
            StalledWrites.aside(this::disconnect);
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

    /** Once the time is up: the connection is closed here, and the call fails as the watchdog's close would fail it. */
    void check() throws IOException {
        if (end != null && System.nanoTime() - endsAtNanos >= 0) {
            passed = true;
            disconnect();
            throw new IOException("the call's deadline passed");
        }
    }

    /** One close at a time: two at once, the watchdog's and the calling thread's, can fail inside the JDK's. */
    private synchronized void disconnect() {
        closeConnection.run();
    }

    /** {@code reply}, each read of which {@link #check checks} the time left first; null: none. */
    InputStream guard(InputStream reply) {
        return end == null || reply == null ? reply : new FilterInputStream(reply) {
            @Override
            public int read() throws IOException {
                check();
                return super.read();
            }

            @Override
            public int read(byte[] into, int offset, int length) throws IOException {
                check();
                return super.read(into, offset, length);
            }
        };
    }

    @Override
    public void close() {
        if (end != null) {
            end.cancel(false);
        }
    }
}
