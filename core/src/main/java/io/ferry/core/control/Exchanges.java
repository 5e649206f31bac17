package io.ferry.core.control;

import com.sun.net.httpserver.HttpExchange;
import io.ferry.core.cookie.CookieCodec;
import io.ferry.protocol.Xml;
import io.ferry.protocol.xml.XmlWriter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import org.w3c.dom.Document;
import org.w3c.dom.Element;

/** Small helpers for the control channel's request and reply handling. */
final class Exchanges {
    static final String XML = "application/xml; charset=utf-8";

    private Exchanges() {
    }

    /** A request the client got wrong; becomes a 4xx reply with the message. */
    static final class BadRequest extends Exception {
        private static final long serialVersionUID = 1L;
        final int status;

        BadRequest(int status, String message) {
            super(message);
            this.status = status;
        }
    }

    /** Reads the body, refusing more than {@code limit} bytes without reading them all. */
    static byte[] body(HttpExchange exchange, int limit, String what) throws IOException, BadRequest {
        try (InputStream in = exchange.getRequestBody()) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            byte[] buffer = new byte[64 * 1024];
            int n;
            while ((n = in.read(buffer)) > 0) {
                if (out.size() + n > limit) {
                    throw new BadRequest(413, what + " is over the limit of " + limit + " bytes");
                }
                out.write(buffer, 0, n);
            }
            return out.toByteArray();
        }
    }

    static Map<String, String> query(HttpExchange exchange) throws BadRequest {
        return query(exchange.getRequestURI().getRawQuery());
    }

    /** The parameters of a raw query string (null: none); a malformed %-escape is the client's error. */
    static Map<String, String> query(String raw) throws BadRequest {
        Map<String, String> query = new HashMap<>();
        if (raw == null) {
            return query;
        }
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            try {
                String key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
                String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
                query.put(key, value);
            } catch (IllegalArgumentException e) {
                throw new BadRequest(400, "malformed query parameter '" + pair + "': " + e.getMessage());
            }
        }
        return query;
    }

    static String required(Map<String, String> query, String key) throws BadRequest {
        String value = query.get(key);
        if (value == null || value.isBlank()) {
            throw new BadRequest(400, "missing parameter '" + key + "'");
        }
        return value;
    }

    static void reply(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", XML);
        exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    /** An error reply: one line, whatever the message quotes from the request. */
    static void error(HttpExchange exchange, int status, String message) throws IOException {
        Document document = CookieCodec.newDocument();
        Element error = document.createElement("error");
        error.setTextContent(Xml.escapeControls(String.valueOf(message)));
        reply(exchange, status, XmlWriter.write(error));
    }
}
