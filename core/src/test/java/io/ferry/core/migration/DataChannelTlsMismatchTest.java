package io.ferry.core.migration;

import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.core.TestDirectories;
import io.ferry.core.control.TestPki;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import javax.net.ssl.SSLContext;
import org.junit.Test;

/**
 * A source daemon with a TLS control channel streams memory over TLS; a destination daemon on plain TCP reads its
 * ClientHello as a wrong token and hangs up. The source's error says what is wrong, not only "Remote host terminated
 * the handshake".
 */
public class DataChannelTlsMismatchTest {
    @Test
    public void aTlsSourceAndAPlainDestinationAreSaidNotToMatch() throws Exception {
        TestPki pki = new TestPki(TestDirectories.create("data-tls-mismatch"), "secret");
        SSLContext source = pki.files(pki.issue("host-a", "ip:127.0.0.1")).load();
        ServerSocket plainDestination = DataChannel.listen(InetAddress.getLoopbackAddress(), null);
        DataChannel.acceptInBackground(plainDestination, DataChannel.newToken(), "plain-destination", 10_000, in -> in.readAllBytes(),
                e -> { });
        try (plainDestination) {
            String uri = DataChannel.uri(plainDestination);

            IOException e = assertThrows(IOException.class, () -> DataChannel.connect(uri, source, 10_000).close());

            assertTrue(e.getMessage(), e.getMessage().startsWith("TLS handshake with the destination's data port " + uri + " failed: "));
            assertTrue(e.getMessage(), e.getMessage().endsWith("(a daemon whose control channel is TLS streams memory over TLS: the"
                    + " destination must be a ferry+tls:// daemon too, with a certificate of a CA this host trusts)"));
        }
    }
}
