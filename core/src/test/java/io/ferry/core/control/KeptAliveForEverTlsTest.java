package io.ferry.core.control;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;

import io.ferry.protocol.ChannelException;
import io.ferry.protocol.ControlClient;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import org.junit.Test;

/**
 * A peer admitted over TLS that keeps its reply alive for ever (a space every 100 ms, a heartbeat's sign of life) is
 * dropped at the call's deadline: the close of the HTTPS connection ends the read blocked on it.
 */
public class KeptAliveForEverTlsTest {
    @Test(timeout = 60_000) // a hang guard only
    public void aCallWhoseReplyIsKeptAliveForEverIsDroppedAtItsDeadline() throws Exception {
        SSLContext tls = TestPki.loopbackIdentity("kept-alive-for-ever");
        try (SSLServerSocket daemon = TestPki.listen(tls)) {
            Thread peer = new Thread(() -> {
                try (Socket socket = daemon.accept()) {
                    socket.getInputStream().read(new byte[4096]); // the request, or enough of it
                    OutputStream out = socket.getOutputStream();
                    String head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
                    out.write(head.getBytes(StandardCharsets.US_ASCII));
                    while (true) {
                        out.write("1\r\n \r\n".getBytes(StandardCharsets.US_ASCII));
                        out.flush();
                        Thread.sleep(100);
                    }
                } catch (IOException | InterruptedException e) {
                    // the client hung up: what this test wants
                }
            }, "kept-alive-peer");
            peer.setDaemon(true);
            peer.start();
            String uri = "ferry+tls://127.0.0.1:" + daemon.getLocalPort();
            ControlClient client = new ControlClient(uri, tls).withDeadline(1_000);

            ChannelException e = assertThrows(ChannelException.class,
                    () -> client.post("migration/settle", Map.of(), "<settle/>".getBytes(StandardCharsets.UTF_8)));

            assertEquals("the daemon at " + uri + " did not answer within 1 s; the call was dropped", e.getMessage());
            peer.join(10_000);
            assertFalse("the client hung up on the peer", peer.isAlive());
        }
    }
}
