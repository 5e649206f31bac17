package io.ferry.core.control;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import io.ferry.protocol.ControlClient;
import io.ferry.protocol.Operation;
import io.ferry.protocol.Xml;
import java.util.Map;
import org.junit.Test;

/**
 * snapshot-create-as embeds the domain's definition as it is, as libvirt keeps it. It was re-indented, which changed
 * the text of every multi-line element ("one\ntwo" became "one\n  two") in the snapshot and in every migration that
 * carried it. Read back as a migration's snapshots section reads it: the stored snapshot's XML, from the store's list.
 */
public class SnapshotKeepsItsDefinitionTest {
    private static final String VM = TestChannel.DOMAIN;
    private static final String TEXT = "one\ntwo\n    three\n";

    @Test
    public void theTextOfAMultiLineElementIsKeptExactly() throws Exception {
        TestChannel channel = TestChannel.withOneDomain();
        channel.domains.define("<domain type='sim'><name>" + VM + "</name><uuid>1b4e28ba-2fa1-11d2-883f-0016d3cca427</uuid>"
                + "<description>" + TEXT + "</description><memory unit='KiB'>65536</memory><vcpu>1</vcpu>"
                + "<metadata><note xmlns='urn:x'>a\n  b</note></metadata></domain>");
        String definition = channel.domains.get(VM).current().xml();

        channel.call(Operation.SNAPSHOT_CREATE, Map.of("name", "s1", "description", "before"), VM);
        channel.call(Operation.SNAPSHOT_CREATE, Map.of("name", "s2"), VM);

        for (String name : new String[] {"s1", "s2"}) {
            String snapshot = snapshot(channel, name);
            assertTrue("the definition whole, as defined:\n" + snapshot, snapshot.contains(definition));
            Xml read = Xml.of(ControlClient.parse(snapshot));
            Xml domain = read.children("domain").get(0);
            assertEquals(TEXT, domain.childText("description"));
            assertEquals("a\n  b", domain.children("metadata").get(0).childText("note"));
            assertEquals(name, read.childText("name"));
            assertEquals("shutoff", read.childText("state"));
        }
        Xml first = Xml.of(ControlClient.parse(snapshot(channel, "s1")));
        assertEquals("s1's own description", "before", first.childText("description"));
        assertEquals("s1", channel.snapshots(VM).snapshots().get(1).parent());
    }

    /** The snapshot's XML as stored ({@code SnapshotStore.list}, which the snapshots section streams). */
    private static String snapshot(TestChannel channel, String name) throws Exception {
        return channel.call(Operation.SNAPSHOT_XML, Map.of(), VM, name).xml();
    }
}
