package io.ferry.core.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.api.BugDetectors;
import com.code_intelligence.jazzer.api.SilentCloseable;
import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.ferry.core.migration.LiveJob;
import io.ferry.core.migration.MigrationEngine;
import io.ferry.protocol.ChannelException;
import io.ferry.protocol.ControlClient;
import io.ferry.protocol.Operation;
import io.ferry.protocol.Xml;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.eclipse.jetty.http.HttpTester;
import org.eclipse.jetty.server.LocalConnector;
import org.w3c.dom.Element;

/**
 * Control-channel requests from hostile bytes, through the daemon's own Jetty server in this process (a
 * {@link ChannelServer#local} connector, no socket, but for a client that closes mid-body: loopback) and
 * {@link ChannelHandler}: the caller (plain TCP: an operator),
 * routing by the production table ({@link ControlServer#routes}), query parsing, the XML-text checks, body limits,
 * and the production handlers that act on nothing: the cookie tools, sections, version, events, the listing and
 * reading of a defined domain and its snapshots, its job and the job parameters. Every other route keeps its method,
 * access and body limit and answers {@code <done/>}. A request is answered (200, an XML document) or refused with a
 * 4xx whose {@code <error>} is one line; never a 5xx, never no answer. A job parameter accepted is applied as asked.
 *
 * <p>An input is a request as text: {@code METHOD TARGET} (under {@code /v1/} unless it begins with {@code /};
 * bytes outside visible ASCII go percent-encoded, as a client sends them), header lines, an empty line, the body.
 * The body's own Content-Length is sent unless one is given: a smaller one sends that much, a larger one sends the
 * body and closes its side of a socket (a client that gave up); {@code Transfer-Encoding: chunked} sends it chunked.
 * Seeds and kept findings: {@code src/test/resources/io/ferry/core/control/ControlRequestFuzzTestInputs/}.
 */
class ControlRequestFuzzTest {
    static {
        // every state-changing call is audited: keep the fuzzer's output readable and fast
        System.setProperty("org.slf4j.simpleLogger.log." + Audit.LOGGER, "warn");
    }

    private static final String DOMAIN = TestChannel.DOMAIN;
    private static final long MIB = 1024 * 1024;
    /** The handlers run as in production: none acts on a migration or changes a domain. */
    private static final Set<Operation> REAL = Set.of(Operation.COOKIE_TOOL, Operation.SECTIONS, Operation.VERSION, Operation.EVENTS,
            Operation.LIST_DOMAINS, Operation.DOMAIN_INFO, Operation.DOMAIN_XML, Operation.JOB_INFO, Operation.JOB_SPEED,
            Operation.JOB_MAX_DOWNTIME, Operation.SNAPSHOT_LIST, Operation.SNAPSHOT_XML);
    /** The last call a real handler ran. */
    private static final AtomicReference<Call> RAN = new AtomicReference<>();
    private static final Channel CHANNEL = Channel.start();

    // no line breaks in an entry: Jazzer 0.24 writes them unescaped into libFuzzer's dictionary file, which it then refuses
    @DictionaryEntries({"GET ", "POST ", "DELETE ", "PUT ", "HEAD ", "cookie/roundtrip", "cookie/check?phase=", "cookie/bake?phase=",
            "&name=", "&uuid=", "&local-hostuuid=", "&domain-bytes=", "&domain-file=", "&report=sections",
            "1b4e28ba-2fa1-11d2-883f-0016d3cca427", "begin", "prepare", "perform", "finish", "confirm", "sections", "version", "events",
            "domains", "domains/vm1", "/job", "/job/speed?mib=", "/job/maxdowntime?ms=", "?completed=yes", "/snapshots", "migration/",
            "/stream/", "/tunnel", "migrate", "%", "%2F", "%0a", "%00", "%zz", "%ff", "+", "&", "=", "?", "/", "/v1/", "..",
            "Content-Type: application/xml", "Content-Length: ", "Transfer-Encoding: chunked", "Ferry-Migration-Key: ",
            "<qemu-migration>", "</qemu-migration>", "<name>", "<uuid>", "<hostname>", "<hostuuid>", "<domain type='sim'>", "</domain>"})
    @FuzzTest(maxDuration = "3h", maxExecutions = 10_000_000)
    void requestsAreAnsweredOrRefusedWithOneLine(byte[] input) throws Exception {
        RAN.set(null);
        FuzzedRequest request = FuzzedRequest.of(input);
        HttpTester.Response response = request.givesUp ? CHANNEL.overSocket(request) : CHANNEL.local(request);
        int status = response.getStatus();
        String reply = response.getContent().stripLeading(); // the heartbeat's spaces, if a call ran long
        boolean refused = status != 200 || reply.startsWith("<error>");
        assertTrue(status == 200 || status >= 400 && status < 500, () -> "status " + status + " for " + request + ": " + reply);
        if (request.head) {
            return; // a reply to HEAD has no body to read
        }
        if (refused) {
            assertOneLineError(reply, request);
        } else {
            assertNotNull(ControlClient.parseQuietly(reply), () -> "a 200 that is not an XML document for " + request + ": " + reply);
            Call call = RAN.get();
            if (call != null) {
                assertAppliedAsAsked(call);
            }
        }
    }

