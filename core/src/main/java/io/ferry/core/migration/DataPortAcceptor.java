package io.ferry.core.migration;

import java.io.EOFException;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Waits on a migration's data port for the connection that presents the migration's token. Connections are
 * proven side by side: proven one after the other, anyone who reached the port and kept connecting without a word
 * held each of the source's attempts back for the token wait, until its writes stalled and the migration failed. At
 * most {@link #MAX_WAITING} wait at once, each proven by one of as many threads; a newer connection drops the oldest,
 * so the source, which presents its token as soon as it connects, is the last to go. The threads are kept across
 * connections, and the drops logged once and then summed up ({@link DataPortRefusals}): connecting and hanging up
 * at will costs neither a thread nor a log line each.
 */
final class DataPortAcceptor {
    static final int MAX_WAITING = 16;

    /** What a proven connection is given to, on its own thread; the acceptor is done with it then. */
    interface Proven {
        void take(Socket socket) throws Exception;
    }

    private final ServerSocket server;
    private final String token;
    private final String migrationId;
    private final int tokenWaitMillis;
    private final DataPortRefusals refusals;
    private final ThreadPoolExecutor provers;
    private final Deque<Socket> waiting = new ArrayDeque<>(); // guarded by this
    private boolean settled; // guarded by this: a connection proved itself, or the port was closed

    /** @param tokenWaitMillis how long a connection may take to present the token */
    DataPortAcceptor(ServerSocket server, String token, String migrationId, int tokenWaitMillis) {
        this.server = server;
        this.token = token;
        this.migrationId = migrationId;
        this.tokenWaitMillis = tokenWaitMillis;
        this.refusals = new DataPortRefusals(migrationId);
        // a task per connection; one whose connection was dropped before its turn ends at once
        this.provers = new ThreadPoolExecutor(MAX_WAITING, MAX_WAITING, 10, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), task -> {
                    Thread thread = new Thread(task, "ferry-data-port-" + shortId());
                    thread.setDaemon(true);
                    return thread;
                });
        provers.allowCoreThreadTimeOut(true);
    }

    /** {@link #run} on a thread of its own. */
    void runInBackground(Proven proven, Consumer<Exception> failed) {
        Thread thread = new Thread(() -> run(proven, failed), "ferry-data-port-" + shortId());
        thread.setDaemon(true);
        thread.start();
    }

    /** Accepts until one connection proves itself or the port is closed (the migration was aborted): then {@code failed}. */
    private void run(Proven proven, Consumer<Exception> failed) {
        try {
            while (true) {
                admit(server.accept(), proven, failed);
            }
        } catch (IOException e) {
            if (settle(null)) {
                failed.accept(e);
            }
        }
    }

    private void admit(Socket socket, Proven proven, Consumer<Exception> failed) {
        Socket dropped = null;
        synchronized (this) {
            if (settled) {
                DataChannel.closeQuietly(socket);
                return;
            }
            if (waiting.size() >= MAX_WAITING) {
                dropped = waiting.removeFirst();
            }
            waiting.addLast(socket);
            provers.execute(() -> prove(socket, proven, failed));
        }
        if (dropped != null) {
            refusals.dropped(dropped.getRemoteSocketAddress(), MAX_WAITING + " others connected after it without"
                    + " presenting the token");
            DataChannel.closeQuietly(dropped);
        }
    }

    private void prove(Socket socket, Proven proven, Consumer<Exception> failed) {
        synchronized (this) {
            if (!waiting.contains(socket)) {
                return; // dropped before its turn: counted then
            }
        }
        String wrong = wrongToken(socket);
        boolean stillWaiting;
        synchronized (this) {
            stillWaiting = waiting.remove(socket);
        }
        if (wrong != null) {
            if (stillWaiting) { // else dropped while proven (counted then) or closed by the wait's end
                refusals.dropped(socket.getRemoteSocketAddress(), wrong);
            }
            DataChannel.closeQuietly(socket);
            return;
        }
        if (!settle(socket)) {
            DataChannel.closeQuietly(socket);
            return;
        }
        Thread.currentThread().setName("ferry-incoming-" + shortId());
        try (socket) {
            proven.take(socket);
        } catch (Exception e) {
            failed.accept(e);
        }
    }

    /** Why the connection did not present the token in time; null: it did. */
    private String wrongToken(Socket socket) {
        try {
            socket.setSoTimeout(tokenWaitMillis);
            DataChannel.expectToken(socket.getInputStream(), token);
            return null;
        } catch (EOFException e) {
            return "it ended before presenting the token";
        } catch (IOException e) {
            return e.getMessage();
        }
    }

    /** Ends the wait, once: closes the port and every connection still waiting but {@code winner}. */
    private boolean settle(Socket winner) {
        List<Socket> others;
        synchronized (this) {
            if (settled) {
                return false;
            }
            settled = true;
            others = new ArrayList<>(waiting);
            waiting.clear();
            provers.shutdown(); // the winner's transfer goes on
        }
        DataChannel.closeQuietly(server);
        others.stream().filter(socket -> socket != winner).forEach(socket -> {
            refusals.dropped(socket.getRemoteSocketAddress(), "it had presented no token when the wait ended");
            DataChannel.closeQuietly(socket);
        });
        refusals.summarize();
        return true;
    }

    private String shortId() {
        return migrationId.substring(0, Math.min(8, migrationId.length()));
    }
}
