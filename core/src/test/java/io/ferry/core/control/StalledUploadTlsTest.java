package io.ferry.core.control;

import static org.junit.Assert.assertThrows;

import io.ferry.protocol.ControlClient;
import io.ferry.protocol.Peer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import org.junit.Test;

/**
 * A streamed upload over TLS (a tunnelled migration's memory) to a daemon that stopped reading is given up: the stall
 * guard's close of the HTTPS connection waits for the TLS lock the blocked write holds, which without SO_LINGER
 * (JDK 17) it never got, so neither the close nor the write ended.
 */
public class StalledUploadTlsTest {
    @Test(timeout = 60_000) // a hang guard only
    public void anUploadTheDaemonStopsReadingIsGivenUp() throws Exception {
        SSLContext tls = TestPki.loopbackIdentity("stalled-upload");
        try (SSLServerSocket daemon = TestPki.listen(tls)) {
            CompletableFuture<Socket> accepted = TestPki.acceptAndNeverRead(daemon);
            String uri = "ferry+tls://127.0.0.1:" + daemon.getLocalPort();
            Peer.Upload upload = new ControlClient(uri, tls).withTimeout(1_000).upload("migrations/m/tunnel", Map.of());
            try (Socket unread = accepted.get()) {
                OutputStream body = upload.body();
                byte[] page = new byte[1 << 20];
                assertThrows(IOException.class, () -> {
                    for (int i = 0; i < 4096; i++) { // 4 GiB: far beyond what the buffers of both ends hold
                        body.write(page);
                    }
                });
                upload.abort();
            }
        }
    }
}
