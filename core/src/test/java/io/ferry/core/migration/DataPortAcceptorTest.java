package io.ferry.core.migration;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.After;
import org.junit.Test;
import org.slf4j.LoggerFactory;

/** Whoever reaches a migration's data port cannot hold its source back by connecting and saying nothing. */
public class DataPortAcceptorTest {
    /** Far longer than the test waits: a connection proven in turn behind a silent one would never be reached. */
    private static final int TOKEN_WAIT_MILLIS = 600_000;
    private static final int FLOOD = 200;
    private final String token = DataChannel.newToken();
    private final List<Socket> silent = new ArrayList<>();
    private final CompletableFuture<byte[]> received = new CompletableFuture<>();
    private final CompletableFuture<Exception> failed = new CompletableFuture<>();
    private ServerSocket port;

    @After
    public void close() {
        silent.forEach(DataChannel::closeQuietly);
        DataChannel.closeQuietly(port);
    }

    @Test
    public void theSourceIsTakenWhileSilentConnectionsWait() throws Exception {
        listen();
        connectSilently(DataPortAcceptor.MAX_WAITING + 4); // more than may wait: the oldest are dropped
        assertTheSourceIsTaken();
        silent.forEach(DataPortAcceptorTest::assertDropped); // too many waited, or the source proved itself
        assertTrue("the port stays open after the source proved itself", port.isClosed());
        assertFalse("a failure was reported: " + failed.getNow(null), failed.isDone());
    }

    /** Before the source comes: once more wait than may, the oldest go, so a flood holds no thread per connection. */
    @Test
    public void theOldestSilentConnectionsAreDroppedOnceTooManyWait() throws Exception {
        listen();
        connectSilently(DataPortAcceptor.MAX_WAITING + 4);
        silent.subList(0, 4).forEach(DataPortAcceptorTest::assertDropped);
        assertFalse("the port closed before the source came", port.isClosed());
        assertTheSourceIsTaken();
    }

    /** One that presents another token (an earlier migration's, a guess) is dropped unread; the source's is taken. */
    @Test
    public void aConnectionWithAWrongTokenIsDroppedAndTheSourceStillTaken() throws Exception {
        listen();
        Socket impostor = DataChannel.connect(DataChannel.uri(port), null, null, 10_000).socket();
        silent.add(impostor);
        OutputStream forged = impostor.getOutputStream();
        DataChannel.sendToken(forged, DataChannel.newToken());
        forged.write("forged guest memory".getBytes());
        forged.flush();
        assertDropped(impostor);
        assertFalse("the impostor's bytes were taken", received.isDone());

        assertTheSourceIsTaken();
    }

    @Test
    public void closingThePortEndsTheWaitAndDropsWhoWaits() throws Exception {
        listen();
        connectSilently(3);
        port.close(); // the migration was aborted
        assertNotNull("closing the port reported no failure", failed.get(30, TimeUnit.SECONDS));
        silent.forEach(DataPortAcceptorTest::assertDropped);
        assertFalse("a connection that presented no token was taken", received.isDone());
    }

    /**
     * Anyone who reaches the port may connect and hang up at will: each connection had a thread of its own and one or
     * two warnings, burying the migration's own lines. The first is logged, the rest summed up; a few threads prove.
     */
    @Test
    public void aFloodOfConnectionsIsLoggedOnceAndSummedUpAndProvedOnFewThreads() throws Exception {
        Logger migration = (Logger) LoggerFactory.getLogger("io.ferry.core.migration");
        ListAppender<ILoggingEvent> lines = new ListAppender<>();
        lines.start();
        migration.addAppender(lines);
        long threadsBefore = ManagementFactory.getThreadMXBean().getTotalStartedThreadCount();
        try {
            listen();
            for (int i = 0; i < FLOOD; i++) {
                try (Socket stray = new Socket(port.getInetAddress(), port.getLocalPort())) {
                    if (i % 2 == 0) { // garbage; the others say nothing
                        stray.getOutputStream().write(new byte[DataChannel.newToken().length()]);
                    }
                }
            }
            assertTheSourceIsTaken();
        } finally {
            migration.detachAppender(lines);
        }
        long threadsStarted = ManagementFactory.getThreadMXBean().getTotalStartedThreadCount() - threadsBefore;
        List<String> warnings = lines.list.stream().filter(line -> line.getLevel() == Level.WARN)
                .map(ILoggingEvent::getFormattedMessage).filter(line -> line.contains("crowded-port")).toList();
        assertTrue("a warning or two per connection: " + warnings.size() + " of them", warnings.size() <= 3);
        assertTrue(warnings.toString(), warnings.get(0).startsWith("migration crowded-port: dropped a connection to its"
                + " data port from /127.0.0.1:"));
        assertTrue(warnings.toString(), warnings.stream().anyMatch(line -> line.contains(" more connections to its data"
                + " port were dropped without presenting its token, from 127.0.0.1")));
        assertTrue("a thread per connection: " + threadsStarted + " started", threadsStarted < FLOOD / 2);
    }

    /** The source connects, presents the migration's token and sends its memory: all of it arrives. */
    private void assertTheSourceIsTaken() throws Exception {
        byte[] memory = "guest memory".getBytes();
        try (Socket source = DataChannel.connect(DataChannel.uri(port), null, null, 10_000).socket()) {
            OutputStream out = source.getOutputStream();
            DataChannel.sendToken(out, token);
            out.write(memory);
            out.flush();
            source.shutdownOutput();
            assertArrayEquals(memory, awaitReceived());
        }
    }

    /** Closed by the port's end: an end of stream, or a reset for one it never accepted. */
    private static void assertDropped(Socket connection) {
        try {
            connection.setSoTimeout(30_000);
            assertEquals(-1, connection.getInputStream().read());
        } catch (SocketTimeoutException e) {
            throw new AssertionError("a connection that said nothing was kept waiting", e);
        } catch (IOException reset) {
            assertTrue(reset.getMessage(), reset.getMessage().contains("reset"));
        }
    }

    private void listen() throws Exception {
        port = DataChannel.listen(InetAddress.getLoopbackAddress(), null);
        DataPortAcceptor acceptor = new DataPortAcceptor(port, token, "crowded-port", TOKEN_WAIT_MILLIS);
        acceptor.runInBackground(socket -> {
            try (InputStream in = socket.getInputStream()) {
                received.complete(in.readAllBytes());
            }
        }, failed::complete);
    }

    private void connectSilently(int connections) throws Exception {
        for (int i = 0; i < connections; i++) {
            Socket socket = new Socket();
            try {
                socket.connect(new InetSocketAddress(port.getInetAddress(), port.getLocalPort()), 30_000);
            } catch (SocketTimeoutException e) {
                throw new AssertionError("the port stopped taking connections while " + silent.size()
                        + " that said nothing waited on it", e);
            }
            silent.add(socket);
        }
    }

    private byte[] awaitReceived() throws Exception {
        try {
            return received.get(60, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            throw new AssertionError("the source's connection was not taken while " + silent.size()
                    + " connections that said nothing waited on the port", e);
        }
    }
}
