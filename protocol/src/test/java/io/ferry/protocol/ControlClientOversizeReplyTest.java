package io.ferry.protocol;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.fail;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import org.junit.Test;

/** A peer whose reply does not end (a bug, or a hostile daemon) costs the caller a bounded read, then an error. */
public class ControlClientOversizeReplyTest {

    @Test
    public void aReplyWithoutEndIsDroppedAtItsLimitAndTheCallCountsAsLost() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread peer = new Thread(() -> {
                try (Socket socket = server.accept()) {
                    socket.getInputStream().read(new byte[4096]); // the request, or enough of it
                    OutputStream out = socket.getOutputStream();
                    out.write("HTTP/1.1 200 OK\r\nContent-Type: application/xml\r\nContent-Length: 1000000000000\r\n\r\n<ok>"
                            .getBytes(StandardCharsets.US_ASCII));
                    byte[] spaces = new byte[64 * 1024];
                    Arrays.fill(spaces, (byte) ' ');
                    while (true) {
                        out.write(spaces);
                    }
                } catch (IOException e) {
                    // the client hung up: what this test wants
                }
            }, "endless-peer");
            peer.setDaemon(true);
            peer.start();
            ControlClient client = new ControlClient("ferry+tcp://127.0.0.1:" + server.getLocalPort());
            try {
                client.post("migration/settle", Map.of(), "<settle/>".getBytes(StandardCharsets.UTF_8));
                fail("an endless reply was taken");
            } catch (ChannelException e) {
                assertEquals("the daemon at ferry+tcp://127.0.0.1:" + server.getLocalPort()
                        + " answered more than 64 MiB; its reply was dropped", e.getMessage());
                assertFalse("what the call did there is unknown", e.refused());
            }
            peer.join(10_000);
            assertFalse("the client hung up on the endless peer", peer.isAlive());
        }
    }
}
