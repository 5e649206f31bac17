package io.ferry.protocol;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.Test;

/**
 * A call whose kept-alive connection the daemon closed in the meantime (an idle timeout, a restart) still gets through;
 * one the daemon took and then died with is not said to have found nobody there.
 */
public class ControlClientConnectionTest {

    @Test
    public void aCallOnAConnectionTheDaemonClosedIsSentOnANewOneOnce() throws Exception {
        AtomicInteger connections = new AtomicInteger();
        AtomicInteger requests = new AtomicInteger();
        try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread daemon = new Thread(() -> {
                // each connection: one request answered as kept alive, then closed, as an idle timeout would
                while (!server.isClosed()) {
                    try (Socket socket = server.accept()) {
                        connections.incrementAndGet();
                        if (readRequest(socket.getInputStream())) {
                            requests.incrementAndGet();
                            answer(socket.getOutputStream(), "<done n='" + requests.get() + "'/>");
                        }
                    } catch (IOException e) {
                        return;
                    }
                }
            }, "closing-daemon");
            daemon.setDaemon(true);
            daemon.start();
            ControlClient client = new ControlClient("ferry+tcp://127.0.0.1:" + server.getLocalPort());
            byte[] body = "<settle id='m-1' key='k'/>".getBytes(StandardCharsets.UTF_8);

            assertEquals("<done n='1'/>", client.post("migration/settle", Map.of(), body));
            // the daemon closed that connection once it answered; the client keeps it for the next call
            assertEquals("<done n='2'/>", client.post("migration/settle", Map.of(), body));
            assertEquals("each call reached the daemon once", 2, requests.get());
            assertEquals("the second call went over a new connection", 2, connections.get());
        }
    }

    /**
     * The JDK sends a call once more on a new connection when its connection ends before the reply; the daemon gone,
     * that gets "Connection refused", which said "cannot connect" of a call the daemon had taken (and may have begun).
     */
    @Test
    public void aCallTheDaemonTookBeforeItDiedIsLostNotUnreachable() throws Exception {
        AtomicInteger requests = new AtomicInteger();
        ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        String uri = "ferry+tcp://127.0.0.1:" + server.getLocalPort();
        Thread daemon = new Thread(() -> {
            // takes one call and dies before it answers: nothing listens any more once its connection ends
            try (server; Socket socket = server.accept()) {
                if (readRequest(socket.getInputStream())) {
                    requests.incrementAndGet();
                }
                server.close();
            } catch (IOException e) {
                // the test's assertions tell
            }
        }, "dying-daemon");
        daemon.setDaemon(true);
        daemon.start();
        ControlClient client = new ControlClient(uri);
        byte[] body = "<abort/>".getBytes(StandardCharsets.UTF_8);

        ChannelException lost = assertThrows(ChannelException.class,
                () -> client.post("domains/vm1/abort", Map.of(), body));
        assertEquals("connection to " + uri + " lost after the call was sent (the daemon stopped or restarted?):"
                + " what it did there is unknown", lost.getMessage());
        assertFalse("not a refusal: the outcome is unknown", lost.refused());
        assertFalse("not a call that found nobody there", ControlClient.unreachable(lost));
        daemon.join(5_000);
        assertEquals("the daemon took the call once", 1, requests.get());
    }

    /** Reads one request's headers and its Content-Length body; false when the connection ended first. */
    private static boolean readRequest(InputStream raw) throws IOException {
        InputStream in = new BufferedInputStream(raw);
        StringBuilder line = new StringBuilder();
        int length = 0;
        for (int c = in.read(); c != -1; c = in.read()) {
            if (c != '\n') {
                line.append((char) c);
                continue;
            }
            String header = line.toString().trim();
            line.setLength(0);
            if (header.isEmpty()) {
                return in.readNBytes(length).length == length;
            }
            if (header.toLowerCase().startsWith("content-length:")) {
                length = Integer.parseInt(header.substring("content-length:".length()).trim());
            }
        }
        return false;
    }

    private static void answer(OutputStream out, String xml) throws IOException {
        byte[] body = xml.getBytes(StandardCharsets.UTF_8);
        out.write(("HTTP/1.1 200 OK\r\nContent-Type: application/xml\r\nContent-Length: " + body.length + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        out.write(body);
        out.flush();
    }
}
