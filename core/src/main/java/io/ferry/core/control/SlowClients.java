package io.ferry.core.control;

import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.http.HttpParser;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.ssl.SslConnection;
import org.eclipse.jetty.server.internal.HttpConnection;
import org.eclipse.jetty.util.component.AbstractLifeCycle;
import org.eclipse.jetty.util.thread.Scheduler;

/**
 * Keeps clients that never finish a request from holding the channel (slowloris): a connection whose request
 * headers (or TLS handshake and first request) are not complete {@code headerTimeout} after they began is closed,
 * and when the connections near their limit, each new one closes the oldest that has not yet completed a first
 * request, so a client that sends its request at once is always accepted. Checked once a second on the server's
 * scheduler: no thread per connection.
 */
final class SlowClients extends AbstractLifeCycle implements Connection.Listener {
    /** A network connection's progress. */
    private static final class State {
        final long openedAt = System.nanoTime();
        /** When the request under way began to arrive (0: none is arriving). */
        long awaitingSince;
    }

    private final long headerTimeoutNanos;
    private final int evictAbove;
    private final Scheduler scheduler;
    private final Map<Connection, State> open = new ConcurrentHashMap<>();
    private final Queue<Connection> arrivals = new ConcurrentLinkedQueue<>();
    private volatile Scheduler.Task sweep;

    /** @param evictAbove how many connections may be open before a new one closes an idle newcomer */
    SlowClients(long headerTimeoutMillis, int evictAbove, Scheduler scheduler) {
        this.headerTimeoutNanos = TimeUnit.MILLISECONDS.toNanos(headerTimeoutMillis);
        this.evictAbove = evictAbove;
        this.scheduler = scheduler;
    }

    @Override
    protected void doStart() {
        schedule();
    }

    @Override
    protected void doStop() {
        Scheduler.Task task = sweep;
        if (task != null) {
            task.cancel();
        }
    }

    private void schedule() {
        if (isRunning() || isStarting()) {
            sweep = scheduler.schedule(() -> {
                sweep();
                schedule();
            }, 1, TimeUnit.SECONDS);
        }
    }

    @Override
    public void onOpened(Connection connection) {
        if (connection.getEndPoint() instanceof SslConnection.SslEndPoint) {
            return; // the HTTP connection over TLS: its network connection is the one counted
        }
        open.put(connection, new State());
        arrivals.add(connection);
        if (open.size() > evictAbove) {
            evictOldestNewcomer();
        }
    }

    /** How many network connections it watches: those it was told of and has not seen closed (tests). */
    int watched() {
        return open.size();
    }

    @Override
    public void onClosed(Connection connection) {
        open.remove(connection);
    }

    private void evictOldestNewcomer() {
        for (Connection oldest; (oldest = arrivals.poll()) != null;) {
            if (open.containsKey(oldest) && messagesIn(oldest) == 0) {
                close(oldest);
                return;
            }
        }
    }

    private void sweep() {
        long now = System.nanoTime();
        open.forEach((connection, state) -> {
            HttpConnection http = http(connection);
            if (http == null) {
                return;
            }
            HttpParser parser = http.getParser();
            boolean first = http.getMessagesIn() == 0;
            boolean awaiting = parser.inHeaderState() && (first || !parser.isStart());
            if (!awaiting) {
                state.awaitingSince = 0;
            } else if (state.awaitingSince == 0) {
                state.awaitingSince = first ? state.openedAt : now;
            } else if (now - state.awaitingSince > headerTimeoutNanos) {
                close(connection);
            }
        });
        // newcomers that completed a request are no longer eviction candidates; keep the queue from growing
        arrivals.removeIf(connection -> !open.containsKey(connection) || messagesIn(connection) > 0);
    }

    private void close(Connection connection) {
        open.remove(connection);
        connection.getEndPoint().close();
    }

    private static long messagesIn(Connection connection) {
        HttpConnection http = http(connection);
        return http == null ? 0 : http.getMessagesIn();
    }

    /** The HTTP connection a network connection carries: itself, or the one over its TLS. */
    private static HttpConnection http(Connection connection) {
        Connection top = connection instanceof SslConnection tls ? tls.getSslEndPoint().getConnection() : connection;
        return top instanceof HttpConnection http ? http : null;
    }
}
