package io.ferry.protocol;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * A stream that gives up on a peer that stopped reading (a streamed request body, a migration's data connection):
 * a socket has no write timeout, so a write blocked for longer than the limit makes a watchdog close the
 * connection, which ends the write with an error. One check a second per stream, shared by all of them on one thread;
 * the close itself runs on a thread of its own.
 */
public final class StalledWrites extends FilterOutputStream {
    /** Also ends TLS handshakes that do not finish ({@link ClientTls}). */
    static final ScheduledThreadPoolExecutor WATCHDOG = watchdog();

    private final long limitNanos;
    private final Runnable disconnect;
    private final ScheduledFuture<?> check;
    /** When the write under way began, or 0 when none is. */
    private volatile long writingSince;
    private volatile boolean stalled;

    private StalledWrites(OutputStream out, int limitMillis, Runnable disconnect) {
        super(out);
        this.limitNanos = TimeUnit.MILLISECONDS.toNanos(limitMillis);
        this.disconnect = disconnect;
        this.check = WATCHDOG.scheduleWithFixedDelay(this::check, 1, 1, TimeUnit.SECONDS);
    }

    /** Guards {@code out}: a write or flush blocked longer than {@code limitMillis} runs {@code disconnect}. */
    public static StalledWrites guard(OutputStream out, int limitMillis, Runnable disconnect) {
        return new StalledWrites(out, limitMillis, disconnect);
    }

    private static ScheduledThreadPoolExecutor watchdog() {
        ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, task -> {
            Thread thread = new Thread(task, "ferry-channel-watchdog");
            thread.setDaemon(true);
            return thread;
        });
        executor.setKeepAliveTime(30, TimeUnit.SECONDS);
        executor.allowCoreThreadTimeOut(true);
        executor.setRemoveOnCancelPolicy(true);
        return executor;
    }

    private void check() {
        long since = writingSince;
        if (since != 0 && System.nanoTime() - since > limitNanos) {
            stalled = true;
            stopWatching();
            aside(disconnect);
        }
    }

    /**
     * Runs {@code close} on a thread of its own: a close that blocks (a TLS socket's, waiting for a lock the stalled
     * write holds) must not stop the watchdog, which all the other streams' checks and handshake deadlines share.
     */
    static void aside(Runnable close) {
        Thread thread = new Thread(close, "ferry-channel-close");
        thread.setDaemon(true);
        thread.start();
    }

    /** Whether the watchdog closed the connection. */
    public boolean stalled() {
        return stalled;
    }

    public void stopWatching() {
        check.cancel(false);
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        writingSince = System.nanoTime();
        try {
            out.write(b, off, len);
        } finally {
            writingSince = 0;
        }
    }

    @Override
    public void flush() throws IOException {
        writingSince = System.nanoTime();
        try {
            out.flush();
        } finally {
            writingSince = 0;
        }
    }

    @Override
    public void close() throws IOException {
        try {
            flush();
            out.close();
        } finally {
            stopWatching();
        }
    }
}
