package io.ferry.protocol;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import io.ferry.protocol.Messages.Begun;
import io.ferry.protocol.Messages.Migrate;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.Test;

/**
 * The source address a driver's Prepare names, where the destination fetches the side streams: the driver's own name
 * for the source daemon (the operator's, which the certificate names), unless it reaches the source only from the
 * driver's host (a loopback one) or is the destination's own address; then the one the source's Begin named.
 */
public class PrepareSourceTest {
    private static final MigrationFlags LIVE = new MigrationFlags(true, false, false, false, false, false, false);
    private static final String DESTINATION = "ferry+tls://host-b:16570";

    /** The source address the driver's Prepare names, the driver knowing the source by {@code driverUri}. */
    private static String prepareNames(String driverUri, String ownUri, MigrationFlags flags) throws Exception {
        ScriptedPeer source = new ScriptedPeer(driverUri, Set.of(2, 3));
        source.ownUri = ownUri;
        ScriptedPeer destination = new ScriptedPeer(DESTINATION, Set.of(2, 3));
        new MigrationDriver(MigrationDriver.Listener.NONE, Duration.ofMillis(10), 0).run(source, destination,
                new Migrate("vm", destination.uri(), flags, null, null, 0));
        assertEquals(1, destination.prepareSources.size());
        return destination.prepareSources.get(0);
    }

    /**
     * An FQDN or address the operator gave, which the destination may reach too and a certificate may name alone, is
     * kept though Begin names another (a wildcard listen's short host name, a container id, the --listen address).
     */
    @Test
    public void prepareNamesTheDriversAddressThoughBeginNamedAnother() throws Exception {
        for (MigrationFlags flags : List.of(LIVE, LIVE.withV2())) {
            assertEquals(flags.toString(), "ferry+tls://host-a.example.com:16570",
                    prepareNames("ferry+tls://host-a.example.com:16570", "ferry+tls://host-a:16570", flags));
        }
        assertEquals("ferry+tls://host-a.example.com:16570",
                prepareNames("ferry+tls://host-a.example.com:16570", "ferry+tls://10.0.0.5:16570", LIVE));
        assertEquals("ferry+tls://10.0.0.1:16570",
                prepareNames("ferry+tls://10.0.0.1:16570", "ferry+tls://localhost:16570", LIVE));
        // Begin names none: a source daemon of an earlier build
        assertEquals("ferry+tls://host-a.example:16570", prepareNames("ferry+tls://host-a.example:16570", null, LIVE));
    }

    /** A loopback name reaches the source from the driver's host alone: Begin's, for both protocol versions. */
    @Test
    public void prepareNamesTheAddressBeginNamedWhenTheDriversIsALoopbackOne() throws Exception {
        for (String driverUri : List.of("ferry+tls://localhost:16570", "ferry+tls://127.0.0.1:16570",
                "ferry+tls://[::1]:16570", "ferry+tls://localhost.localdomain:16570",
                "ferry+tls://host-a.localhost:16570")) {
            for (MigrationFlags flags : List.of(LIVE, LIVE.withV2())) {
                assertEquals(driverUri + " " + flags, "ferry+tls://host-a:16570",
                        prepareNames(driverUri, "ferry+tls://host-a:16570", flags));
            }
        }
        // both on the host's loopback: the address the source daemon listens at
        assertEquals("ferry+tcp://127.0.0.1:16571",
                prepareNames("ferry+tcp://localhost:16571", "ferry+tcp://127.0.0.1:16571", LIVE));
        // Begin names none (a source daemon of an earlier build): the driver's, the only one there is
        assertEquals("ferry+tls://localhost:16570", prepareNames("ferry+tls://localhost:16570", null, LIVE));
    }

    /** The driver names the source by the destination's own address (a tunnel's port, a proxy): Begin's. */
    @Test
    public void prepareNamesTheAddressBeginNamedWhenTheDriversIsTheDestinations() throws Exception {
        for (MigrationFlags flags : List.of(LIVE, LIVE.withV2())) {
            assertEquals(flags.toString(), "ferry+tls://host-a:16570",
                    prepareNames(DESTINATION, "ferry+tls://host-a:16570", flags));
        }
        assertEquals("the host and port as given, the scheme aside", "ferry+tls://host-a:16570",
                prepareNames("ferry+tcp://HOST-B:16570", "ferry+tls://host-a:16570", LIVE));
        assertEquals("another port of the destination's host is another daemon", "ferry+tls://host-b:16571",
                prepareNames("ferry+tls://host-b:16571", "ferry+tls://host-a:16570", LIVE));
        // Begin names a loopback one: the destination's own loopback, no better than the driver's
        assertEquals(DESTINATION, prepareNames(DESTINATION, "ferry+tls://localhost:16570", LIVE));
    }

    @Test
    public void loopbackAddressesAreToldWithoutAResolver() {
        for (String uri : List.of("ferry+tcp://localhost:1", "ferry+tls://LOCALHOST:1", "ferry+tcp://127.0.0.1:1",
                "ferry+tcp://127.1.2.3:1", "ferry+tls://[::1]:1", "ferry+tls://[0:0:0:0:0:0:0:1]:1",
                "ferry+tls://localhost.localdomain:1", "ferry+tls://host-a.localhost:1", "ferry+tls://a.LocalHost.:1",
                "ferry+tls://localhost.:1", "ferry+tcp://0.0.0.0:1", "ferry+tls://[::]:1")) {
            assertTrue(uri, SourceAddress.loopback(uri));
        }
        for (String uri : List.of("ferry+tls://host-a:1", "ferry+tls://127.example:1", "ferry+tls://10.0.0.1:1",
                "ferry+tls://[fe80::1]:1", "not a uri", "test://source", "ferry+tls://localhost.example:1",
                "ferry+tls://mylocalhost:1", "ferry+tls://localhost.localdomain.example:1")) {
            assertFalse(uri, SourceAddress.loopback(uri));
        }
    }

    @Test
    public void begunCarriesTheAddress() throws Exception {
        Begun begun = new Begun("m1", "k".repeat(64), "<domain/>", null, List.of(), false, "ferry+tls://host-a:16570");
        String xml = begun.toXml();

        assertTrue(xml, xml.contains("source='ferry+tls://host-a:16570'"));
        assertEquals(begun, Begun.fromXml(Xml.of(ControlClient.parse(xml))));
    }

    /**
     * A source of an earlier build sends none; an earlier driver passes over it, as this one does an attribute it does
     * not know (its Begun is read by the same attribute look-ups).
     */
    @Test
    public void begunReadsWithoutTheAddressAndPassesOverWhatItDoesNotKnow() throws Exception {
        String key = "k".repeat(64);
        Begun older = Begun.fromXml(Xml.of(ControlClient.parse("<begun id='m1' key='" + key + "'><domain>d</domain>"
                + "</begun>")));
        Begun later = Begun.fromXml(Xml.of(ControlClient.parse("<begun id='m1' key='" + key + "' later='x'/>")));

        assertNull(older.sourceUri());
        assertEquals("m1", later.id());
    }
}
