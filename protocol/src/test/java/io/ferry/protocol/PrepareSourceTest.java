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
 * The source address a driver's Prepare names, where the destination fetches the side streams: the one the source
 * daemon's Begin named, its own, not the driver's name for it (an operator's localhost), unless that is all there is.
 */
public class PrepareSourceTest {
    private static final MigrationFlags LIVE = new MigrationFlags(true, false, false, false, false, false, false);

    /** The source address the driver's Prepare names, the driver knowing the source by {@code driverUri}. */
    private static String prepareNames(String driverUri, String ownUri, MigrationFlags flags) throws Exception {
        ScriptedPeer source = new ScriptedPeer(driverUri, Set.of(2, 3));
        source.ownUri = ownUri;
        ScriptedPeer destination = new ScriptedPeer("ferry+tls://host-b:16570", Set.of(2, 3));
        new MigrationDriver(MigrationDriver.Listener.NONE, Duration.ofMillis(10), 0).run(source, destination,
                new Migrate("vm", destination.uri(), flags, null, null, 0));
        assertEquals(1, destination.prepareSources.size());
        return destination.prepareSources.get(0);
    }

    @Test
    public void prepareNamesTheAddressTheSourcesBeginNamed() throws Exception {
        for (MigrationFlags flags : List.of(LIVE, LIVE.withV2())) {
            assertEquals(flags.toString(), "ferry+tls://host-a:16570",
                    prepareNames("ferry+tls://localhost:16570", "ferry+tls://host-a:16570", flags));
        }
    }

    /**
     * The driver's own address for the source: when its Begin named none (a source daemon of an earlier build), or a
     * loopback one, which reaches it from its own host alone, while the driver's is not.
     */
    @Test
    public void prepareNamesTheDriversAddressWhenBeginNamedNoneOrALoopbackOne() throws Exception {
        assertEquals("ferry+tls://host-a.example:16570", prepareNames("ferry+tls://host-a.example:16570", null, LIVE));
        assertEquals("ferry+tls://10.0.0.1:16570",
                prepareNames("ferry+tls://10.0.0.1:16570", "ferry+tls://localhost:16570", LIVE));
        // both on the host's loopback: the address the source daemon listens at
        assertEquals("ferry+tcp://127.0.0.1:16571",
                prepareNames("ferry+tcp://localhost:16571", "ferry+tcp://127.0.0.1:16571", LIVE));
    }

    @Test
    public void loopbackAddressesAreToldWithoutAResolver() {
        for (String uri : List.of("ferry+tcp://localhost:1", "ferry+tls://LOCALHOST:1", "ferry+tcp://127.0.0.1:1",
                "ferry+tcp://127.1.2.3:1", "ferry+tls://[::1]:1", "ferry+tls://[0:0:0:0:0:0:0:1]:1")) {
            assertTrue(uri, SourceAddress.loopback(uri));
        }
        for (String uri : List.of("ferry+tls://host-a:1", "ferry+tls://127.example:1", "ferry+tls://10.0.0.1:1",
                "ferry+tls://[fe80::1]:1", "not a uri", "test://source")) {
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
