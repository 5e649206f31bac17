package io.ferry.protocol;

import io.ferry.protocol.xml.HardenedXmlParser;
import io.ferry.protocol.xml.XmlException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.Proxy;
import java.net.URI;
import java.net.URL;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.SSLContext;
import org.w3c.dom.Element;

/**
 * Talks to a daemon's control channel: XML over HTTP, {@code ferry+tcp://HOST:PORT}, or over mutual TLS,
 * {@code ferry+tls://HOST:PORT} (see {@link TlsFiles}).
 *
 * <p>No call waits forever on a daemon that froze: each connects within {@value #CONNECT_MILLIS} ms and gives up
 * when the daemon sends nothing for {@value #READ_MILLIS} ms. A call that runs longer (a Perform moving gigabytes,
 * a Finish waiting for the memory) is kept alive by the daemon, which sends a space every
 * {@value #HEARTBEAT_MILLIS} ms ahead of its reply; such a reply, sent under status 200, may be an
 * {@code <error>}. A streamed upload gives up when the daemon takes no data for {@value #READ_MILLIS} ms. A client
 * {@link #withDeadline with a deadline} also gives up on a call that runs longer in all, heartbeat or not.
 */
public final class ControlClient {
    /** How long a connection may take to be made. */
    public static final int CONNECT_MILLIS = 10_000;
    /** How long a call waits for the next byte of its reply. */
    public static final int READ_MILLIS = 30_000;
    /** How often a daemon tells a caller that its call still runs (a space ahead of the reply). */
    public static final int HEARTBEAT_MILLIS = 10_000;
    /** The largest reply read: what the parser would take (a daemon's replies are a few kilobytes). */
    private static final int MAX_REPLY_BYTES = 64 * 1024 * 1024;
    private static final HardenedXmlParser PARSER = new HardenedXmlParser(MAX_REPLY_BYTES, HardenedXmlParser.DEFAULT_MAX_DEPTH);
    private static final AtomicBoolean WARMED_UP = new AtomicBoolean();

    private final String uri;
    private final String base;
    private final ClientTls tls;
    /** Plain TCP: where this user would find the daemon's operator token ({@link OperatorTokens}); read at each call. */
    private final List<Path> tokenFiles;
    /** Plain TCP: where the daemon listens; on loopback, who holds it is checked first ({@link LoopbackListener}). */
    private final String host;
    private final int port;
    private final LoopbackListener listeners;
    private final int connectTimeoutMillis;
    private final int readTimeoutMillis;
    /** How long a call may take in all ({@link CallDeadline}); 0: as long as the daemon keeps it alive. */
    private final int deadlineMillis;

    /** A client of the command line: for {@code ferry+tls://}, the files of {@link TlsFiles#fromEnvironment}. */
    public ControlClient(String uri) throws ChannelException {
        this(uri, null, true);
    }

    /**
     * A daemon calling a peer with its own identity.
     *
     * @param tls the daemon's context, used for {@code ferry+tls://}; null when it has none
     */
    public ControlClient(String uri, SSLContext tls) throws ChannelException {
        this(uri, tls, false);
    }

    private ControlClient(String uri, SSLContext context, boolean fromEnvironment) throws ChannelException {
        this.uri = uri;
        URI parsed;
        try {
            parsed = URI.create(uri);
        } catch (IllegalArgumentException e) {
            throw new ChannelException("invalid connection URI '" + uri + "'", true);
        }
        boolean secure = "ferry+tls".equals(parsed.getScheme());
        if (!(secure || "ferry+tcp".equals(parsed.getScheme())) || parsed.getHost() == null || parsed.getPort() < 0) {
            throw new ChannelException("invalid connection URI '" + uri + "' (expected ferry+tcp://HOST:PORT or ferry+tls://HOST:PORT)", true);
        }
        this.base = (secure ? "https://" : "http://") + parsed.getHost() + ":" + parsed.getPort() + "/v1/";
        this.tls = !secure ? null : fromEnvironment ? ClientTls.fromEnvironment(uri) : ClientTls.of(uri, context);
        this.tokenFiles = secure ? List.of() : OperatorTokens.files(parsed.getHost(), parsed.getPort());
        this.host = parsed.getHost();
        this.port = parsed.getPort();
        this.listeners = LoopbackListener.SYSTEM;
        this.connectTimeoutMillis = CONNECT_MILLIS;
        this.readTimeoutMillis = READ_MILLIS;
        this.deadlineMillis = 0;
    }

    private ControlClient(ControlClient other, LoopbackListener listeners, int connectTimeoutMillis,
            int readTimeoutMillis, int deadlineMillis) {
        this.uri = other.uri;
        this.base = other.base;
        this.tls = other.tls;
        this.tokenFiles = other.tokenFiles;
        this.host = other.host;
        this.port = other.port;
        this.listeners = listeners;
        this.connectTimeoutMillis = connectTimeoutMillis;
        this.readTimeoutMillis = readTimeoutMillis;
        this.deadlineMillis = deadlineMillis;
    }

