package io.ferry.cli;

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

/** Talks to a daemon's control channel: {@code ferry+tcp://HOST:PORT}, XML over HTTP. */
final class ControlClient {
    private final String uri;
    private final String base;

    ControlClient(String uri) throws CliException {
        this.uri = uri;
        URI parsed;
        try {
            parsed = URI.create(uri);
        } catch (IllegalArgumentException e) {
            throw new CliException("invalid connection URI '" + uri + "'");
        }
        if (!"ferry+tcp".equals(parsed.getScheme()) || parsed.getHost() == null || parsed.getPort() < 0) {
            throw new CliException("invalid connection URI '" + uri + "' (expected ferry+tcp://HOST:PORT)");
        }
        this.base = "http://" + parsed.getHost() + ":" + parsed.getPort() + "/v1/";
    }

    String uri() {
        return uri;
    }

    String get(String path) throws CliException {
        return exchange("GET", path, Map.of(), null);
    }

    String post(String path, Map<String, String> query, byte[] body) throws CliException {
        return exchange("POST", path, query, body);
    }

    private String exchange(String method, String path, Map<String, String> query, byte[] body) throws CliException {
        String target = base + path + (query.isEmpty() ? "" : "?" + query.entrySet().stream()
                .map(e -> enc(e.getKey()) + "=" + enc(e.getValue())).collect(Collectors.joining("&")));
        try {
            HttpURLConnection connection = (HttpURLConnection) new URL(target).openConnection();
            connection.setRequestMethod(method);
            connection.setConnectTimeout(10_000);
            connection.setReadTimeout(0);
            if (body != null) {
                connection.setDoOutput(true);
                connection.setFixedLengthStreamingMode(body.length);
                connection.setRequestProperty("Content-Type", "application/xml");
                try (OutputStream out = connection.getOutputStream()) {
                    out.write(body);
                }
            }
            int status = connection.getResponseCode();
            InputStream stream = status < 400 ? connection.getInputStream() : connection.getErrorStream();
            String reply = stream == null ? "" : read(stream);
            if (status >= 400) {
                throw new CliException(Xml.errorText(reply, "the daemon at " + uri + " answered HTTP " + status));
            }
            return reply;
        } catch (ConnectException e) {
            throw new CliException("cannot connect to " + uri + ": " + e.getMessage());
        } catch (IOException e) {
            throw new CliException("talking to " + uri + " failed: " + e.getMessage(), e);
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
