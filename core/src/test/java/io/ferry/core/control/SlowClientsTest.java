package io.ferry.core.control;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import io.ferry.protocol.ControlClient;
import io.ferry.protocol.DaemonClient;
import io.ferry.protocol.Operation;
import io.ferry.settings.SubjectPattern;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.junit.After;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * Slow clients against the channel's server over real sockets, with limits small enough to reach: a client that does
 * not finish its request headers in time is closed, one that does is served however long it then keeps its connection,
 * and near the connection limit a newcomer closes the oldest connection that has not yet sent a request, or else the
 * oldest idle one of a caller who is not an operator.
 */
public class SlowClientsTest {
    private static final String REQUEST = "GET /probe HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    /** Connections a server of these tests holds before a newcomer closes another. */
    private static final int EVICT_ABOVE = 4;
    /** Far beyond each test's waits: only the limit under test closes a connection. */
    private static final long NEVER = 600_000;

    @Rule
    public final TemporaryFolder temp = new TemporaryFolder();

    private ChannelServer channel;
    private TestPki pki;
    private final List<Socket> clients = new ArrayList<>();
    private final ScheduledExecutorService askingAgain = Executors.newSingleThreadScheduledExecutor();

    @After
    public void stop() throws IOException {
        askingAgain.shutdownNow();
        for (Socket client : clients) {
            client.close();
        }
        if (channel != null) {
            channel.stop();
        }
    }

    @Test(timeout = 60_000)
    public void aClientTricklingItsHeadersIsClosedAtTheHeaderTimeout() throws Exception {
        InetSocketAddress server = start(null, 1_000, 100);
        Socket client = connect(server);

        // a byte every 200 ms keeps the connection from ever being idle; only the header timeout ends it
        assertClosedWhileTrickling(client, "GET /probe HTTP/1.1\r\nX-Slow: " + "a".repeat(100));
    }

    @Test(timeout = 60_000)
    public void aSecondRequestTricklingItsHeadersIsClosedToo() throws Exception {
        InetSocketAddress server = start(null, 1_000, 100);
        Socket client = connect(server);
        assertServed(client);

        assertClosedWhileTrickling(client, "GET /probe HTTP/1.1\r\nX-Slow: " + "a".repeat(100));
    }

    @Test(timeout = 60_000)
    public void aClientWhoseHeadersTakeLessThanTheTimeoutIsServed() throws Exception {
        InetSocketAddress server = start(null, 5_000, 100);
        Socket client = connect(server);

        // spread over 2.5 s, so that the once-a-second check sees the headers under way at least twice
        for (String part : new String[] {"GET /probe HTTP/1.1\r\n", "Host: 127.0.0.1\r\n", "X-Slow: yes\r\n", "\r\n"}) {
            client.getOutputStream().write(part.getBytes(StandardCharsets.US_ASCII));
            client.getOutputStream().flush();
            if (!part.equals("\r\n")) {
                Thread.sleep(830);
            }
        }
        assertOk(RawHttp.reply(client));
    }

    @Test(timeout = 60_000)
    public void aKeptAliveConnectionMayWaitBetweenRequestsLongerThanTheHeaderTimeout() throws Exception {
        InetSocketAddress server = start(null, 1_000, 100);
        Socket client = connect(server);
        assertServed(client);

        Thread.sleep(3_000); // three checks with no request under way: idle, not slow
        assertServed(client);
    }

    @Test(timeout = 60_000)
    public void nearTheLimitANewcomerClosesTheOldestConnectionThatSentNoRequest() throws Exception {
        InetSocketAddress server = start(null, NEVER, 2);
        Socket served = connect(server);
        assertServed(served);
        Socket silent = connect(server);
        // the server opens accepted connections on its own threads: the newcomer's could be opened first, and be the
        // oldest that sent no request (seen once with the host busy)
        while (channel.watchedConnections() < 2) {
            Thread.sleep(10);
        }

        Socket newcomer = connect(server); // the third connection, over the two allowed before evicting
        assertServed(newcomer);

        RawHttp.assertClosed(silent);
        assertServed(served); // a client that sent its request is never the one evicted
    }

    /** Over TLS the network connection counts once, not again for the HTTP connection it carries. */
    @Test(timeout = 60_000)
    public void aTlsConnectionCountsOnceTowardsTheLimit() throws Exception {
        SSLContext clientTls = tls("client");
        InetSocketAddress server = start(tls("daemon"), NEVER, 2);
        Socket first = connect(clientTls, server); // handshaken, no request yet

        Socket second = connect(clientTls, server);
        assertServed(second);

        assertServed(first); // two connections, not four: nobody was evicted
    }

    /**
     * A caller refused here, whose every request is answered 403, keeps no connection: kept alive and asking again
     * every second, such callers held every connection there was, and the operator's could not be had.
     */
    @Test(timeout = 120_000)
    public void callersRefusedHereHoldNoConnectionAnOperatorNeeds() throws Exception {
        InetSocketAddress server = startWithRoles(EVICT_ABOVE);

        holdConnections(server, "stranger", EVICT_ABOVE + 2);

        assertEquals(List.of(3), operator(server).version().protocols());
    }

