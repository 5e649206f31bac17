package io.ferry.protocol;

import static org.junit.Assert.assertEquals;

import com.sun.net.httpserver.HttpServer;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;

/**
 * What a command's optional arguments put in its request: an argument given is sent, one not given is absent (the
 * daemon tells "no description" from an empty one, and takes a cookie's name and UUID from the definition otherwise).
 */
public class DaemonClientQueryTest {
    private static final String REPLY = "<snapshot name='s1' current='yes'/>"; // what each request is answered, read or not

    private final List<String> requests = new CopyOnWriteArrayList<>();
    private HttpServer server;
    private DaemonClient client;

    @Before
    public void daemonThatRecordsEachRequest() throws Exception {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/v1/", exchange -> {
            requests.add(exchange.getRequestURI() + " " + new String(exchange.getRequestBody().readAllBytes(),
                    StandardCharsets.UTF_8));
            byte[] reply = REPLY.getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, reply.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(reply);
            }
        });
        server.start();
        client = new DaemonClient(new ControlClient("ferry+tcp://127.0.0.1:" + server.getAddress().getPort()));
    }

    @After
    public void stop() {
        server.stop(0);
    }

    @Test
    public void aSnapshotsDescriptionIsSentOnlyWhenGiven() throws Exception {
        assertEquals("s1", client.createSnapshot("web", "s1", "before the upgrade").name());
        client.createSnapshot("web", "s2", null);

        assertEquals(List.of("/v1/domains/web/snapshots?name=s1&description=before+the+upgrade ",
                "/v1/domains/web/snapshots?name=s2 "), requests);
    }

    @Test
    public void aBakedCookiesNameAndUuidAreSentOnlyWhenGiven() throws Exception {
        DaemonClient.DomainFile domain = new DaemonClient.DomainFile("web.xml", "<domain/>".getBytes(StandardCharsets.UTF_8));

        assertEquals(REPLY, client.bake("begin", "web", "6b3d3d0e-1b4a-4c1e-9a57-7f0e3c9b1a2d", null));
        client.bake("begin", null, null, domain);

        assertEquals(List.of("/v1/cookie/bake?phase=begin&name=web&uuid=6b3d3d0e-1b4a-4c1e-9a57-7f0e3c9b1a2d ",
                "/v1/cookie/bake?phase=begin&domain-file=web.xml&domain-bytes=9 <domain/>"), requests);
    }
}