    /** The error as the client reads it: an {@code <error>} document whose text says why on one line. */
    private static void assertOneLineError(String reply, FuzzedRequest request) {
        Element error;
        try {
            error = ControlClient.parse(reply);
        } catch (ChannelException e) {
            throw new AssertionError("an unreadable error reply to " + request + ": " + e.getMessage() + ": " + reply);
        }
        String text = error.getTextContent();
        assertEquals("error", error.getTagName(), () -> "a refusal that is not an <error> for " + request + ": " + reply);
        assertFalse(text.isBlank(), () -> "an error must say why, for " + request);
        assertTrue(text.codePoints().noneMatch(Character::isISOControl),
                () -> "an error must be one line, its control characters escaped, for " + request + ": " + reply);
    }

    /** A job parameter the daemon accepted is the one its next job gets. */
    private static void assertAppliedAsAsked(Call call) {
        Operation operation = call.operation();
        if (operation != Operation.JOB_SPEED && operation != Operation.JOB_MAX_DOWNTIME) {
            return;
        }
        var jobs = CHANNEL.engine.jobs();
        LiveJob probe = jobs.start(DOMAIN, "probe", null, 0);
        jobs.end(DOMAIN, probe, true);
        if (operation == Operation.JOB_SPEED) {
            long mib = Long.parseLong(call.query("mib"));
            assertEquals(Math.multiplyExact(mib, MIB), probe.maxBandwidth(), () -> "mib=" + call.query("mib") + " applied as "
                    + probe.maxBandwidth() + " bytes/s");
        } else {
            assertEquals(Long.parseLong(call.query("ms")), probe.maxDowntimeMillis(), () -> "ms=" + call.query("ms") + " applied as "
                    + probe.maxDowntimeMillis() + " ms");
        }
    }

    /** The daemon's channel on a state directory holding one defined domain, no migration and no snapshot. */
    private record Channel(LocalConnector connector, InetSocketAddress address, MigrationEngine engine) {
        /** Through the in-process connector: the request as sent, the reply once complete (or null after 10 s). */
        HttpTester.Response local(FuzzedRequest request) throws Exception {
            LocalConnector.LocalEndPoint client = connector.connect();
            try {
                client.addInput(ByteBuffer.wrap(request.bytes));
                ByteBuffer raw = client.waitForResponse(request.head, 10, TimeUnit.SECONDS);
                assertNotNull(raw, () -> "no answer to " + request);
                return request.parse(raw);
            } finally {
                client.close();
            }
        }

        /**
         * Through a socket, for a client that closes its side before the end of its body: the in-process connector
         * may not wake a reader already waiting for that end (Jetty's ByteArrayEndPoint), a socket does.
         */
        HttpTester.Response overSocket(FuzzedRequest request) throws Exception {
            try (SilentCloseable toThisChannel = BugDetectors.allowNetworkConnections((host, port) -> port == address.getPort());
                    Socket socket = new Socket(address.getAddress(), address.getPort())) {
                socket.setSoTimeout(10_000);
                socket.getOutputStream().write(request.bytes);
                socket.shutdownOutput();
                byte[] raw;
                try {
                    raw = socket.getInputStream().readAllBytes();
                } catch (SocketTimeoutException e) {
                    throw new AssertionError("no answer in 10 s to " + request, e);
                }
                HttpTester.Response response = request.parse(ByteBuffer.wrap(raw));
                assertNotNull(response, () -> "no answer to " + request);
                return response;
            }
        }