    /**
     * Nor can peers hold every connection: near the limit, a newcomer closes the oldest idle connection of a peer
     * (they open another when they need one), never an operator's.
     */
    @Test(timeout = 120_000)
    public void peersHoldingEveryConnectionMakeRoomForAnOperatorAndKeepTheOperatorsOwn() throws Exception {
        InetSocketAddress server = startWithRoles(EVICT_ABOVE);
        Socket operatorsIdle = connect(tls("admin"), server);
        assertOk(RawHttp.exchange(operatorsIdle, RawHttp.VERSION));

        holdConnections(server, "host-b", EVICT_ABOVE + 2);

        assertEquals(List.of(3), operator(server).version().protocols());
        assertOk(RawHttp.exchange(operatorsIdle, RawHttp.VERSION)); // the oldest idle connection of all, kept
    }

    /**
     * A channel over TLS that serves {@code version} to anyone admitted: {@code CN=admin} is an operator,
     * {@code CN=host-*} a peer, any other certificate of the CA refused.
     */
    private InetSocketAddress startWithRoles(int evictAbove) throws Exception {
        RouteTable routes = new RouteTable().add(Route.of(Operation.VERSION, Route.Access.ANY,
                call -> Reply.xml("<version ferry='1' protocols='3'/>")));
        List<SubjectPattern> operators = List.of(SubjectPattern.parse("CN=admin"));
        Callers callers = new Callers(operators, List.of(SubjectPattern.parse("CN=host-*")), null);
        return start(tls("daemon"), NEVER, evictAbove, new ChannelHandler(routes, callers, (id, key) -> true));
    }

    /**
     * {@code count} connections of {@code subject}, each asking for the version at once and again every second until
     * the test ends, as a client set on holding them would; one the server closes stays closed.
     */
    private void holdConnections(InetSocketAddress server, String subject, int count) throws Exception {
        SSLContext tls = tls(subject);
        List<Socket> held = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            try {
                Socket client = connect(tls, server);
                RawHttp.exchange(client, RawHttp.VERSION);
                held.add(client);
            } catch (IOException | AssertionError closed) { // RawHttp fails a reply cut short
                // the server closed it: all the better
            }
        }
        askingAgain.scheduleWithFixedDelay(() -> held.forEach(client -> {
            try {
                RawHttp.exchange(client, RawHttp.VERSION);
            } catch (IOException | AssertionError closed) {
                // closed since
            }
        }), 1, 1, TimeUnit.SECONDS);
    }

    private DaemonClient operator(InetSocketAddress server) throws Exception {
        return new DaemonClient(new ControlClient(ChannelTls.url(server, tls("daemon")), tls("admin")));
    }

    /** The TLS identity {@code CN=subject} (its certificate issued on first use), of one CA for the whole test. */
    private SSLContext tls(String subject) throws Exception {
        if (pki == null) {
            pki = new TestPki(temp.newFolder("ca").toPath(), UUID.randomUUID().toString());
        }
        Path store = pki.dir.resolve(subject + ".p12");
        if (!Files.exists(store)) {
            pki.issue(subject, subject.equals("daemon") ? "ip:127.0.0.1" : "dns:" + subject);
        }
        return pki.files(store).load();
    }

    private InetSocketAddress start(SSLContext tls, long headerMillis, int evictAbove) throws Exception {
        return start(tls, headerMillis, evictAbove, new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) {
                Content.Sink.write(response, true, "ok", callback);
                return true;
            }
        });
    }

    private InetSocketAddress start(SSLContext tls, long headerMillis, int evictAbove, Handler handler)
            throws Exception {
        channel = new ChannelServer(new InetSocketAddress("127.0.0.1", 0), tls, handler, headerMillis, evictAbove);
        channel.start();
        return channel.address();
    }

    private Socket connect(InetSocketAddress server) throws IOException {
        Socket client = new Socket(server.getAddress(), server.getPort());
        clients.add(client);
        return client;
    }

    private Socket connect(SSLContext tls, InetSocketAddress server) throws IOException {
        SSLSocket client = (SSLSocket) tls.getSocketFactory().createSocket(server.getAddress(), server.getPort());
        clients.add(client);
        client.startHandshake();
        return client;
    }

    private static void assertServed(Socket client) throws IOException {
        assertOk(RawHttp.exchange(client, REQUEST));
    }

    /** Sends {@code text} a byte every 200 ms (40 s at most) until the server closes the connection. */
    private static void assertClosedWhileTrickling(Socket client, String text) throws IOException {
        client.setSoTimeout(200);
        for (byte b : text.getBytes(StandardCharsets.US_ASCII)) {
            try {
                client.getOutputStream().write(b);
                client.getOutputStream().flush();
                if (client.getInputStream().read() < 0) {
                    return;
                }
                fail("the server answered headers it never got whole");
            } catch (SocketTimeoutException stillOpen) {
                // the pace of the trickle
            } catch (IOException reset) {
                return;
            }
        }
        fail("still open after " + text.length() + " bytes trickled over " + text.length() / 5 + " s");
    }

    private static void assertOk(String reply) {
        assertTrue(reply, reply.startsWith("HTTP/1.1 200 OK\r\n"));
    }
}
