package io.ferry.core.control;

import java.net.InetSocketAddress;
import javax.net.ssl.SSLContext;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.LocalConnector;
import org.eclipse.jetty.server.NetworkConnectionLimit;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * The control channel's HTTP server: Jetty, embedded in the core, bound to the listen address only. What one
 * client may hold is bounded: {@value #WORKERS} worker threads, {@value #MAX_CONNECTIONS} connections, {@value #IDLE_MILLIS} ms of silence per connection, {@value #HEADER_MILLIS}
 * ms to complete a request's headers ({@link SlowClients}), {@value #HEADER_BYTES} bytes of headers, the routes' own
 * body limits, and the slowest a body read before its handler may arrive ({@link MinimumBodyRate}).
 */
final class ChannelServer {
    /** The workers Jetty's acceptor and selector take for good. */
    private static final int JETTY_OWN = 2;
    /** The workers left to operators whatever the peers hold. */
    static final int OPERATOR_WORKERS = 24;
    /**
     * All that the peers may hold ({@link PeerCalls}: their calls and, apart, their streams) and the operators' share: a
     * peer's sixteen tunnelled migrations hold sixteen workers for their memory beside their other calls.
     */
    static final int WORKERS = PeerCalls.ALL_PEERS + PeerCalls.STREAMS_ALL_PEERS + OPERATOR_WORKERS + JETTY_OWN;
    static final int MAX_CONNECTIONS = 1024;
    /**
     * Room kept free for clients that send their request at once: beyond this, each newcomer closes one that did not,
     * or else an idle connection of a client that is no operator ({@link SlowClients}).
     */
    static final int EVICT_ABOVE = MAX_CONNECTIONS - 64;
    static final long IDLE_MILLIS = 30_000;
    static final long HEADER_MILLIS = 10_000;
    static final int HEADER_BYTES = 8 * 1024;
    /**
     * Each connection's read buffer while it has bytes waiting (Jetty's default is 8 KiB): a tunnelled migration's
     * memory arrives as one request body, and 8 KiB reads cost a system call and a pass through Jetty's parser each
     * (a 1 GiB random guest's stream on tmpfs, alternated: 1,155-1,317 ms with 8 KiB, 759-1,054 ms with 64 KiB, no
     * better with 256 KiB).
     */
    static final int INPUT_BUFFER_BYTES = 64 * 1024;

    private final Server server;
    private final HttpConfiguration http;
    private final ServerConnector connector;

    /** @param tls null: plain HTTP */
    ChannelServer(InetSocketAddress listen, SSLContext tls, Handler handler) {
        this(listen, tls, handler, HEADER_MILLIS, EVICT_ABOVE);
    }

    /** The same with its own slow-client limits ({@link SlowClients}): tests reach them without a thousand connections. */
    ChannelServer(InetSocketAddress listen, SSLContext tls, Handler handler, long headerMillis, int evictAbove) {
        // the queue needs no bound of its own: each connection has at most a request or two waiting in it
        QueuedThreadPool workers = new QueuedThreadPool(WORKERS, 2, 60_000);
        workers.setName("ferry-control");
        workers.setDaemon(true);
        workers.setReservedThreads(0);
        server = new Server(workers);
        http = new HttpConfiguration();
        http.setSendServerVersion(false);
        http.setRequestHeaderSize(HEADER_BYTES);
        HttpConnectionFactory plain = new HttpConnectionFactory(http);
        plain.setInputBufferSize(INPUT_BUFFER_BYTES);
        connector = tls == null ? new ServerConnector(server, 1, 1, plain)
                : new ServerConnector(server, 1, 1, new SslConnectionFactory(ChannelTls.server(tls), plain.getProtocol()), plain);
        connector.setHost(listen.getAddress().getHostAddress()); // never every address by default
        connector.setPort(listen.getPort());
        connector.setIdleTimeout(IDLE_MILLIS);
        connector.setAcceptQueueSize(128);
        connector.setAcceptedTcpNoDelay(true); // a reply never waits for the client's delayed ACK
        connector.addBean(new NetworkConnectionLimit(MAX_CONNECTIONS, connector));
        connector.addBean(new SlowClients(headerMillis, evictAbove, server.getScheduler()));
        server.addConnector(connector);
        server.setHandler(handler);
        server.setErrorHandler(ChannelServer::error);
    }

    /**
     * What Jetty refuses itself (a malformed request, headers over the limit) goes out as the channel's one-line error,
     * and the connection closes after it: refused before anyone asks who sent it, a caller refused here (no operator
     * token) kept its connection by asking that again and again.
     */
    private static boolean error(Request request, Response response, Callback callback) {
        Object status = request.getAttribute(ErrorHandler.ERROR_STATUS);
        Object message = request.getAttribute(ErrorHandler.ERROR_MESSAGE);
        response.getHeaders().put(HttpHeader.CONNECTION, "close");
        new KeptAliveReply(response, callback).error(status instanceof Integer code ? code : 400,
                message != null ? message.toString() : "bad request");
        return true;
    }

    /**
     * A connector for requests made inside this process, without a socket (the control-request fuzz target): the same
     * HTTP settings, handler and error replies as the listening connector. Added before {@link #start}.
     */
    LocalConnector local() {
        LocalConnector local = new LocalConnector(server, new HttpConnectionFactory(http));
        server.addConnector(local);
        return local;
    }

    /** Whether every worker is taken and work waits for one: what a request arriving now would do (tests). */
    boolean saturated() {
        QueuedThreadPool workers = (QueuedThreadPool) server.getThreadPool();
        return workers.getIdleThreads() == 0 && workers.getThreads() == workers.getMaxThreads() && workers.getQueueSize() > 0;
    }

    /** How many network connections the slow-client guard has seen open and not closed (tests). */
    int watchedConnections() {
        return connector.getBean(SlowClients.class).watched();
    }

    void start() throws Exception {
        server.start();
    }

    InetSocketAddress address() {
        return new InetSocketAddress(connector.getHost(), connector.getLocalPort());
    }

    void stop() {
        try {
            server.stop();
        } catch (Exception e) {
            // stopping is all it was for
        }
    }
}