    /** The same daemon, with calls that give up sooner: when the connection or the next byte takes over {@code millis}. */
    public ControlClient withTimeout(int millis) {
        return new ControlClient(this, listeners, Math.min(millis, connectTimeoutMillis), millis, deadlineMillis);
    }

    /**
     * The same daemon, with calls that give up once they took {@code millis} in all, however long the daemon keeps
     * their reply alive: the connection is closed, and the call fails as lost (what it did there is unknown).
     */
    public ControlClient withDeadline(int millis) {
        return new ControlClient(this, listeners, connectTimeoutMillis, readTimeoutMillis, millis);
    }

    /** The same daemon, its loopback listener looked up in other tables than this host's (a test's). */
    ControlClient checkingListenersIn(LoopbackListener listeners) {
        return new ControlClient(this, listeners, connectTimeoutMillis, readTimeoutMillis, deadlineMillis);
    }

    public String uri() {
        return uri;
    }

    public String get(String path) throws ChannelException {
        return exchange("GET", path, Map.of(), Map.of(), null);
    }

    public String post(String path, Map<String, String> query, byte[] body) throws ChannelException {
        return exchange("POST", path, query, Map.of(), body);
    }

    /**
     * One call of the channel; its reply.
     *
     * @param body null: none
     * @param parameters the operation's path parameters, in order
     */
    public String exchange(Operation operation, Map<String, String> query, Map<String, String> headers, byte[] body,
            String... parameters) throws ChannelException {
        return exchange(operation.method(), operation.path(parameters), query, headers, body);
    }

    /**
     * Readies the reply parser on a thread of its own, once per JVM, while the first call is in flight: a command
     * line's JVM would otherwise initialise the JDK's XML parser (20-40 ms here) only once its reply has arrived.
     */
    public static void warmUp() {
        if (WARMED_UP.compareAndSet(false, true)) {
            Thread thread = new Thread(() -> parseQuietly("<ready/>"), "ferry-xml-warm-up");
            thread.setDaemon(true);
            thread.start();
        }
    }

    /** Parses a reply (from a peer: untrusted). */
    public static Element parse(String xml) throws ChannelException {
        try {
            return PARSER.parse(xml.getBytes(StandardCharsets.UTF_8), "reply").getDocumentElement();
        } catch (XmlException e) {
            throw new ChannelException("unreadable reply: " + e.getMessage(), false);
        }
    }

    /** Parses XML known to be well-formed (this daemon's own files), or null. */
    public static Element parseQuietly(String xml) {
        try {
            return parse(xml);
        } catch (ChannelException e) {
            return null;
        }
    }

    /** A streaming download: the reply body of {@code GET path}, to be read and closed by the caller. */
    public InputStream download(String path, Map<String, String> headers) throws ChannelException {
        try {
            HttpURLConnection connection = open("GET", path, Map.of());
            headers.forEach(connection::setRequestProperty);
            int status = connection.getResponseCode();
            if (status >= 400) {
                InputStream error = connection.getErrorStream();
                throw new ChannelException(errorText(error == null ? "" : read(error), "the daemon at " + uri + " answered HTTP " + status), true);
            }
            return new DownloadBody(connection.getInputStream());
        } catch (IOException e) {
            throw lost(e);
        }
    }

    /**
     * A download's body (a side stream), read by a section under its time limit.
     * <ul>
     * <li>{@code available()} is always 0 (InputStream's own answer): the JDK's decoding of a chunked body answers it
     * by reading ahead into arrays it allocates afresh at each call, and a {@code BufferedInputStream} asks after every
     * read it could not fill; reading a 5 MiB side stream so allocated 0.5-1.3 GB and took up to 1.9 s of CPU.</li>
     * <li>A read by an interrupted thread (a section call past its limit) throws: a socket read does not answer
     * interruption, so a peer that trickles bytes would otherwise keep the section's worker for ever.</li>
     * </ul>
     */
    private static final class DownloadBody extends FilterInputStream {
        DownloadBody(InputStream body) {
            super(body);
        }

        @Override
        public int read() throws IOException {
            stopIfInterrupted();
            return super.read();
        }

        @Override
        public int read(byte[] into, int offset, int length) throws IOException {
            stopIfInterrupted();
            return super.read(into, offset, length);
        }

        @Override
        public int available() {
            return 0;
        }

        private static void stopIfInterrupted() throws InterruptedIOException {
            if (Thread.currentThread().isInterrupted()) {
                throw new InterruptedIOException("reading the download was interrupted");
            }
        }
    }

