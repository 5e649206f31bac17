package io.ferry.core.migration;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.core.TestDirectories;
import io.ferry.core.control.TestPki;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import org.junit.BeforeClass;
import org.junit.Test;

/** A data connection whose peer vanished without closing it: neither end waits on it for ever. */
public class DataChannelSilenceTest {
    private static final long SILENCE_MILLIS = 300;
    private static TestPki pki;

    @BeforeClass
    public static void makePki() throws Exception {
        pki = new TestPki(TestDirectories.create("data-silence"), "secret");
    }

    @Test
    public void aSourceThatFallsSilentIsGivenUpByTheDestination() throws Exception {
        String token = DataChannel.newToken();
        CompletableFuture<Exception> failure = new CompletableFuture<>();
        ServerSocket server = DataChannel.listen(InetAddress.getLoopbackAddress(), null);
        DataChannel.acceptInBackground(server, token, "silent-source", SILENCE_MILLIS, in -> in.readAllBytes(),
                failure::complete);
        try (Socket source = DataChannel.connect(DataChannel.uri(server), null).socket()) {
            OutputStream out = source.getOutputStream();
            DataChannel.sendToken(out, token);
            out.write(new byte[4096]);
            out.flush();
            // and then nothing, with the connection left open: a host that lost power

            Exception e = failure.get(60, TimeUnit.SECONDS);
            assertEquals("the source sent nothing for 300 ms: its host is taken for gone", e.getMessage());
        }
    }

    @Test
    public void aDestinationThatStopsReadingIsGivenUpByTheSource() throws Exception {
        try (ServerSocket destination = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                Socket socket = new Socket(InetAddress.getLoopbackAddress(), destination.getLocalPort());
                Socket accepted = destination.accept()) { // accepted, never read: the socket buffers fill up
            assertGivenUp(new DataChannel.Connection(socket, socket));
            assertTrue("the connection was closed", socket.isClosed());
        }
    }

    /** On TLS, a write blocked in the SSLSocket holds its lock: the source closes the TCP socket under it instead. */
    @Test(timeout = 60_000) // a hang guard only
    public void aTlsDestinationThatStopsReadingIsGivenUpByTheSource() throws Exception {
        SSLContext tls = pki.files(pki.issue("host-a", "ip:127.0.0.1")).load();
        try (ServerSocket destination = DataChannel.listen(InetAddress.getLoopbackAddress(), tls)) {
            CompletableFuture<Socket> accepted = TestPki.acceptAndNeverRead(destination);
            try (DataChannel.Connection connection = DataChannel.connect(DataChannel.uri(destination), tls);
                    Socket unread = accepted.get()) {
                assertGivenUp(connection);
            }
        }
    }

    /** Writes far beyond what the buffers of both ends hold, to a destination that reads nothing. */
    private static void assertGivenUp(DataChannel.Connection connection) throws IOException {
        OutputStream out = DataChannel.sending(connection, SILENCE_MILLIS);
        byte[] page = new byte[1 << 20];
        IOException e = assertThrows(IOException.class, () -> {
            for (int i = 0; i < 4096; i++) { // 4 GiB
                out.write(page);
            }
        });
        assertEquals("the destination read nothing for 300 ms: its host is taken for gone", e.getMessage());
    }
}
