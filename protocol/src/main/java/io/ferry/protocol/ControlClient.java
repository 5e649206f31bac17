package io.ferry.protocol;

import io.ferry.protocol.xml.HardenedXmlParser;
import io.ferry.protocol.xml.XmlException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.HttpURLConnection;
import java.net.URI;
import java.net.URL;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.stream.Collectors;
import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.SSLContext;
import org.w3c.dom.Element;

/**
 * Talks to a daemon's control channel: XML over HTTP, {@code ferry+tcp://HOST:PORT}, or over mutual TLS,
 * {@code ferry+tls://HOST:PORT} (see {@link TlsFiles}).
 */
public final class ControlClient {
    private static final HardenedXmlParser PARSER = new HardenedXmlParser(64 * 1024 * 1024, HardenedXmlParser.DEFAULT_MAX_DEPTH);

    private final String uri;
    private final String base;
    private final ClientTls tls;
    /** 0: wait as long as the call takes (a Perform moving gigabytes). */
    private final int readTimeoutMillis;

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
        this.readTimeoutMillis = 0;
    }

    private ControlClient(ControlClient other, int readTimeoutMillis) {
        this.uri = other.uri;
        this.base = other.base;
        this.tls = other.tls;
        this.readTimeoutMillis = readTimeoutMillis;
    }

    /** The same daemon, with calls that give up when no answer comes within {@code millis}. */
    public ControlClient withReadTimeout(int millis) {
        return new ControlClient(this, millis);
    }

    public String uri() {
        return uri;
    }

    public String get(String path) throws ChannelException {
        return exchange("GET", path, Map.of(), null);
    }

    public String delete(String path) throws ChannelException {
        return exchange("DELETE", path, Map.of(), null);
    }

    public String post(String path, Map<String, String> query, byte[] body) throws ChannelException {
        return exchange("POST", path, query, body);
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
            return connection.getInputStream();
        } catch (IOException e) {
            throw lost(e);
        }
    }

    /** A streaming upload: what is written to the stream is the request body; {@link Upload#finish} ends it. */
    public Upload upload(String path) throws ChannelException {
        try {
            HttpURLConnection connection = open("POST", path, Map.of());
            connection.setDoOutput(true);
            connection.setChunkedStreamingMode(256 * 1024);
            connection.setRequestProperty("Content-Type", "application/octet-stream");
            return new Upload(connection, connection.getOutputStream());
        } catch (IOException e) {
            throw lost(e);
        }
    }

    /** A request body being streamed. */
    public final class Upload implements Peer.Upload {
        private final HttpURLConnection connection;
        private final OutputStream body;

        private Upload(HttpURLConnection connection, OutputStream body) {
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
            connection.disconnect();
        }
    }

    private String exchange(String method, String path, Map<String, String> query, byte[] body) throws ChannelException {
        try {
            HttpURLConnection connection = open(method, path, query);
            if (body != null) {
                connection.setDoOutput(true);
                connection.setFixedLengthStreamingMode(body.length);
                connection.setRequestProperty("Content-Type", "application/xml");
                try (OutputStream out = connection.getOutputStream()) {
                    out.write(body);
                }
            }
            return reply(connection);
        } catch (IOException e) {
            throw lost(e);
        }
    }

    private HttpURLConnection open(String method, String path, Map<String, String> query) throws IOException {
        String target = base + path + (query.isEmpty() ? "" : "?" + query.entrySet().stream()
                .map(e -> enc(e.getKey()) + "=" + enc(e.getValue())).collect(Collectors.joining("&")));
        HttpURLConnection connection = (HttpURLConnection) new URL(target).openConnection();
        if (connection instanceof HttpsURLConnection https) {
            https.setSSLSocketFactory(tls.sockets());
        }
        connection.setRequestMethod(method);
        connection.setConnectTimeout(10_000);
        connection.setReadTimeout(readTimeoutMillis);
        return connection;
    }

    private String reply(HttpURLConnection connection) throws IOException, ChannelException {
        int status = connection.getResponseCode();
        String reply;
        try {
            InputStream stream = status < 400 ? connection.getInputStream() : connection.getErrorStream();
            reply = stream == null ? "" : read(stream);
        } catch (IOException e) {
            throw lost(e, true);
        }
        if (status >= 400) {
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
        if (e instanceof ConnectException) {
            return new ChannelException("cannot connect to " + uri + ": " + e.getMessage(), false, e);
        }
        // what a ferry+tls:// channel does to a plain request
        String hint = !answered && tls == null && String.valueOf(e.getMessage()).startsWith("Unexpected end of file")
                ? " (no HTTP answer: is it a ferry+tls:// channel?)" : "";
        return new ChannelException("connection to " + uri + " lost: " + e.getMessage() + hint, false, e);
    }

    private static String errorText(String reply, String fallback) {
        try {
            Element root = parse(reply);
            return root.getTagName().equals("error") && !root.getTextContent().isBlank() ? root.getTextContent().trim() : fallback;
        } catch (ChannelException e) {
            return fallback;
        }
    }

    private static String enc(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    private static String read(InputStream in) throws IOException {
        try (in) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            in.transferTo(out);
            return out.toString(StandardCharsets.UTF_8);
        }
    }
}
