package io.ferry.core.migration;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.core.TestDirectories;
import io.ferry.core.control.TestPki;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.junit.Test;

/**
 * A source daemon with a TLS control channel streams memory over TLS; a destination daemon on plain TCP reads its
 * ClientHello as a wrong token and hangs up. The source's error says what is wrong, not only "Remote host terminated
 * the handshake". The destination's certificate is checked against the host of its control URI, which the operator
 * named, not against the address its data URI gives (a certificate need not name its host's addresses).
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

            IOException e = assertThrows(IOException.class,
                    () -> DataChannel.connect(uri, "127.0.0.1", source, 10_000).close());

            assertTrue(e.getMessage(), e.getMessage().startsWith("TLS handshake with the destination's data port " + uri + " failed: "));
            assertTrue(e.getMessage(), e.getMessage().endsWith("(a daemon whose control channel is TLS streams memory over TLS: the"
                    + " destination must be a ferry+tls:// daemon too, with a certificate of a CA this host trusts)"));
        }
    }

    @Test
    public void aDestinationCertifiedByNameOnlyIsCheckedAgainstTheHostOfItsControlUri() throws Exception {
        assertEquals("CN=host-b", handshake("data-tls-by-name", "dns:localhost", "localhost"));
    }

    /** The data URI's address is not what is checked, even where the certificate names it. */
    @Test
    public void aDestinationCertifiedForAnotherHostIsRefused() throws Exception {
        IOException e = assertThrows(IOException.class,
                () -> handshake("data-tls-other-name", "dns:elsewhere,ip:127.0.0.1", "localhost"));

        assertTrue(e.getMessage(), e.getMessage().matches("TLS handshake with the destination's data port"
                + " tcp:127\\.0\\.0\\.1:\\d+ failed: No subject alternative DNS name matching localhost found\\. .*"));
        assertTrue(e.getMessage(), e.getMessage().endsWith("(the destination's certificate must name localhost, the"
                + " host of the destination's URI)"));
    }

    /**
     * The subject of the destination's certificate, issued for {@code san}, once the source connected to its data
     * port at the data URI's address (127.0.0.1) expecting {@code expectedHost}.
     */
    private static String handshake(String directory, String san, String expectedHost) throws Exception {
        TestPki pki = new TestPki(TestDirectories.create(directory), "secret");
        SSLContext source = pki.files(pki.issue("host-a", "dns:host-a")).load();
        SSLContext destinationTls = pki.files(pki.issue("host-b", san)).load();
        try (ServerSocket destination = DataChannel.listen(InetAddress.getLoopbackAddress(), destinationTls)) {
            DataChannel.acceptInBackground(destination, DataChannel.newToken(), directory, 10_000,
                    in -> in.readAllBytes(), e -> { });
            String uri = DataChannel.uri(destination);
            assertTrue(uri, uri.startsWith("tcp:127.0.0.1:"));
            try (DataChannel.Connection connection = DataChannel.connect(uri, expectedHost, source, 10_000)) {
                return ((SSLSocket) connection.socket()).getSession().getPeerPrincipal().getName();
            }
        }
    }
}
