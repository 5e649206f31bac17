package io.ferry.protocol;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;

/**
 * The client side of a {@code ferry+tls://} channel: sockets that speak only {@link TlsFiles#PROTOCOLS} and
 * check the daemon's certificate against the host of the URI (its subject alternative names, as HTTPS does),
 * and the one-line errors a failed handshake becomes.
 */
final class ClientTls {
    /** Alerts by which the other side rejects this side's certificate or the TLS parameters: nothing was done. */
    private static final Pattern REJECTED = Pattern.compile("Received fatal alert: (certificate_required|bad_certificate"
            + "|unsupported_certificate|certificate_revoked|certificate_expired|certificate_unknown|unknown_ca|access_denied"
            + "|handshake_failure|protocol_version|insufficient_security)");
    private static final String NO_CERTIFICATE = " (no client certificate: " + TlsFiles.KEYSTORE_ENV + " is not set)";
    /** From the socket's creation to the end of its handshake (the TCP connect has 10 s of it). */
    private static final int HANDSHAKE_SECONDS = 20;
    /** Closes the sockets whose handshake does not finish in time, with the message that says what it may be. */
    private static final ScheduledThreadPoolExecutor WATCHDOG = StalledWrites.WATCHDOG;

    private final SSLSocketFactory sockets;
    private final boolean presentsCertificate;
    private final AtomicBoolean timedOut = new AtomicBoolean();

    private ClientTls(SSLContext context, boolean presentsCertificate) {
        this.sockets = new Sockets(context.getSocketFactory(), timedOut);
        this.presentsCertificate = presentsCertificate;
    }

    /** A daemon calling a peer: its own context, which holds its certificate. */
    static ClientTls of(String uri, SSLContext context) throws ChannelException {
        if (context == null) {
            throw new ChannelException("cannot reach " + uri + ": this daemon has no TLS keystore configured", true);
        }
        return new ClientTls(context, true);
    }

    /** The command line: the files named by system properties or the environment ({@link TlsFiles#fromEnvironment}). */
    static ClientTls fromEnvironment(String uri) throws ChannelException {
        try {
            TlsFiles files = TlsFiles.fromEnvironment(System::getProperty, System::getenv);
            if (files == null) {
                throw new ChannelException(uri + " needs a client certificate: set " + TlsFiles.KEYSTORE_ENV + ", "
                        + TlsFiles.TRUSTSTORE_ENV + " and " + TlsFiles.PASSWORD_FILE_ENV, true);
            }
            return new ClientTls(files.load(), files.keystore() != null);
        } catch (TlsFiles.TlsException e) {
            throw new ChannelException("TLS setup for " + uri + " failed: " + e.getMessage(), true);
        }
    }

    SSLSocketFactory sockets() {
        return sockets;
    }

    /**
     * An I/O error of a TLS connection as a channel error. A daemon that refuses the certificate (or gets none:
     * the JDK presents only a certificate of a CA the daemon names) closes the connection without an alert, and
     * with TLS 1.3 only after this side finished its handshake: a connection closed before any answer is
     * reported as a possible refusal, yet with an unknown outcome.
     *
     * @param answered whether the daemon had begun to answer
     */
    ChannelException failure(String uri, IOException error, boolean answered) {
        // the watchdog's close surfaces as "Socket closed" or as an SSL exception, "Remote host terminated the handshake"
        if (!answered && timedOut.getAndSet(false)) {
            return new ChannelException("TLS handshake with " + uri + " did not finish within " + HANDSHAKE_SECONDS
                    + " s (is it a ferry+tls:// channel?)", true, error);
        }
        for (Throwable cause = error; cause != null; cause = cause.getCause()) {
            if (cause instanceof SSLException tls) {
                String reason = tls.getMessage() == null ? tls.getClass().getSimpleName() : tls.getMessage();
                if (answered) {
                    return new ChannelException("TLS connection to " + uri + " lost: " + reason, false, error);
                }
                boolean notTls = reason.contains("Unsupported or unrecognized SSL message"); // a plain HTTP answer
                boolean rejected = notTls || tls instanceof SSLHandshakeException || REJECTED.matcher(reason).find();
                String hint = notTls ? plainAnswer(uri) : !presentsCertificate ? NO_CERTIFICATE
                        : reason.contains("PKIX path") ? " (the daemon's certificate is not signed by a CA of this side's trust store)"
                        : reason.contains("fatal alert") ? " (the daemon refused this side's certificate)" : "";
                return new ChannelException("TLS handshake with " + uri + " failed: " + reason + hint, rejected, error);
            }
        }
        if (answered || error instanceof ConnectException || error instanceof SocketTimeoutException) {
            return null;
        }
        return new ChannelException("TLS connection to " + uri + " closed by the daemon before it answered: " + error.getMessage()
                + (presentsCertificate ? " (does it refuse this side's certificate?)" : NO_CERTIFICATE), false, error);
    }

