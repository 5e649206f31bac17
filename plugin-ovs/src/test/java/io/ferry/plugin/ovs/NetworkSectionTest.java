package io.ferry.plugin.ovs;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;

import io.ferry.api.cookie.CookieException;
import io.ferry.testkit.Fragments;
import io.ferry.testkit.TestSectionContext;
import java.util.List;
import java.util.Optional;
import org.junit.Test;
import org.w3c.dom.Element;

/** libvirt's {@code <network>} cookie section (qemuMigrationCookieNetworkXMLParse/Format). */
public class NetworkSectionTest {
    private final NetworkSection section = new NetworkSection();

    private Element format(PortData value) {
        Element fragment = Fragments.empty("network");
        section.format(value, fragment);
        return fragment;
    }

    private void assertRefused(String message, String fragment) {
        CookieException e = assertThrows(CookieException.class, () -> section.parse(Fragments.parse(fragment)));
        assertEquals(message, e.getMessage());
    }

    @Test
    public void libvirtsInterfaceParses() throws Exception {
        PortData value = section.parse(Fragments.parse(
                "<network><interface index='0' vporttype='midonet'><portdata>testportdata</portdata></interface></network>"));
        assertEquals(new PortData(List.of(new PortData.Interface(0, "midonet", "testportdata"))), value);
    }

    @Test
    public void indexDefaultsToPositionAndPortDataIsOptional() throws Exception {
        PortData value = section.parse(Fragments.parse("<network><interface vporttype='openvswitch'/><comment/>"
                + "<interface index='7' vporttype='openvswitch'><portdata>p</portdata></interface>"
                + "<interface vporttype='midonet'/></network>"));
        assertEquals(List.of(new PortData.Interface(0, "openvswitch", null), new PortData.Interface(7, "openvswitch", "p"),
                new PortData.Interface(2, "midonet", null)), value.interfaces());
    }

    @Test
    public void emptyNetworkHasNoInterfaces() throws Exception {
        assertEquals(List.of(), section.parse(Fragments.parse("<network/>")).interfaces());
    }

    @Test
    public void indexIsTrimmed() throws Exception {
        assertEquals(3, section.parse(Fragments.parse("<network><interface index=' 3 ' vporttype='v'/></network>")).interfaces().get(0).index());
    }

    @Test
    public void missingVportTypeIsRefused() {
        assertRefused("missing vporttype attribute in migration data", "<network><interface index='0'/></network>");
        assertRefused("missing vporttype attribute in migration data",
                "<network><interface index='0' vporttype='openvswitch'/><interface vporttype=''/></network>");
    }

    @Test
    public void malformedIndexIsRefused() {
        assertRefused("malformed interface index 'eth0' in migration data",
                "<network><interface index='eth0' vporttype='openvswitch'/></network>");
        assertRefused("malformed interface index '' in migration data",
                "<network><interface index='' vporttype='openvswitch'/></network>");
    }

    /**
     * Each NIC's port data comes once: a peer's cookie that names one NIC 50,000 times (about 3 MiB) would otherwise
     * have the destination run ovs-vsctl 50,000 times on that NIC's port, on past the section's time limit.
     */
    @Test
    public void anInterfaceIndexGivenTwiceIsRefused() {
        String same = "<interface index='0' vporttype='openvswitch'><portdata>p</portdata></interface>";
        assertRefused("duplicate interface index 0 in migration data", "<network>" + same.repeat(50_000) + "</network>");
        assertRefused("duplicate interface index 1 in migration data",
                "<network><interface vporttype='midonet'/><interface vporttype='openvswitch'/>"
                        + "<interface index='1' vporttype='openvswitch'/></network>");
    }

    @Test
    public void formatWritesIndexVportTypeAndPortData() {
        Element fragment = format(new PortData(List.of(new PortData.Interface(4, "openvswitch", "data"),
                new PortData.Interface(5, "midonet", null))));
        Element first = (Element) fragment.getElementsByTagName("interface").item(0);
        Element second = (Element) fragment.getElementsByTagName("interface").item(1);
        assertEquals("4", first.getAttribute("index"));
        assertEquals("openvswitch", first.getAttribute("vporttype"));
        assertEquals("data", first.getElementsByTagName("portdata").item(0).getTextContent());
        assertEquals("5", second.getAttribute("index"));
        assertFalse(second.hasChildNodes());
    }

    @Test
    public void formatThenParseIsIdentity() throws Exception {
        for (PortData value : List.of(
                new PortData(List.of()),
                new PortData(List.of(new PortData.Interface(0, "openvswitch", "a<b>&'\""))),
                new PortData(List.of(new PortData.Interface(3, "midonet", null), new PortData.Interface(1, "openvswitch", "x"))))) {
            assertEquals(value, section.parse(format(value)));
        }
    }

    @Test
    public void bakeHasNothingToSayWithoutASwitch() throws Exception {
        assertEquals(Optional.empty(), section.bake(new TestSectionContext()));
    }
}