        static Channel start() {
            try {
                TestChannel channel = TestChannel.withOneDomain();
                RouteTable routes = new RouteTable();
                for (Operation operation : Operation.values()) {
                    Route route = channel.routes.route(operation);
                    Route.Handler handler = REAL.contains(operation) ? call -> {
                        RAN.set(call);
                        return route.handler().handle(call);
                    } : call -> Reply.xml("<done/>\n");
                    routes.add(new Route(operation, route.access(), handler, route.party(), route.bodyLimit(), route.bodyName(),
                            route.keptAlive()));
                }
                ChannelServer server = channel.server(routes);
                LocalConnector connector = server.local();
                server.start();
                return new Channel(connector, server.address(), channel.engine);
            } catch (Exception e) {
                throw new IllegalStateException("cannot start the channel: " + e, e);
            }
        }
    }

    /** The HTTP request an input stands for. */
    private record FuzzedRequest(String text, byte[] bytes, boolean head, boolean givesUp) {
        static FuzzedRequest of(byte[] input) {
            int headEnd = indexOf(input, "\n\n".getBytes(StandardCharsets.US_ASCII));
            String head = new String(input, 0, headEnd < 0 ? input.length : headEnd, StandardCharsets.UTF_8);
            byte[] body = headEnd < 0 ? new byte[0] : Arrays.copyOfRange(input, headEnd + 2, input.length);
            List<String> lines = new ArrayList<>(Arrays.asList(head.split("\n", -1)));
            String requestLine = lines.remove(0).replaceFirst("\r$", "");
            int space = requestLine.indexOf(' ');
            String method = space < 0 ? "GET" : requestLine.substring(0, space);
            String target = encode(space < 0 ? requestLine : requestLine.substring(space + 1));
            StringBuilder http = new StringBuilder(method).append(' ').append(target.startsWith("/") ? "" : "/v1/").append(target)
                    .append(" HTTP/1.1\r\n");
            boolean host = false;
            boolean chunked = false;
            Long declared = null;
            for (String line : lines) {
                String header = line.endsWith("\r") ? line.substring(0, line.length() - 1) : line;
                String name = header.contains(":") ? header.substring(0, header.indexOf(':')).trim().toLowerCase(Locale.ROOT) : "";
                String value = header.substring(header.indexOf(':') + 1).trim();
                host |= name.equals("host");
                chunked |= name.equals("transfer-encoding") && value.toLowerCase(Locale.ROOT).contains("chunked");
                if (name.equals("content-length") && declared == null && value.matches("[0-9]{1,18}")) {
                    declared = Long.parseLong(value);
                }
                http.append(header).append("\r\n");
            }
            if (!host) {
                http.append("Host: ferry\r\n");
            }
            boolean givesUp = false;
            if (chunked) {
                body = chunked(body);
            } else if (declared == null && body.length > 0) {
                http.append("Content-Length: ").append(body.length).append("\r\n");
            } else if (declared != null && declared < body.length) {
                body = Arrays.copyOf(body, declared.intValue()); // what follows would be another request
            } else if (declared != null) {
                givesUp = declared > body.length;
            }
            http.append("\r\n");
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            bytes.writeBytes(http.toString().getBytes(StandardCharsets.UTF_8));
            bytes.writeBytes(body);
            boolean asksHead = method.replaceFirst("^:+", "").equals("HEAD"); // Jetty skips colons before a method
            return new FuzzedRequest(http + new String(body, StandardCharsets.UTF_8), bytes.toByteArray(), asksHead, givesUp);
        }

        HttpTester.Response parse(ByteBuffer raw) {
            return head ? HttpTester.parseHeadResponse(raw) : HttpTester.parseResponse(raw);
        }

        @Override
        public String toString() {
            return Xml.escapeControls(text) + (givesUp ? " (then closed)" : "");
        }

        /** The target as a client sends it: every byte outside visible ASCII percent-encoded. */
        private static String encode(String target) {
            StringBuilder encoded = new StringBuilder();
            for (byte b : target.getBytes(StandardCharsets.UTF_8)) {
                if (b > 0x20 && b < 0x7f) {
                    encoded.append((char) b);
                } else {
                    encoded.append('%').append(String.format("%02X", b & 0xff));
                }
            }
            return encoded.toString();
        }

        private static byte[] chunked(byte[] body) {
            ByteArrayOutputStream chunked = new ByteArrayOutputStream();
            if (body.length > 0) {
                chunked.writeBytes((Integer.toHexString(body.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                chunked.writeBytes(body);
                chunked.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
            }
            chunked.writeBytes("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            return chunked.toByteArray();
        }

        private static int indexOf(byte[] bytes, byte[] sought) {
            outer:
            for (int i = 0; i + sought.length <= bytes.length; i++) {
                for (int j = 0; j < sought.length; j++) {
                    if (bytes[i + j] != sought[j]) {
                        continue outer;
                    }
                }
                return i;
            }
            return -1;
        }
    }
}
