package io.ferry.core.migration;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.core.TestDirectories;
import io.ferry.core.control.TestPki;
import io.ferry.protocol.TlsFiles;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.security.KeyStore;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.Test;

/**
 * The destination's word, once the memory is in its VM, that the source waits for before its Perform ends: bytes its
 * kernel took are not memory arrived (a protocol-2 source stops its copy at Perform). Over TLS the source's end of the
 * stream is a close_notify after which the destination still answers (TLS 1.3's half-close).
 */
public class DataChannelArrivalTest {
    private static final byte[] MEMORY = new byte[4 * 1024 * 1024];

    static {
        Arrays.fill(MEMORY, (byte) 7);
    }

    @Test
    public void aSourceHearsThatItsMemoryArrivedOverTls() throws Exception {
        TestPki pki = new TestPki(TestDirectories.create("data-arrival"), "secret");
        SSLContext tls = pki.files(pki.issue("host-a", "ip:127.0.0.1")).load();
        CompletableFuture<byte[]> received = new CompletableFuture<>();

        send(tls, tls, in -> received.complete(in.readAllBytes()));

        assertArrayEquals(MEMORY, received.get(60, TimeUnit.SECONDS));
    }

    /**
     * TLS 1.2 has no half-close: the source's close_notify closes the destination's side too, so no answer can come.
     * None is waited for then (every QEMU migration over such a data port failed at Perform).
     */
    @Test
    public void overTls12NoAnswerIsWaitedFor() throws Exception {
        TestPki pki = new TestPki(TestDirectories.create("data-arrival-12"), "secret");
        TlsFiles files = pki.files(pki.issue("host-a", "ip:127.0.0.1"));
        CompletableFuture<byte[]> received = new CompletableFuture<>();

        send(files.load(), tls12(files, "secret"), in -> received.complete(in.readAllBytes()));

        assertArrayEquals(MEMORY, received.get(60, TimeUnit.SECONDS));
    }

    private static SSLContext tls12(TlsFiles files, String password) throws Exception {
        char[] secret = password.toCharArray();
        KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keys.init(KeyStore.getInstance(files.keystore().toFile(), secret), secret);
        TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(KeyStore.getInstance(files.truststore().toFile(), secret));
        SSLContext context = SSLContext.getInstance("TLSv1.2");
        context.init(keys.getKeyManagers(), trust.getTrustManagers(), null);
        return context;
    }

    @Test
    public void aDestinationThatFailsOnTheLastBytesIsHeardSo() throws Exception {
        IOException e = assertThrows(IOException.class, () -> send(null, null, in -> {
            in.readAllBytes();
            throw new IOException("No space left on device");
        }));

        assertTrue(e.getMessage(), e.getMessage().startsWith("the destination ended the data connection without taking"
                + " the memory into its VM"));
    }

    private static void send(SSLContext destinationTls, SSLContext sourceTls, DataChannel.Receiver receiver)
            throws Exception {
        String token = DataChannel.newToken();
        ServerSocket destination = DataChannel.listen(InetAddress.getLoopbackAddress(), destinationTls);
        DataChannel.acceptInBackground(destination, token, "arrival", 30_000, receiver, failure -> { });
        try (DataChannel.Connection connection = DataChannel.connect(DataChannel.uri(destination), "127.0.0.1",
                sourceTls, 30_000);
                OutputStream out = DataChannel.sending(connection, 30_000)) {
            DataChannel.sendToken(out, token);
            out.write(MEMORY);
            DataChannel.endSend(connection, out, true, 30_000);
        } finally {
            DataChannel.closeQuietly(destination);
        }
    }
}
