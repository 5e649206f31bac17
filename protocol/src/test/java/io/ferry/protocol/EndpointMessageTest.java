package io.ferry.protocol;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;

import io.ferry.protocol.Messages.Endpoint;
import java.util.Arrays;
import org.junit.Test;

/**
 * The destination's endpoint reply, which a protocol-2 source also reads for whether the destination keeps the
 * definition (it goes at Perform, before any Finish): yes and no come through, and a daemon from before it said nothing.
 */
public class EndpointMessageTest {
    @Test
    public void theDestinationsWordOnTheDefinitionComesThrough() throws Exception {
        for (Boolean keeps : Arrays.asList(true, false, null)) {
            Endpoint endpoint = new Endpoint("m-1", "tcp:10.0.0.2:49152", "t0k3n", "vm1",
                    "0b6f2f6e-7b7c-4b8a-9d8e-2c1f3a4b5c6d", "j-1", keeps, keeps);

            assertEquals(endpoint, Endpoint.fromXml(Xml.of(ControlClient.parse(endpoint.toXml()))));
        }
    }

    @Test
    public void aDaemonFromBeforeItSaysNothing() throws Exception {
        Endpoint older = Endpoint.fromXml(Xml.of(ControlClient.parse("<endpoint id='m-1' uri='tunnel' token='t0k3n'/>")));

        assertNull(older.keepsDefinition());
        assertNull(older.acknowledges());
    }
}
