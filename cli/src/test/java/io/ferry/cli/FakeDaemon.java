package io.ferry.cli;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.rules.ExternalResource;

/**
 * A control channel on loopback that gives fixed replies by path, to see what the command line makes of them; a test's
 * rule, serving while each test runs.
 */
final class FakeDaemon extends ExternalResource {
    private final HttpServer server;
    /** The method and path of the last request answered. */
    private volatile String lastRequest;
    /** The query of the last request answered, or null without one. */
    private volatile String lastQuery;
    private final AtomicInteger answered = new AtomicInteger();

    FakeDaemon() {
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    protected void before() {
        server.start();
    }

    /** Answers every request under {@code path} (the longest path registered wins) with {@code status} and {@code reply}. */
    FakeDaemon answer(String path, int status, String reply) {
        server.createContext(path, exchange -> {
            lastRequest = exchange.getRequestMethod() + " " + exchange.getRequestURI().getPath();
            lastQuery = exchange.getRequestURI().getRawQuery();
            answered.incrementAndGet();
            byte[] bytes = reply.getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(status, bytes.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        });
        return this;
    }

    /** "GET /v1/domains/vm1", or null before any. */
    String lastRequest() {
        return lastRequest;
    }

    /** "inactive=yes", or null for a request without a query (or before any). */
    String lastQuery() {
        return lastQuery;
    }

    /** How many requests were answered. */
    int answered() {
        return answered.get();
    }

    String uri() {
        return "ferry+tcp://127.0.0.1:" + server.getAddress().getPort();
    }

    @Override
    protected void after() {
        server.stop(0);
    }
}
