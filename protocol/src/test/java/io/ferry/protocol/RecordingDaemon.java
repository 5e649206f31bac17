package io.ferry.protocol;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** A stand-in daemon on loopback that records each request under {@code /v1/} and answers each with {@code reply}. */
final class RecordingDaemon implements AutoCloseable {
    /** A request as it arrived. */
    record Request(String method, String uri, String contentType, String body) {
    }

    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private final HttpServer server;

    RecordingDaemon(String reply) throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/v1/", exchange -> {
            requests.add(new Request(exchange.getRequestMethod(), exchange.getRequestURI().toString(),
                    exchange.getRequestHeaders().getFirst("Content-Type"),
                    new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8)));
            byte[] bytes = reply.getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, bytes.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        });
        server.start();
    }

    ControlClient client() throws ChannelException {
        return new ControlClient("ferry+tcp://127.0.0.1:" + server.getAddress().getPort());
    }

    /** The requests so far, oldest first. */
    List<Request> requests() {
        return List.copyOf(requests);
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
