package io.ferry.protocol;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.Test;

/**
 * An answer with an error status is an error whatever its body: a proxy's or the HTTP server's own error page is not
 * a reply of the daemon's, and must not be taken as one.
 */
public class ControlClientErrorStatusTest {
    @Test
    public void anErrorPageIsAnErrorNamingTheStatus() throws Exception {
        assertEquals("the daemon at %s answered HTTP 502",
                refusal("502 Bad Gateway", "text/html", "<html><body>Bad Gateway</body></html>"));
        assertEquals("the daemon at %s answered HTTP 500", refusal("500 Server Error", "text/plain", ""));
    }

    @Test
    public void anErrorReplyOfTheDaemonsIsItsText() throws Exception {
        assertEquals("domain 'web' is not defined", refusal("404 Not Found", "application/xml",
                "<error>domain 'web' is not defined</error>"));
    }

    /**
     * A peer's error text reaches this daemon's log and its callers' messages: its line breaks and other control
     * characters come escaped, as this daemon's own error replies have them, so that it cannot forge a log line.
     */
    @Test
    public void anErrorReplyIsOneLine() throws Exception {
        assertEquals("x\\u000aFORGED\\u000d\\u0085: ok", refusal("409 Conflict", "application/xml",
                "<error>\n x&#10;FORGED&#13;&#133;: ok\n</error>"));
    }

    /** A side stream the daemon refuses is its error too, not the transport's failure to open an error status's body. */
    @Test
    public void aRefusedDownloadIsTheDaemonsErrorText() throws Exception {
        assertEquals("no side stream 'lease' for migration 7", refusal(client -> client.download("stream", Map.of()),
                "404 Not Found", "application/xml", "<error>no side stream 'lease' for migration 7</error>"));
        assertEquals("the daemon at %s answered HTTP 503", refusal(client -> client.download("stream", Map.of()),
                "503 Service Unavailable", "text/plain", "busy"));
    }

    private static String refusal(String status, String type, String body) throws Exception {
        return refusal(client -> client.get("domains"), status, type, body);
    }

    /** The message of {@code call}'s failure against a peer answering {@code status} once, with %s for the peer's URI. */
    private static String refusal(Call call, String status, String type, String body) throws Exception {
        try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread peer = new Thread(() -> answer(server, status, type, body), "error-peer");
            peer.setDaemon(true);
            peer.start();
            String uri = "ferry+tcp://127.0.0.1:" + server.getLocalPort();
            ChannelException e = assertThrows(ChannelException.class, () -> call.on(new ControlClient(uri)));
            peer.join(10_000);
            return e.getMessage().replace(uri, "%s");
        }
    }

    private interface Call {
        void on(ControlClient client) throws Exception;
    }

    private static void answer(ServerSocket server, String status, String type, String body) {
        try (Socket socket = server.accept()) {
            socket.getInputStream().read(new byte[4096]); // the request, or enough of it
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            OutputStream out = socket.getOutputStream();
            out.write(("HTTP/1.1 " + status + "\r\nContent-Type: " + type + "\r\nContent-Length: " + bytes.length
                    + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(bytes);
            out.flush();
        } catch (IOException e) {
            // the test's assertion tells what the client made of it
        }
    }
}
