package io.ferry.core.control;

import java.util.Comparator;
import java.util.Iterator;
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
 * request, or else the oldest idle one of a client that is no operator (a peer's: it opens another when it needs
 * one), so a client that sends its request at once is accepted however many connections peers keep alive. An
 * operator's connection that completed a request is never closed for another. Checked once a second on the
 * server's scheduler: no thread per connection.
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
            makeRoomFor(connection);
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

    /**
     * Closes a connection to keep room: the oldest newcomer that came before {@code arrived}, else the oldest idle one
     * of a client that is no operator, else {@code arrived} itself.
     */
    private void makeRoomFor(Connection arrived) {
        Connection evicted = oldestNewcomerBefore(arrived);
        if (evicted == null) {
            evicted = oldestIdleNonOperator();
        }
        close(evicted != null ? evicted : arrived);
    }

    private Connection oldestNewcomerBefore(Connection arrived) {
        for (Iterator<Connection> queued = arrivals.iterator(); queued.hasNext();) {
            Connection newcomer = queued.next();
            if (newcomer == arrived) {
                return null; // the rest came after it
            }
            if (open.containsKey(newcomer) && messagesIn(newcomer) == 0) {
                return newcomer;
            }
            queued.remove(); // closed, or it sent a request
        }
        return null;
    }

    /**
     * The connection opened first of those that wait for a next request (none under way, nothing of one read) and
     * whose client is no operator: closing it costs its client a new connection, nothing it asked.
     */
    private Connection oldestIdleNonOperator() {
        return open.entrySet().stream().filter(entry -> idleNonOperator(http(entry.getKey())))
                .min(Comparator.comparingLong(entry -> entry.getValue().openedAt)).map(Map.Entry::getKey).orElse(null);
    }

    private static boolean idleNonOperator(HttpConnection http) {
        // the parser starts again only once the reply to the last request is complete
        return http != null && http.getMessagesIn() > 0 && http.getParser().isStart() && Callers.notAnOperator(http);
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
