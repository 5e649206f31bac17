package io.ferry.core.control;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
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
 * and near the connection limit a newcomer closes the oldest connection that has not yet sent a request.
 */
public class SlowClientsTest {
    private static final String REQUEST = "GET /probe HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    /** Far beyond each test's waits: only the limit under test closes a connection. */
    private static final long NEVER = 600_000;

    @Rule
    public final TemporaryFolder temp = new TemporaryFolder();

    private ChannelServer channel;
    private final List<Socket> clients = new ArrayList<>();

    @After
    public void stop() throws IOException {
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
        assertOk(readReply(client));
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

        assertClosed(silent);
        assertServed(served); // a client that sent its request is never the one evicted
    }

    /** Over TLS the network connection counts once, not again for the HTTP connection it carries. */
    @Test(timeout = 60_000)
    public void aTlsConnectionCountsOnceTowardsTheLimit() throws Exception {
        String password = UUID.randomUUID().toString();
        TestPki pki = new TestPki(temp.newFolder("ca").toPath(), password);
        SSLContext serverTls = pki.files(pki.issue("daemon", "ip:127.0.0.1")).load();
        SSLContext clientTls = pki.files(pki.issue("client", "dns:client")).load();
        InetSocketAddress server = start(serverTls, NEVER, 2);
        Socket first = connect(clientTls, server); // handshaken, no request yet

        Socket second = connect(clientTls, server);
        assertServed(second);

        assertServed(first); // two connections, not four: nobody was evicted
    }

    private InetSocketAddress start(SSLContext tls, long headerMillis, int evictAbove) throws Exception {
        channel = new ChannelServer(new InetSocketAddress("127.0.0.1", 0), tls, new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) {
                Content.Sink.write(response, true, "ok", callback);
                return true;
            }
        }, headerMillis, evictAbove);
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
        client.getOutputStream().write(REQUEST.getBytes(StandardCharsets.US_ASCII));
        client.getOutputStream().flush();
        assertOk(readReply(client));
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

    /** The server closed the connection: the read ends rather than waiting (5 s at most). */
    private static void assertClosed(Socket client) throws IOException {
        client.setSoTimeout(5_000);
        try {
            assertEquals("end of stream", -1, client.getInputStream().read());
        } catch (SocketTimeoutException open) {
            fail("the connection is still open");
        } catch (IOException reset) {
            assertTrue(reset.getMessage(), reset.getMessage().contains("reset"));
        }
    }

    /** A reply, headers and body, read off the connection so that the next reply follows. */
    private static String readReply(Socket client) throws IOException {
        InputStream in = client.getInputStream();
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                fail("connection closed before a reply; got: " + head.toString(StandardCharsets.US_ASCII));
            }
            head.write(b);
        }
        String reply = head.toString(StandardCharsets.US_ASCII);
        for (String line : reply.split("\r\n")) {
            if (line.toLowerCase().startsWith("content-length:")) {
                int length = Integer.parseInt(line.substring("content-length:".length()).trim());
                reply += new String(in.readNBytes(length), StandardCharsets.US_ASCII);
            }
        }
        return reply;
    }

    private static void assertOk(String reply) {
        assertTrue(reply, reply.startsWith("HTTP/1.1 200 OK\r\n"));
    }
}
