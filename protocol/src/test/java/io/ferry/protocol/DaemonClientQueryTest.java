package io.ferry.protocol;

import static org.junit.Assert.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;

/**
 * What a command's optional arguments put in its request: an argument given is sent, one not given is absent (the
 * daemon tells "no description" from an empty one, and takes a cookie's name and UUID from the definition otherwise).
 */
public class DaemonClientQueryTest {
    private static final String REPLY = "<snapshot name='s1' current='yes'/>"; // what each request is answered, read or not

    private RecordingDaemon daemon;
    private DaemonClient client;

    @Before
    public void daemonThatRecordsEachRequest() throws Exception {
        daemon = new RecordingDaemon(REPLY);
        client = new DaemonClient(daemon.client());
    }

    @After
    public void stop() {
        daemon.close();
    }

    /** Each request so far as its URI and body. */
    private List<String> requests() {
        return daemon.requests().stream().map(request -> request.uri() + " " + request.body()).toList();
    }

    @Test
    public void aSnapshotsDescriptionIsSentOnlyWhenGiven() throws Exception {
        assertEquals("s1", client.createSnapshot("web", "s1", "before the upgrade").name());
        client.createSnapshot("web", "s2", null);

        assertEquals(List.of("/v1/domains/web/snapshots?name=s1&description=before+the+upgrade ",
                "/v1/domains/web/snapshots?name=s2 "), requests());
    }

    @Test
    public void aBakedCookiesNameAndUuidAreSentOnlyWhenGiven() throws Exception {
        DaemonClient.DomainFile domain = new DaemonClient.DomainFile("web.xml", "<domain/>".getBytes(StandardCharsets.UTF_8));

        assertEquals(REPLY, client.bake("begin", "web", "6b3d3d0e-1b4a-4c1e-9a57-7f0e3c9b1a2d", null));
        client.bake("begin", null, null, domain);

        assertEquals(List.of("/v1/cookie/bake?phase=begin&name=web&uuid=6b3d3d0e-1b4a-4c1e-9a57-7f0e3c9b1a2d ",
                "/v1/cookie/bake?phase=begin&domain-file=web.xml&domain-bytes=9 <domain/>"), requests());
    }
}
