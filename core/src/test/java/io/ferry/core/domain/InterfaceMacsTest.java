package io.ferry.core.domain;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import io.ferry.api.hypervisor.DomainSpec;
import java.nio.file.Files;
import java.util.List;
import java.util.UUID;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * An interface defined without a MAC address gets one, as libvirt's define gives it, and keeps it: QEMU would give the
 * first NIC of every guest 52:54:00:12:34:56, so two guests on one bridge shared an address.
 */
public class InterfaceMacsTest {
    private static final String GENERATED = "52:54:00:[0-9a-f]{2}:[0-9a-f]{2}:[0-9a-f]{2}";

    @Rule
    public TemporaryFolder folder = new TemporaryFolder();

    private static String vm(String name, String interfaces) {
        return "<domain type='sim'>\n  <name>" + name + "</name>\n  <uuid>" + UUID.randomUUID() + "</uuid>\n"
                + "  <memory unit='MiB'>16</memory>\n  <devices>\n" + interfaces + "  </devices>\n</domain>\n";
    }

    private static List<String> macs(DomainSpec spec) {
        return spec.nics().stream().map(DomainSpec.Nic::mac).toList();
    }

    @Test
    public void defineGivesEachInterfaceWithoutAnAddressOneAndTheStoredDefinitionKeepsIt() throws Exception {
        TestHost host = new TestHost(folder.getRoot().toPath());
        String interfaces = "    <interface type='bridge'>\n      <source bridge='br0'/>\n    </interface>\n"
                + "    <interface type='bridge'>\n      <mac address='52:54:00:aa:bb:cc'/>\n    </interface>\n"
                + "    <interface type='user'><mac/></interface>\n"
                + "    <interface type='user'/>\n";
        DomainSpec defined = host.manager.define(vm("vm1", interfaces)).persistent();

        List<String> macs = macs(defined);
        assertEquals(4, macs.size());
        assertTrue(macs.toString(), macs.get(0).matches(GENERATED));
        assertEquals("52:54:00:aa:bb:cc", macs.get(1));
        assertTrue(macs.toString(), macs.get(2).matches(GENERATED) && macs.get(3).matches(GENERATED));
        assertEquals("one address each", 4, macs.stream().distinct().count());
        String stored = Files.readString(host.file("domains", "vm1.xml"));
        assertTrue(stored, stored.contains("<interface type='bridge'>\n      <mac address='" + macs.get(0) + "'/>\n"
                + "      <source bridge='br0'/>"));
        assertTrue(stored, stored.contains("<interface type='user'>\n      <mac address='" + macs.get(3) + "'/>\n"));

        host.restart();
        assertEquals(macs, macs(host.manager.get("vm1").persistent()));
    }

    @Test
    public void twoDomainsDefinedAlikeGetTwoAddresses() throws Exception {
        TestHost host = new TestHost(folder.getRoot().toPath());
        String nic = "    <interface type='user'/>\n";
        String first = host.manager.define(vm("vm1", nic)).persistent().nics().get(0).mac();
        String second = host.manager.define(vm("vm2", nic)).persistent().nics().get(0).mac();
        assertTrue(first, first.matches(GENERATED));
        assertNotEquals(first, second);
    }

    /**
     * A definition read as it is (stored, brought by a migration, given with --xml) keeps an interface without an
     * address as it is: a guest defined before this runs with the address QEMU gave it, and keeps it when it moves.
     */
    @Test
    public void aDefinitionReadAsItIsGainsNoAddress() throws Exception {
        TestHost host = new TestHost(folder.getRoot().toPath());
        DomainSpec read = host.manager.parse(vm("vm1", "    <interface type='user'/>\n"));
        assertNull(read.nics().get(0).mac());
        assertFalse(read.xml(), read.xml().contains("<mac"));
    }
}
