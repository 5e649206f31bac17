package io.ferry.protocol;

import static org.junit.Assert.assertEquals;

import com.sun.net.httpserver.HttpServer;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.Test;

/** A call's body (a cookie, a definition) reaches the daemon byte for byte, marked as XML, with its query. */
public class ControlClientPostTest {
    @Test
    public void aPostedBodyArrivesWholeAsXml() throws Exception {
        byte[] body = "<qemu-migration><name>web</name><uuid>\u00e9</uuid></qemu-migration>".getBytes(StandardCharsets.UTF_8);
        AtomicReference<String> received = new AtomicReference<>();
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/v1/migration/prepare", exchange -> {
            received.set(exchange.getRequestMethod() + " " + exchange.getRequestURI() + " "
                    + exchange.getRequestHeaders().getFirst("Content-Type") + " "
                    + new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            byte[] reply = "<prepared/>".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, reply.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(reply);
            }
        });
        server.start();
        try {
            ControlClient client = new ControlClient("ferry+tcp://127.0.0.1:" + server.getAddress().getPort());

            assertEquals("<prepared/>", client.post("migration/prepare", Map.of("id", "m 1"), body));
            assertEquals("POST /v1/migration/prepare?id=m+1 application/xml " + new String(body, StandardCharsets.UTF_8),
                    received.get());
        } finally {
            server.stop(0);
        }
    }
}
