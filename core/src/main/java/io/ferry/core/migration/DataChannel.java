package io.ferry.core.migration;

import io.ferry.protocol.StalledWrites;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.util.HexFormat;
import java.util.Objects;
import java.util.function.Consumer;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The direct data connection of a migration ({@code tcp:HOST:PORT}, libvirt's uri_out): the destination
 * listens for one connection, and the source proves with the token from Prepare that it is the source. When
 * the daemons' control channel is mutual TLS, so is this connection, with the same identities: guest memory
 * never crosses a network in the clear, and the source checks it talks to the host the destination's control URI
 * names (the data URI names an address, which a certificate need not name). A connection that moves no byte for
 * the migration's {@link Timing#dataSilenceMillis} has lost its peer: the destination stops reading and the source
 * stops writing, so neither waits on a host that vanished.
 */
final class DataChannel {
    private static final Logger LOG = LoggerFactory.getLogger(DataChannel.class);
    /** How long a connection to the data port may take to present its token. */
    private static final int TOKEN_WAIT_MILLIS = 5_000;
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final int TOKEN_BYTES = 32;
    /** The destination's one byte back: the memory is in its VM. */
    private static final int ARRIVED = 'A';

    private DataChannel() {
    }

    static String newToken() {
        byte[] token = new byte[TOKEN_BYTES];
        RANDOM.nextBytes(token);
        return HexFormat.of().formatHex(token);
    }

    /** @param tls the daemon's identity; null: plain TCP (the control channel is plain too) */
    static ServerSocket listen(InetAddress host, SSLContext tls) throws IOException {
        ServerSocket server;
        if (tls == null) {
            server = new ServerSocket();
        } else {
            SSLServerSocket secure = (SSLServerSocket) tls.getServerSocketFactory().createServerSocket();
            secure.setNeedClientAuth(true);
            server = secure;
        }
        server.bind(new InetSocketAddress(host, 0), 8);
        return server;
    }

    /** What takes the memory stream once the source has proven itself. */
    interface Receiver {
        void receive(InputStream stream) throws Exception;
    }

    /**
     * Accepts connections on {@code server} until one presents {@code token} ({@link DataPortAcceptor}), then closes
     * the listener and hands that connection's stream to {@code receiver}, on a thread of its own. A connection that
     * does not present the token is dropped (the first logged, the rest summed up); the migration goes on waiting for
     * its source. Closing the listener (the migration was aborted) ends the wait and reports the failure.
     */
    static void acceptInBackground(ServerSocket server, String token, String migrationId, long silenceMillis,
            Receiver receiver, Consumer<Exception> failed) {
        new DataPortAcceptor(server, token, migrationId, TOKEN_WAIT_MILLIS).runInBackground(socket -> {
            socket.setSoTimeout((int) silenceMillis);
            receiver.receive(new SilentSource(socket.getInputStream(), silenceMillis));
            acknowledge(socket, migrationId);
        }, failed);
    }

    /**
     * Tells the source the memory is in the VM (digest checked, or QEMU completed): it waits for this byte before its
     * Perform ends ({@link #awaitArrived}). A source from before it did has closed the connection already.
     */
    private static void acknowledge(Socket socket, String migrationId) {
        if (!halfCloses(socket)) {
            return;
        }
        try {
            OutputStream out = socket.getOutputStream();
            out.write(ARRIVED);
            out.flush();
        } catch (IOException e) {
            LOG.debug("migration {}: the source did not wait for the word that its memory arrived: {}", migrationId,
                    e.getMessage());
        }
    }

    /**
     * Whether the connection stays open one way once the source ended its stream: plain TCP, or TLS 1.3. Under TLS 1.2
     * the source's close_notify has the destination close its side as well, so no answer can come (and none is waited
     * for: as before the answer was, the kernel's taking the bytes ends the source's send).
     */
    static boolean halfCloses(Socket socket) {
        return !(socket instanceof SSLSocket tls) || "TLSv1.3".equals(tls.getSession().getProtocol());
    }

    /**
     * The source's end of its stream: the rest flushed, its side of the connection closed, and, where the destination
     * said it answers ({@code acknowledged}) and the connection stays open its way, the wait for that answer.
     */
    static void endSend(Connection connection, OutputStream out, boolean acknowledged, long silenceMillis)
            throws IOException {
        out.flush();
        connection.socket().shutdownOutput();
        if (acknowledged && halfCloses(connection.socket())) {
            awaitArrived(connection, silenceMillis);
        }
    }

    /**
     * The source's wait, its stream ended, for the destination's word that the memory is in its VM: until then the
     * kernel has only taken bytes, which a destination that fails on the last of them (a digest that differs, a full
     * disk, QEMU refusing the stream) never takes into its VM. A protocol-2 source stops its copy once Perform ends.
     */
    private static void awaitArrived(Connection connection, long silenceMillis) throws IOException {
        int answer;
        try {
            connection.socket().setSoTimeout((int) silenceMillis);
            answer = connection.socket().getInputStream().read();
        } catch (SocketTimeoutException e) {
            throw new IOException("the destination said nothing for " + silenceMillis + " ms once the memory was sent:"
                    + " its host is taken for gone");
        }
        if (answer != ARRIVED) {
            throw new IOException("the destination ended the data connection without taking the memory into its VM (its"
                    + " log says why)");
        }
    }

    /** The source's stream; a read that times out says what it means. */
    private static final class SilentSource extends java.io.BufferedInputStream {
        private final long silenceMillis;

        SilentSource(InputStream in, long silenceMillis) {
            super(in, 256 * 1024);
            this.silenceMillis = silenceMillis;
        }

        @Override
        public synchronized int read() throws IOException {
            try {
                return super.read();
            } catch (SocketTimeoutException e) {
                throw silent();
            }
        }

        @Override
        public synchronized int read(byte[] b, int off, int len) throws IOException {
            try {
                return super.read(b, off, len);
            } catch (SocketTimeoutException e) {
                throw silent();
            }
        }

        private IOException silent() {
            return new IOException("the source sent nothing for " + silenceMillis + " ms: its host is taken for gone");
        }
    }

    /** The source's data connection: the socket of its stream and the TCP socket under it (the same one on plain TCP). */
    record Connection(Socket socket, Socket tcp) implements java.io.Closeable {
        @Override
        public void close() throws IOException {
            try {
                socket.close();
            } finally {
                tcp.close();
            }
        }
    }

    /**
     * The source's side of a data connection: writes that block longer than {@code silenceMillis} (the destination
     * stopped reading) close the socket, and the write that was under way fails saying so. The watch lasts until the
     * stream's final flush has ended: a close waits for a write blocked on the connection (QEMU's pump, once an abort
     * gave up the send), and would otherwise wait for as long as the destination reads nothing.
     */
    static OutputStream sending(Connection connection, long silenceMillis) throws IOException {
        // the TCP socket: closing the SSLSocket would wait (JDK 17, to send close_notify) for the record lock that the
        // blocked write holds, so neither would ever end
        StalledWrites guarded = StalledWrites.guard(connection.socket().getOutputStream(), (int) silenceMillis,
                () -> closeQuietly(connection.tcp()));
        return new java.io.FilterOutputStream(new java.io.BufferedOutputStream(guarded, 256 * 1024)) {
            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                try {
                    out.write(b, off, len);
                } catch (IOException e) {
                    throw guarded.stalled() ? stalled(silenceMillis) : e;
                }
            }

            @Override
            public void flush() throws IOException {
                try {
                    out.flush();
                } catch (IOException e) {
                    throw guarded.stalled() ? stalled(silenceMillis) : e;
                }
            }
        };
    }

    private static IOException stalled(long silenceMillis) {
        return new IOException("the destination read nothing for " + silenceMillis + " ms: its host is taken for gone");
    }

    static void closeQuietly(java.io.Closeable closeable) {
        if (closeable == null) {
            return;
        }
        try {
            closeable.close();
        } catch (IOException e) {
            // nothing left to do with it
        }
    }

    static String uri(ServerSocket server) {
        return "tcp:" + server.getInetAddress().getHostAddress() + ":" + server.getLocalPort();
    }

    /** Reads and checks the token a connection starts with. */
    static void expectToken(InputStream in, String token) throws IOException {
        byte[] received = new byte[TOKEN_BYTES * 2];
        new DataInputStream(in).readFully(received);
        if (!MessageDigest.isEqual(received, token.getBytes(StandardCharsets.US_ASCII))) {
            throw new IOException("the data connection presented a wrong token");
        }
    }

    static void sendToken(OutputStream out, String token) throws IOException {
        out.write(token.getBytes(StandardCharsets.US_ASCII));
    }

    /**
     * Connects to {@code tcp:HOST:PORT}; with {@code tls}, completes the handshake and checks the certificate
     * names {@code expectedHost}, the host of the destination's control URI, not {@code HOST}. A handshake the
     * destination leaves unanswered for {@code silenceMillis} fails.
     */
    static Connection connect(String uri, String expectedHost, SSLContext tls, long silenceMillis) throws IOException {
        if (uri == null || !uri.startsWith("tcp:")) {
            throw new IOException("unsupported migration URI '" + uri + "'");
        }
        String address = uri.substring(4);
        int colon = address.lastIndexOf(':');
        String host = address.substring(0, colon);
        int port = Integer.parseInt(address.substring(colon + 1));
        Socket socket = new Socket();
        socket.setTcpNoDelay(true);
        socket.connect(new InetSocketAddress(host, port), 10_000);
        if (tls == null) {
            return new Connection(socket, socket);
        }
        Objects.requireNonNull(expectedHost, "the host the destination's certificate must name");
        // the host the handshake checks the certificate against; the socket stays connected to the data URI's address
        SSLSocket secure = (SSLSocket) tls.getSocketFactory().createSocket(socket, expectedHost, port, true);
        SSLParameters parameters = secure.getSSLParameters();
        parameters.setEndpointIdentificationAlgorithm("HTTPS");
        secure.setSSLParameters(parameters);
        try {
            // the silence limit, not the destination's 5 s token wait: the handshake is the connection's first bytes, and a
            // destination that stalls (a long GC) as long as the memory stream survives must not fail it here
            secure.setSoTimeout((int) silenceMillis);
            secure.startHandshake();
            secure.setSoTimeout(0);
        } catch (SocketTimeoutException e) {
            closeQuietly(socket);
            throw new IOException("TLS handshake with the destination's data port " + uri + " failed: the destination answered"
                    + " nothing for " + silenceMillis + " ms: its host is taken for gone", e);
        } catch (SSLException e) {
            secure.close();
            // a plain-TCP destination reads the ClientHello as a wrong token and hangs up: "Remote host terminated the handshake"
            String hint = namesAnotherHost(e)
                    ? "the destination's certificate must name " + expectedHost + ", the host of the destination's URI"
                    : "a daemon whose control channel is TLS streams memory over TLS: the destination must be a"
                            + " ferry+tls:// daemon too, with a certificate of a CA this host trusts";
            throw new IOException("TLS handshake with the destination's data port " + uri + " failed: " + e.getMessage()
                    + " (" + hint + ")", e);
        }
        return new Connection(secure, socket);
    }

    /**
     * Whether the handshake failed on the certificate's names: the JDK's endpoint identification throws a bare
     * CertificateException, a chain this host does not trust a subclass of it (ValidatorException).
     */
    private static boolean namesAnotherHost(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause.getClass() == CertificateException.class) {
                return true;
            }
        }
        return false;
    }
}
