package io.ferry.protocol;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.Test;
import org.junit.function.ThrowingRunnable;

/**
 * A peer that keeps its reply alive for ever (a space every 100 ms, as a daemon's heartbeat does every 10 s) never
 * lets the read timeout fire: the settlement's calls give up at their deadline, the connection closed, the outcome
 * unknown. The timeouts below only guard against a hang; the deadlines are shortened to 1 s.
 */
public class PeerCallDeadlineTest {
    private static final int DEADLINE_MILLIS = 1_000;
    private static final String KEY = "k";

    @Test(timeout = 30_000)
    public void aSettleWhoseReplyIsKeptAliveForEverFailsAtItsDeadline() throws Exception {
        try (Trickling peer = Trickling.body()) {
            HttpPeer destination = new HttpPeer(peer.client(), DEADLINE_MILLIS);

            ChannelException e = assertThrows(ChannelException.class, () -> destination.settle("m-1", KEY));

            assertEquals("the daemon at " + peer.uri() + " did not answer within 1 s; the call was dropped",
                    e.getMessage());
            assertFalse("what the call did there is unknown", e.refused());
        }
    }

    /**
     * A heartbeat that comes regularly, if slower (a space every 300 ms, each read waiting up to 30 s): the deadline's
     * close of the connection waits for the lock the blocked read holds, and may lose it to the next read each time a
     * space wakes it, so the call could run for as long as the peer kept beating. The reading thread stops at the
     * deadline itself.
     */
    @Test(timeout = 20_000)
    public void aSteadySlowerHeartbeatCannotKeepTheCallPastItsDeadline() throws Exception {
        try (Trickling peer = Trickling.body(300)) {
            HttpPeer destination = new HttpPeer(peer.client(), DEADLINE_MILLIS);

            ChannelException e = assertThrows(ChannelException.class, () -> destination.settle("m-1", KEY));

            assertEquals("the daemon at " + peer.uri() + " did not answer within 1 s; the call was dropped",
                    e.getMessage());
        }
    }

    @Test(timeout = 30_000)
    public void theFateAndEndpointCallsAndTheKeepaliveAreBoundedToo() throws Exception {
        try (Trickling peer = Trickling.body()) {
            HttpPeer destination = new HttpPeer(peer.client(), DEADLINE_MILLIS);

            for (ThrowingRunnable call : List.<ThrowingRunnable>of(() -> destination.fate("m-1", KEY),
                    () -> destination.endpoint("m-1", KEY), () -> destination.keepalive("m-1", KEY))) {
                ChannelException e = assertThrows(ChannelException.class, call);
                assertFalse(e.getMessage(), e.refused());
            }
        }
    }

    /** A peer that sends its status line, then a header byte at a time: the deadline covers the headers too. */
    @Test(timeout = 30_000)
    public void aPeerThatNeverEndsItsHeadersIsDroppedAtTheDeadline() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread peer = new Thread(() -> {
                try (Socket socket = server.accept()) {
                    socket.getInputStream().read(new byte[4096]); // the request, or enough of it
                    OutputStream out = socket.getOutputStream();
                    out.write("HTTP/1.1 200 OK\r\nX-Slow: ".getBytes(StandardCharsets.US_ASCII));
                    while (true) {
                        out.write('a');
                        out.flush();
                        Thread.sleep(100);
                    }
                } catch (IOException | InterruptedException e) {
                    // the client hung up: what this test wants
                }
            }, "header-trickling-peer");
            peer.setDaemon(true);
            peer.start();
            String uri = "ferry+tcp://127.0.0.1:" + server.getLocalPort();
            HttpPeer destination = new HttpPeer(new ControlClient(uri), DEADLINE_MILLIS);

            ChannelException e = assertThrows(ChannelException.class, () -> destination.settle("m-1", KEY));

            assertEquals("the daemon at " + uri + " did not answer within 1 s; the call was dropped", e.getMessage());
            peer.join(10_000);
            assertFalse("the client hung up on the trickling peer", peer.isAlive());
        }
    }

    /** A reply that the heartbeat keeps alive for a while and that then comes is taken, as before. */
    @Test(timeout = 30_000)
    public void aKeptAliveReplyThatComesBeforeTheDeadlineIsTaken() throws Exception {
        String fate = new Messages.Fate("m-1", Messages.Outcome.ABORTED).toXml();
        try (Trickling peer = Trickling.thenReply(5, fate)) {
            HttpPeer destination = new HttpPeer(peer.client(), 10_000);

            assertEquals(Messages.Outcome.ABORTED, destination.settle("m-1", KEY).outcome());
        }
    }

    /** A stand-in daemon that answers 200 at once, then sends a space every 100 ms (or as told) ahead of its reply. */
    private static final class Trickling implements AutoCloseable {
        private final HttpServer server;

        /** @param spaces how many spaces come before {@code reply}; -1: spaces for ever */
        private Trickling(int spaces, String reply, long intervalMillis) throws IOException {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            server.createContext("/v1/", exchange -> {
                exchange.getRequestBody().readAllBytes();
                exchange.sendResponseHeaders(200, 0); // chunked, as a kept-alive reply is
                try (OutputStream out = exchange.getResponseBody()) {
                    for (int sent = 0; spaces < 0 || sent < spaces; sent++) {
                        out.write(' ');
                        out.flush();
                        Thread.sleep(intervalMillis);
                    }
                    out.write(reply.getBytes(StandardCharsets.UTF_8));
                } catch (IOException | InterruptedException e) {
                    // the client hung up
                }
            });
            server.start();
        }

        static Trickling body() throws IOException {
            return body(100);
        }

        static Trickling body(long intervalMillis) throws IOException {
            return new Trickling(-1, null, intervalMillis);
        }

        static Trickling thenReply(int spaces, String reply) throws IOException {
            return new Trickling(spaces, reply, 100);
        }

        String uri() {
            return "ferry+tcp://127.0.0.1:" + server.getAddress().getPort();
        }

        ControlClient client() throws ChannelException {
            return new ControlClient(uri());
        }

        @Override
        public void close() {
            server.stop(0);
        }
    }
}
