package io.ferry.protocol;

import static org.junit.Assert.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.Test;

/** A call's body (a cookie, a definition) reaches the daemon byte for byte, marked as XML, with its query. */
public class ControlClientPostTest {
    @Test
    public void aPostedBodyArrivesWholeAsXml() throws Exception {
        byte[] body = "<qemu-migration><name>web</name><uuid>\u00e9</uuid></qemu-migration>".getBytes(StandardCharsets.UTF_8);
        try (RecordingDaemon daemon = new RecordingDaemon("<prepared/>")) {
            assertEquals("<prepared/>", daemon.client().post("migration/prepare", Map.of("id", "m 1"), body));
            RecordingDaemon.Request received = daemon.requests().get(0);
            assertEquals("POST /v1/migration/prepare?id=m+1 application/xml " + new String(body, StandardCharsets.UTF_8),
                    received.method() + " " + received.uri() + " " + received.contentType() + " " + received.body());
        }
    }
}
