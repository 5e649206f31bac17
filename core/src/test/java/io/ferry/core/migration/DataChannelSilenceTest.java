package io.ferry.core.migration;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.core.TestDirectories;
import io.ferry.core.control.TestPki;
import io.ferry.protocol.StalledWrites;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import org.junit.BeforeClass;
import org.junit.Test;

/** A data connection whose peer vanished without closing it: neither end waits on it for ever. */
public class DataChannelSilenceTest {
    private static final long SILENCE_MILLIS = 300;
    /** Both ends' identity: a certificate for 127.0.0.1. */
    private static SSLContext tls;

    @BeforeClass
    public static void makePki() throws Exception {
        TestPki pki = new TestPki(TestDirectories.create("data-silence"), "secret");
        tls = pki.files(pki.issue("host-a", "ip:127.0.0.1")).load();
    }

    @Test
    public void aSourceThatFallsSilentIsGivenUpByTheDestination() throws Exception {
        String token = DataChannel.newToken();
        CompletableFuture<Exception> failure = new CompletableFuture<>();
        ServerSocket server = DataChannel.listen(InetAddress.getLoopbackAddress(), null);
        DataChannel.acceptInBackground(server, token, "silent-source", SILENCE_MILLIS, in -> in.readAllBytes(),
                failure::complete);
        try (Socket source = DataChannel.connect(DataChannel.uri(server), null, null, SILENCE_MILLIS).socket()) {
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

    /**
     * A send given up while QEMU's pump is blocked writing to the connection (an abort, QEMU's progress timeout): the
     * close waits for the stream the write holds, and the watchdog still ends that write once the silence limit passes.
     */
    @Test(timeout = 60_000) // a hang guard only
    public void aStreamClosedWhileAWriteIsBlockedIsGivenUpByTheSource() throws Exception {
        try (ServerSocket destination = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                SocketChannel channel = SocketChannel.open(destination.getLocalSocketAddress());
                Socket accepted = destination.accept()) { // accepted, never read
            fillTheBuffers(channel);
            OutputStream out = DataChannel.sending(new DataChannel.Connection(channel.socket(), channel.socket()),
                    SILENCE_MILLIS);
            CompletableFuture<IOException> failed = new CompletableFuture<>();
            Thread pump = new Thread(() -> {
                try {
                    out.write(new byte[1 << 20]);
                    failed.complete(null);
                } catch (IOException e) {
                    failed.complete(e);
                }
            });
            pump.start();
            while (!writingToTheSocket(pump)) {
                Thread.sleep(10);
            }

            out.close();

            IOException e = failed.get(60, TimeUnit.SECONDS);
            assertEquals("the destination read nothing for 300 ms: its host is taken for gone", e.getMessage());
        }
    }

    private static boolean writingToTheSocket(Thread thread) {
        return Arrays.stream(thread.getStackTrace())
                .anyMatch(frame -> frame.getClassName().equals(StalledWrites.class.getName()));
    }

    /** Writes without blocking until the connection's socket buffers, of both ends, take no more. */
    private static void fillTheBuffers(SocketChannel channel) throws IOException {
        channel.configureBlocking(false);
        ByteBuffer page = ByteBuffer.allocate(1 << 20);
        while (channel.write(page.clear()) > 0) {
            // until full
        }
        channel.configureBlocking(true);
    }

    /** On TLS, a write blocked in the SSLSocket holds its lock: the source closes the TCP socket under it instead. */
    @Test(timeout = 60_000) // a hang guard only
    public void aTlsDestinationThatStopsReadingIsGivenUpByTheSource() throws Exception {
        try (ServerSocket destination = DataChannel.listen(InetAddress.getLoopbackAddress(), tls)) {
            CompletableFuture<Socket> accepted = TestPki.acceptAndNeverRead(destination);
            try (DataChannel.Connection connection = DataChannel.connect(DataChannel.uri(destination), "127.0.0.1",
                    tls, SILENCE_MILLIS);
                    Socket unread = accepted.get()) {
                assertGivenUp(connection);
            }
        }
    }

    /** A destination that accepts the connection and never answers the handshake (its daemon stopped, a hostile peer). */
    @Test(timeout = 60_000) // a hang guard only
    public void aDestinationThatNeverAnswersTheHandshakeIsGivenUpByTheSource() throws Exception {
        try (ServerSocket destination = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            String uri = DataChannel.uri(destination);
            CompletableFuture<Socket> accepted = CompletableFuture.supplyAsync(() -> {
                try {
                    return destination.accept(); // and then not a word
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });

            IOException e = assertThrows(IOException.class,
                    () -> DataChannel.connect(uri, "127.0.0.1", tls, SILENCE_MILLIS).close());

            accepted.get().close();
            assertEquals("TLS handshake with the destination's data port " + uri + " failed: the destination answered nothing"
                    + " for 300 ms: its host is taken for gone", e.getMessage());
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
