package io.ferry.core.control;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.ferry.core.daemon.Daemon;
import io.ferry.core.daemon.TestDaemons;
import io.ferry.core.section.SectionRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.Map;

/**
 * Hand-parsed control-channel requests from hostile bytes, through the channel's own router
 * ({@link ControlServer#dispatch}) to the resources that need no domains or migrations (the cookie tools and
 * the sections list), and the parameter readers of the domain resource: a request is answered, or refused
 * with a 4xx and a one-line error, never a 500 (a parser that threw). The input is the request target after
 * {@code /v1/} on its first line (a leading {@code GET } makes it a GET, else a POST), then the body.
 * Seeds and kept findings: {@code src/test/resources/io/ferry/core/control/ControlRequestFuzzTestInputs/}.
 */
class ControlRequestFuzzTest {
    private static final Map<String, Resource> RESOURCES = resources();

    @DictionaryEntries({"cookie/roundtrip", "cookie/check?phase=", "cookie/bake?phase=", "&name=", "&uuid=",
            "&local-hostuuid=", "1b4e28ba-2fa1-11d2-883f-0016d3cca427", "begin", "prepare", "perform", "finish",
            "confirm", "GET sections", "mib=", "ms=", "%", "%2", "+", "&", "=", "?", "/", "<qemu-migration>"})
    @FuzzTest(maxDuration = "3h", maxExecutions = 10_000_000)
    void requestsAreAnsweredOrRefusedWithOneLine(byte[] request) throws IOException {
        int newline = indexOf(request, (byte) '\n');
        String target = new String(request, 0, newline < 0 ? request.length : newline, StandardCharsets.UTF_8);
        byte[] body = newline < 0 ? new byte[0] : Arrays.copyOfRange(request, newline + 1, request.length);
        String method = target.startsWith("GET ") ? "GET" : "POST";
        URI uri;
        try {
            uri = new URI("/v1/" + (method.equals("GET") ? target.substring(4) : target));
        } catch (URISyntaxException e) {
            return; // the HTTP server refuses such a request line before any resource sees it
        }
        if (uri.getPath() == null || !uri.getPath().startsWith("/v1/")) {
            return; // not routed to the channel's context
        }
        FakeExchange exchange = new FakeExchange(method, uri, body);
        ControlServer.dispatch(exchange, RESOURCES);
        int status = exchange.status();
        String reply = exchange.reply();
        assertTrue(status == 200 || (status >= 400 && status < 500), () -> "status " + status + " for " + uri + ": " + reply);
        if (status != 200) {
            String error = reply.replaceFirst("^<error>", "").replaceFirst("</error>\n$", "");
            assertFalse(error.isBlank() || error.contains("\n"), () -> "an error must be one line naming the fault: " + reply);
        }
        try {
            Map<String, String> query = Exchanges.query(uri.getRawQuery());
            for (String key : query.keySet()) {
                assertTrue(DomainsResource.number(query, key) >= 0, "job numbers are never negative");
            }
        } catch (Exchanges.BadRequest e) { // its message reaches the client through the error reply checked above
            assertTrue(e.status >= 400 && e.status < 500 && !e.getMessage().isBlank(), () -> e.status + " " + e.getMessage());
        }
    }

    private static int indexOf(byte[] bytes, byte b) {
        for (int i = 0; i < bytes.length; i++) {
            if (bytes[i] == b) {
                return i;
            }
        }
        return -1;
    }

    private static Map<String, Resource> resources() {
        try {
            Daemon daemon = TestDaemons.at(Files.createTempDirectory("control-fuzz"));
            SectionRegistry registry = new SectionRegistry(TestDaemons.context(Map.of()));
            return Map.of("sections", new SectionsResource(registry), "cookie", new CookieToolsResource(daemon, registry));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