    /** A streaming upload: what is written to the stream is the request body; {@link Upload#finish} ends it. */
    public Upload upload(String path, Map<String, String> headers) throws ChannelException {
        try {
            HttpURLConnection connection = open("POST", path, Map.of());
            headers.forEach(connection::setRequestProperty);
            connection.setDoOutput(true);
            connection.setChunkedStreamingMode(256 * 1024);
            connection.setRequestProperty("Content-Type", "application/octet-stream");
            return new Upload(connection, StalledWrites.guard(connection.getOutputStream(), readTimeoutMillis, connection::disconnect));
        } catch (IOException e) {
            throw lost(e);
        }
    }

    /** A request body being streamed. */
    public final class Upload implements Peer.Upload {
        private final HttpURLConnection connection;
        private final StalledWrites body;

        private Upload(HttpURLConnection connection, StalledWrites body) {
            this.connection = connection;
            this.body = body;
        }

        @Override
        public OutputStream body() {
            return body;
        }

        @Override
        public void finish() throws ChannelException {
            try {
                body.close();
                reply(connection);
            } catch (IOException e) {
                throw lost(e);
            }
        }

        @Override
        public void abort() {
            body.stopWatching();
            connection.disconnect();
        }

        private ChannelException lost(IOException e) {
            return body.stalled() ? new ChannelException("connection to " + uri + " lost: the daemon took no data for "
                    + readTimeoutMillis / 1000 + " s", false, e) : ControlClient.this.lost(e);
        }
    }

    /**
     * On plain TCP, a call the daemon refused for its operator token is sent once more when the token file changed
     * meanwhile: the daemon restarted between this read of its token and its answer (a new daemon, a new token), and
     * refused the call without running it.
     */
    private String exchange(String method, String path, Map<String, String> query, Map<String, String> headers, byte[] body)
            throws ChannelException {
        Optional<String> token = OperatorTokens.read(tokenFiles);
        try {
            return exchange(method, path, query, headers, body, token);
        } catch (TokenRefused e) {
            Optional<String> now = OperatorTokens.read(tokenFiles);
            if (now.equals(token)) {
                throw e;
            }
            return exchange(method, path, query, headers, body, now);
        }
    }

    private String exchange(String method, String path, Map<String, String> query, Map<String, String> headers, byte[] body,
            Optional<String> token) throws ChannelException {
        CallDeadline deadline = CallDeadline.NONE;
        boolean sent = false;
        try {
            HttpURLConnection connection = open(method, path, query, token);
            deadline = CallDeadline.start(deadlineMillis, connection::disconnect);
            headers.forEach(connection::setRequestProperty);
            if (body != null) {
                // buffered, not streamed: before a streamed body the JDK probes its kept-alive connection (a read with a
                // 1 ms timeout: 1-3 ms a call). A buffered call may be sent once more on a new connection when its kept-alive
                // one fails before the reply (ControlClientConnectionTest); one the daemon had taken is then refused as
                // done, or, the daemon gone, finds nothing listening (lostAfterSending)
                connection.setDoOutput(true);
                connection.setRequestProperty("Content-Type", "application/xml");
            }
            connection.connect();
            deadline.check(); // the watchdog's close, while the connection was being made, found none to close
            if (body != null) {
                try (OutputStream out = connection.getOutputStream()) {
                    out.write(body);
                }
            }
            sent = true;
            return reply(connection, deadline);
        } catch (IOException e) {
            throw deadline.passed() ? overdue(e)
                    : sent && e instanceof ConnectException refused ? lostAfterSending(refused) : lost(e);
        } catch (ChannelException e) {
            throw deadline.passed() ? overdue(e) : e;
        } finally {
            deadline.close();
        }
    }

    private HttpURLConnection open(String method, String path, Map<String, String> query)
            throws IOException, ChannelException {
        return open(method, path, query, OperatorTokens.read(tokenFiles)); // read at each call: a daemon that restarted has a new one
    }

    private HttpURLConnection open(String method, String path, Map<String, String> query, Optional<String> token)
            throws IOException, ChannelException {
        if (tls == null) { // the address a connection goes to: the host's first
            listeners.check(InetAddress.getByName(host), port, token.isPresent());
        }
        String target = base + path + (query.isEmpty() ? "" : "?" + query.entrySet().stream()
                .map(e -> enc(e.getKey()) + "=" + enc(e.getValue())).collect(Collectors.joining("&")));
        // plain TCP goes to the daemon itself, never through a proxy this JVM is set up with (http.proxyHost): it would be
        // given the operator token
        URL url = new URL(target);
        HttpURLConnection connection = (HttpURLConnection) (tls == null ? url.openConnection(Proxy.NO_PROXY) : url.openConnection());
        if (connection instanceof HttpsURLConnection https) {
            https.setSSLSocketFactory(tls.sockets());
        }
        connection.setRequestMethod(method);
        connection.setConnectTimeout(connectTimeoutMillis);
        connection.setReadTimeout(readTimeoutMillis);
        token.ifPresent(value -> connection.setRequestProperty(OperatorTokens.HEADER, value));
        return connection;
    }

