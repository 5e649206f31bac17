package io.ferry.protocol;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.After;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * A daemon that restarts between the client's read of its operator token and its call (a new daemon writes a new
 * token) refuses the call for the old one: the client sends it once more with the new token, as a driver settling a
 * migration with a restarted destination must.
 */
public class ControlClientTokenTest {
    @Rule
    public TemporaryFolder folder = new TemporaryFolder();

    private final List<String> presented = new CopyOnWriteArrayList<>();
    private HttpServer daemon;
    private Path tokenFile;
    private final String daemonsToken = "new-token";

    @Before
    public void start() throws Exception {
        System.setProperty("ferry.token.dir", folder.getRoot().toString());
        daemon = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        daemon.createContext("/v1/version", exchange -> {
            String token = exchange.getRequestHeaders().getFirst(OperatorTokens.HEADER);
            presented.add(token);
            boolean right = daemonsToken.equals(token);
            byte[] reply = (right ? "<version daemon='test'/>" : "<error>a wrong operator token</error>").getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(right ? 200 : 403, reply.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(reply);
            }
        });
        daemon.start();
        tokenFile = folder.getRoot().toPath().resolve("127.0.0.1_" + daemon.getAddress().getPort());
    }

    @After
    public void stop() {
        daemon.stop(0);
        System.clearProperty("ferry.token.dir");
    }

    @Test
    public void aCallRefusedForAStaleTokenIsSentAgainWithTheNewOne() throws Exception {
        Files.writeString(tokenFile, "old-token\n"); // the killed daemon's, still there as the client reads it
        ControlClient client = new ControlClient("ferry+tcp://127.0.0.1:" + daemon.getAddress().getPort());
        daemon.createContext("/v1/stale", exchange -> {
            presented.add(exchange.getRequestHeaders().getFirst(OperatorTokens.HEADER));
            Files.writeString(tokenFile, "new-token\n"); // the restarted daemon has written its own meanwhile
            byte[] reply = "<error>a wrong operator token</error>".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(403, reply.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(reply);
            }
            daemon.removeContext("/v1/stale");
            daemon.createContext("/v1/stale", again -> {
                presented.add(again.getRequestHeaders().getFirst(OperatorTokens.HEADER));
                byte[] ok = "<version daemon='test'/>".getBytes(StandardCharsets.UTF_8);
                again.sendResponseHeaders(daemonsToken.equals(again.getRequestHeaders().getFirst(OperatorTokens.HEADER)) ? 200 : 403,
                        ok.length);
                try (OutputStream out = again.getResponseBody()) {
                    out.write(ok);
                }
            });
        });

        assertEquals("<version daemon='test'/>", client.get("stale"));
        assertEquals(List.of("old-token", "new-token"), presented);
    }

    @Test
    public void aCallRefusedForTheTokenItStillReadsIsRefusedOnce() throws Exception {
        Files.writeString(tokenFile, "someone-elses-token\n");
        ControlClient client = new ControlClient("ferry+tcp://127.0.0.1:" + daemon.getAddress().getPort());

        ChannelException refused = assertThrows(ChannelException.class, () -> client.get("version"));
        assertTrue(refused.getMessage(), refused.getMessage().contains("a wrong operator token"));
        assertTrue(refused.refused());
        assertEquals(List.of("someone-elses-token"), presented);
    }

    @Test
    public void theTokenGoesToTheDaemonEvenWhenThisJvmHasAnHttpProxy() throws Exception {
        Files.writeString(tokenFile, daemonsToken + "\n");
        List<String> proxied = new CopyOnWriteArrayList<>();
        HttpServer proxy = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        proxy.createContext("/", exchange -> { // what a proxy would be given, the token among it
            proxied.add(String.valueOf(exchange.getRequestHeaders().getFirst(OperatorTokens.HEADER)));
            byte[] reply = "<version daemon='proxy'/>".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, reply.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(reply);
            }
        });
        proxy.start();
        System.setProperty("http.proxyHost", "127.0.0.1"); // as JAVA_TOOL_OPTIONS or FERRY_JAVA_OPTS may set them
        System.setProperty("http.proxyPort", String.valueOf(proxy.getAddress().getPort()));
        System.setProperty("http.nonProxyHosts", ""); // loopback too
        try {
            ControlClient client = new ControlClient("ferry+tcp://localhost:" + daemon.getAddress().getPort());
            assertEquals("<version daemon='test'/>", client.get("version"));
        } finally {
            System.clearProperty("http.proxyHost");
            System.clearProperty("http.proxyPort");
            System.clearProperty("http.nonProxyHosts");
            proxy.stop(0);
        }
        assertEquals("the proxy was given the daemon's operator token", List.of(), proxied);
        assertEquals(List.of(daemonsToken), presented);
    }
}
