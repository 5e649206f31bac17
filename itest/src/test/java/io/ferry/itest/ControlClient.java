package io.ferry.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

/** Talks to a daemon's control channel over plain HTTP, the way a client on another process would. */
final class ControlClient {
    /** A reply: status and body. */
    record Reply(int status, String body) {
        Element xml() {
            return parse(body);
        }
    }

    private final String base;
    private final Path tokenFile;

    /** @param controlUrl the {@code ferry+tcp://HOST:PORT} the daemon registered */
    ControlClient(String controlUrl) {
        assertTrue("not a control URL: " + controlUrl, controlUrl.startsWith("ferry+tcp://"));
        String address = controlUrl.substring("ferry+tcp://".length());
        this.base = "http://" + address + "/v1/";
        // the operator token the daemon wrote for this user (io.ferry.protocol.OperatorTokens), as bin/ferry presents it
        String tokens = System.getProperty("ferry.token.dir", System.getenv("FERRY_TOKEN_DIR"));
        this.tokenFile = (tokens != null && !tokens.isBlank() ? Path.of(tokens) : Path.of(System.getProperty("user.home"), ".ferry", "tokens"))
                .resolve(address.replace(':', '_'));
    }

    /** {@code GET /v1/sections} as feature → the bundle ("BSN VERSION") that serves it, in the daemon's order. */
    Map<String, String> sections() throws IOException {
        Map<String, String> sections = new LinkedHashMap<>();
        for (Element section : registrations()) {
            if (!"no".equals(section.getAttribute("serving"))) {
                sections.put(section.getAttribute("feature"), section.getAttribute("bundle"));
            }
        }
        return sections;
    }

    /** Every {@code <section>} of {@code GET /v1/sections}: each registration, serving its feature or not. */
    List<Element> registrations() throws IOException {
        Reply reply = request("GET", "sections", null);
        assertEquals(reply.body(), 200, reply.status());
        return children(reply.xml(), "section");
    }

    /** Bakes this daemon's cookie for {@code phase}; fails the test unless it is baked. */
    String bake(String phase, String name, String uuid) throws IOException {
        Reply reply = request("POST", "cookie/bake?phase=" + phase + "&name=" + encode(name) + "&uuid=" + uuid, "");
        assertEquals(reply.body(), 200, reply.status());
        return reply.body();
    }

    /** Checks a cookie as phase {@code phase} would eat it on a host with UUID {@code localHostUuid}. */
    Reply check(String phase, String localHostUuid, String cookie) throws IOException {
        return request("POST", "cookie/check?phase=" + phase + "&local-hostuuid=" + localHostUuid, cookie);
    }

    Reply request(String method, String path, String body) throws IOException {
        HttpURLConnection connection = (HttpURLConnection) URI.create(base + path).toURL().openConnection();
        connection.setRequestMethod(method);
        connection.setRequestProperty("Ferry-Operator-Token", Files.readString(tokenFile, StandardCharsets.US_ASCII).trim());
        connection.setConnectTimeout(10_000);
        connection.setReadTimeout(30_000);
        try {
            if (body != null) {
                byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
                connection.setDoOutput(true);
                connection.setRequestProperty("Content-Type", "application/xml");
                connection.setFixedLengthStreamingMode(bytes.length);
                try (OutputStream out = connection.getOutputStream()) {
                    out.write(bytes);
                }
            }
            int status = connection.getResponseCode();
            InputStream in = status >= 400 ? connection.getErrorStream() : connection.getInputStream();
            String text = in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8);
            if (in != null) {
                in.close();
            }
            return new Reply(status, text);
        } finally {
            connection.disconnect();
        }
    }

    static Element parse(String xml) {
        try {
            DocumentBuilderFactory factory = DocumentBuilderFactory.newDefaultInstance();
            factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            Document document = factory.newDocumentBuilder()
                    .parse(new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8)));
            return document.getDocumentElement();
        } catch (Exception e) {
            throw new AssertionError("not XML: " + xml, e);
        }
    }

    /** The direct children of {@code parent} named {@code name}. */
    static List<Element> children(Element parent, String name) {
        List<Element> found = new ArrayList<>();
        NodeList nodes = parent.getChildNodes();
        for (int i = 0; i < nodes.getLength(); i++) {
            Node node = nodes.item(i);
            if (node instanceof Element element && element.getTagName().equals(name)) {
                found.add(element);
            }
        }
        return found;
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }
}
