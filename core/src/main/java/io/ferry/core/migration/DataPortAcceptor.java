package io.ferry.core.migration;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Waits on a migration's data port for the connection that presents the migration's token. Connections are
 * proven side by side, each on a thread of its own: proven one after the other, anyone who reached the port and
 * kept connecting without a word held each of the source's attempts back for the token wait, until its writes
 * stalled and the migration failed. At most {@link #MAX_WAITING} wait at once; a newer connection drops the
 * oldest, so the source, which presents its token as soon as it connects, is the last to go.
 */
final class DataPortAcceptor {
    private static final Logger LOG = LoggerFactory.getLogger(DataPortAcceptor.class);
    static final int MAX_WAITING = 16;

    /** What a proven connection is given to, on its own thread; the acceptor is done with it then. */
    interface Proven {
        void take(Socket socket) throws Exception;
    }

    private final ServerSocket server;
    private final String token;
    private final String migrationId;
    private final int tokenWaitMillis;
    private final Deque<Socket> waiting = new ArrayDeque<>(); // guarded by this
    private boolean settled; // guarded by this: a connection proved itself, or the port was closed

    /** @param tokenWaitMillis how long a connection may take to present the token */
    DataPortAcceptor(ServerSocket server, String token, String migrationId, int tokenWaitMillis) {
        this.server = server;
        this.token = token;
        this.migrationId = migrationId;
        this.tokenWaitMillis = tokenWaitMillis;
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
        }
        if (dropped != null) {
            LOG.warn("migration {}: dropped a connection to its data port from {}: {} others connected after it without"
                    + " presenting the token", migrationId, dropped.getRemoteSocketAddress(), MAX_WAITING);
            DataChannel.closeQuietly(dropped);
        }
        Thread prover = new Thread(() -> prove(socket, proven, failed), "ferry-data-port-" + shortId());
        prover.setDaemon(true);
        prover.start();
    }

    private void prove(Socket socket, Proven proven, Consumer<Exception> failed) {
        boolean proved = DataChannel.proves(socket, token, migrationId, tokenWaitMillis);
        synchronized (this) {
            waiting.remove(socket);
        }
        if (!proved || !settle(socket)) {
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
        }
        DataChannel.closeQuietly(server);
        others.stream().filter(socket -> socket != winner).forEach(DataChannel::closeQuietly);
        return true;
    }

    private String shortId() {
        return migrationId.substring(0, Math.min(8, migrationId.length()));
    }
}
