package io.ferry.core.control;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;

/**
 * A request whose body, read before its handler runs, must arrive at {@value #BYTES_PER_SECOND} bytes a second on
 * average once {@value #GRACE_MILLIS} ms have passed; a slower one reads as failed. The body is read on a worker
 * and Jetty's idle timeout starts again with every byte, so a client that sent a byte now and then held a worker for
 * ever (64 of them, every worker). Jetty 12 does not enforce {@code HttpConfiguration.setMinRequestDataRate} outside
 * its servlet layers, and its {@code MinimumDataRateHandler} counts the bytes of every request of the server as this
 * one's.
 *
 * <p>The rate is checked only when the reader is about to wait for the client, never while bytes wait to be read:
 * a daemon slow to read them (a pause, a busy host) is not the client's doing.
 */
final class MinimumBodyRate extends Request.Wrapper {
    /** Far below any real client: a body is a message or a definition, sent at once. */
    static final long BYTES_PER_SECOND = 16 * 1024;
    static final long GRACE_MILLIS = 5_000;

    private final long startedAt = System.nanoTime();
    private long bytes;
    private boolean tooSlow;

    MinimumBodyRate(Request request) {
        super(request);
    }

    /** Whether the body came slower than the minimum (and reads as failed from then on). */
    boolean tooSlow() {
        return tooSlow;
    }

    @Override
    public Content.Chunk read() {
        if (tooSlow) {
            return Content.Chunk.from(new TimeoutException("body slower than " + BYTES_PER_SECOND + " bytes a second"));
        }
        Content.Chunk chunk = super.read();
        if (chunk != null) {
            bytes += chunk.remaining();
        }
        return chunk;
    }

    @Override
    public void demand(Runnable demandCallback) {
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startedAt);
        if (bytes < BYTES_PER_SECOND * (millis - GRACE_MILLIS) / 1000) {
            tooSlow = true;
            demandCallback.run(); // the reader wakes to the failure
            return;
        }
        super.demand(demandCallback);
    }
}