    private String reply(HttpURLConnection connection) throws IOException, ChannelException {
        return reply(connection, CallDeadline.NONE);
    }

    private String reply(HttpURLConnection connection, CallDeadline deadline) throws IOException, ChannelException {
        int status = connection.getResponseCode();
        String reply;
        try {
            InputStream body = status < 400 ? connection.getInputStream() : connection.getErrorStream();
            InputStream stream = deadline.guard(body);
            reply = stream == null ? "" : read(stream).stripLeading(); // the heartbeat's spaces
        } catch (IOException e) {
            throw lost(e, true);
        }
        if (status == 403 && !tokenFiles.isEmpty()) { // on plain TCP, only the operator token is refused so
            throw new TokenRefused(errorText(reply, "the daemon at " + uri + " answered HTTP " + status));
        }
        if (status >= 400 || reply.startsWith("<error>")) { // once the heartbeat began, the status was sent already
            throw new ChannelException(errorText(reply, "the daemon at " + uri + " answered HTTP " + status), true);
        }
        return reply;
    }

    private ChannelException lost(IOException e) {
        return lost(e, false);
    }

    /** @param answered whether the daemon had begun to answer */
    private ChannelException lost(IOException e, boolean answered) {
        ChannelException tlsFailure = tls == null ? null : tls.failure(uri, e, answered);
        if (tlsFailure != null) {
            return tlsFailure;
        }
        if (e instanceof ConnectException refused) {
            return new Unreachable("cannot connect to " + uri + ": " + e.getMessage(), refused);
        }
        // what a ferry+tls:// channel does to a plain request
        String hint = !answered && tls == null && String.valueOf(e.getMessage()).startsWith("Unexpected end of file")
                ? " (no HTTP answer: is it a ferry+tls:// channel?)" : "";
        return new ChannelException("connection to " + uri + " lost: " + e.getMessage() + hint, false, e);
    }

    /**
     * A connection refused once the call was connected and its body written: the JDK sending it once more on a new
     * connection, as the first ended before the reply (an EOF, a reset). The daemon stopped or restarted, having taken
     * the call or not (a kept-alive connection it had closed): not "cannot connect", which tells a caller it never got
     * there, but lost, its outcome unknown.
     */
    private ChannelException lostAfterSending(ConnectException e) {
        return new ChannelException("connection to " + uri + " lost after the call was sent (the daemon stopped or"
                + " restarted?): what it did there is unknown", false, e);
    }

    /** Whether {@code e} is a call that could not connect at all: it never reached the daemon, which may not run. */
    public static boolean unreachable(ChannelException e) {
        return e instanceof Unreachable;
    }

    /** A call its deadline ended: whatever the closed connection surfaced as, that is why it failed. */
    private ChannelException overdue(Exception e) {
        return new ChannelException("the daemon at " + uri + " did not answer within " + deadlineMillis / 1000
                + " s; the call was dropped", false, e);
    }

    /**
     * The daemon's {@code <error>} text, as this daemon's own error replies write it: one line, its control characters
     * escaped. A peer's words go on into this daemon's log and its callers' errors, where a line break would forge
     * lines.
     */
    private static String errorText(String reply, String fallback) {
        try {
            Element root = parse(reply);
            return root.getTagName().equals("error") && !root.getTextContent().isBlank()
                    ? Xml.escapeControls(root.getTextContent().trim()) : fallback;
        } catch (ChannelException e) {
            return fallback;
        }
    }

    private static String enc(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    /** A whole reply, up to its limit: a peer that answers without end must not fill this process's memory. */
    private String read(InputStream in) throws IOException, ChannelException {
        try (in) {
            byte[] reply = in.readNBytes(MAX_REPLY_BYTES + 1);
            if (reply.length > MAX_REPLY_BYTES) { // what the call did there is unknown: lost, not refused
                throw new ChannelException("the daemon at " + uri + " answered more than " + MAX_REPLY_BYTES / (1024 * 1024)
                        + " MiB; its reply was dropped", false);
            }
            return new String(reply, StandardCharsets.UTF_8);
        }
    }

    /** A call that found nothing listening: "cannot connect". */
    private static final class Unreachable extends ChannelException {
        private static final long serialVersionUID = 1L;

        Unreachable(String message, ConnectException cause) {
            super(message, false, cause);
        }
    }

    /** A plain-TCP call refused for its operator token: it did not run. */
    private static final class TokenRefused extends ChannelException {
        private static final long serialVersionUID = 1L;

        TokenRefused(String message) {
            super(message, true);
        }
    }
}