    /**
     * The daemon answered the ClientHello with plain HTTP: it serves plain TCP there. "is it a ferry+tls:// channel?"
     * asked the operator who had just named one, and did not say what answered.
     */
    private static String plainAnswer(String uri) {
        String plain = uri.startsWith("ferry+tls://") ? "ferry+tcp://" + uri.substring("ferry+tls://".length()) : null;
        return " (the daemon there answered in plain TCP, not TLS: its channel is " + (plain == null ? "plain TCP" : plain)
                + "; give that daemon --tls-* files to serve TLS)";
    }

    /** Every socket: the allowed protocols, hostname verification by the endpoint's certificate, the handshake's deadline. */
    private static final class Sockets extends SSLSocketFactory {
        private final SSLSocketFactory delegate;
        private final AtomicBoolean timedOut;

        Sockets(SSLSocketFactory delegate, AtomicBoolean timedOut) {
            this.delegate = delegate;
            this.timedOut = timedOut;
        }

        private Socket configure(Socket socket) throws IOException {
            if (socket instanceof SSLSocket ssl) {
                SSLParameters parameters = ssl.getSSLParameters();
                parameters.setProtocols(TlsFiles.PROTOCOLS.toArray(String[]::new));
                parameters.setEndpointIdentificationAlgorithm("HTTPS");
                ssl.setSSLParameters(parameters);
                // a close (an upload's stall guard) waits for the record lock a blocked write holds, to send close_notify:
                // for ever without SO_LINGER (JDK 17); with it, 1 s, then it shuts the TCP output, which ends the write
                ssl.setSoLinger(true, 1);
                Future<?> deadline = WATCHDOG.schedule(() -> {
                    if (!ssl.isClosed()) {
                        timedOut.set(true);
                        StalledWrites.aside(() -> close(ssl));
                    }
                }, HANDSHAKE_SECONDS, TimeUnit.SECONDS);
                ssl.addHandshakeCompletedListener(event -> deadline.cancel(false));
            }
            return socket;
        }

        private static void close(Socket socket) {
            try {
                socket.close();
            } catch (IOException e) {
                // closing is all it was for
            }
        }

        @Override
        public String[] getDefaultCipherSuites() {
            return delegate.getDefaultCipherSuites();
        }

        @Override
        public String[] getSupportedCipherSuites() {
            return delegate.getSupportedCipherSuites();
        }

        @Override
        public Socket createSocket() throws IOException {
            return configure(delegate.createSocket());
        }

        @Override
        public Socket createSocket(Socket socket, String host, int port, boolean autoClose) throws IOException {
            return configure(delegate.createSocket(socket, host, port, autoClose));
        }

        @Override
        public Socket createSocket(String host, int port) throws IOException {
            return configure(delegate.createSocket(host, port));
        }

        @Override
        public Socket createSocket(String host, int port, InetAddress localHost, int localPort) throws IOException {
            return configure(delegate.createSocket(host, port, localHost, localPort));
        }

        @Override
        public Socket createSocket(InetAddress host, int port) throws IOException {
            return configure(delegate.createSocket(host, port));
        }

        @Override
        public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort) throws IOException {
            return configure(delegate.createSocket(address, port, localAddress, localPort));
        }
    }
}
