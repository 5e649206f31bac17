package io.ferry.e2e;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import org.junit.BeforeClass;
import org.junit.Test;

/**
 * Open vSwitch port data follows the VM (libvirt's network cookie section): each host has its own OVSDB, the
 * embedded driver plugs the VM's openvswitch NIC into br0 when it starts, the source reads the port's
 * external_ids:PortData after the VM paused, and the destination writes it on its own port before the VM resumes,
 * for every openvswitch NIC.
 */
public class OvsPortDataIT {
    /** As ovs-vsctl prints it: quoted, since the value has a space. */
    private static final String PORT_DATA = "\"flow=42 tunnel=vxlan-7\"";

    @BeforeClass
    public static void needsOpenVswitch() {
        // a test whose component is missing fails, never skips: .ci/run installs Open vSwitch
        org.junit.Assert.assertTrue("ovsdb-server, ovsdb-tool and ovs-vsctl are not installed (.ci/run installs them)",
                OvsdbServer.available());
    }

    private static SimDomain domain(String name, String uuid) {
        return SimDomain.idle(name, 16).withUuid(uuid).dirtying(200).withDevices(
                "<interface type='bridge'><mac address='52:54:00:12:34:56'/><source bridge='br0'/>"
                        + "<virtualport type='openvswitch'/></interface>"
                        + "<interface type='bridge'><mac address='52:54:00:12:34:57'/><source bridge='br1'/>"
                        + "<virtualport type='midonet'/></interface>"
                        + "<interface type='bridge'><mac address='52:54:00:12:34:58'/><source bridge='br0'/>"
                        + "<virtualport type='openvswitch'/><target dev='" + namedIface(uuid) + "'/></interface>");
    }

    /** The third NIC's interface, which its definition names. */
    private static String namedIface(String uuid) {
        return "vo" + uuid.substring(0, 8);
    }

    /** The host-side name of the domain's first NIC, as DomainSpec.Nic#hostInterface makes it on every host. */
    private static String iface(String uuid) {
        return "fe" + uuid.substring(0, 8) + "n0";
    }

    private static Path leases() throws Exception {
        return Files.createDirectories(Installation.WORK.resolve("leases-ovs-" + System.nanoTime()));
    }

    @Test
    public void portDataMovesToTheDestinationsPortOfTheSameNic() throws Exception {
        String leases = leases().toString();
        String uuid = UUID.randomUUID().toString();
        try (OvsdbServer ovsA = OvsdbServer.start("a"); OvsdbServer ovsB = OvsdbServer.start("b")) {
            ovsA.vsctl("add-br", "br0");
            ovsB.vsctl("add-br", "br0");
            try (DaemonProcess a = DaemonProcess.start("ovs-a", "--lease-dir", leases, "--ovsdb", ovsA.db());
                    DaemonProcess b = DaemonProcess.start("ovs-b", "--lease-dir", leases, "--ovsdb", ovsB.db())) {
                a.boot(domain("ovs-vm", uuid));
                assertEquals("plugged on start", iface(uuid) + "\n" + namedIface(uuid), ovsA.vsctl("list-ports", "br0"));
                assertEquals("\"" + uuid + "\"", ovsA.vsctl("get", "Interface", iface(uuid), "external_ids:vm-uuid"));
                ovsA.vsctl("set", "Interface", iface(uuid), "external_ids:PortData=" + PORT_DATA);
                ovsA.vsctl("set", "Interface", namedIface(uuid), "external_ids:PortData=second");

                a.ferryOk("migrate", "--live", "ovs-vm", b.url());

                assertEquals(PORT_DATA, ovsB.vsctl("get", "Interface", iface(uuid), "external_ids:PortData"));
                assertEquals("second", ovsB.vsctl("get", "Interface", namedIface(uuid), "external_ids:PortData"));
                assertEquals("\"" + uuid + "\"", ovsB.vsctl("get", "Interface", iface(uuid), "external_ids:vm-uuid"));
                assertEquals("unplugged when the source's VM went", "", ovsA.vsctl("list-ports", "br0"));
                assertTrue(b.log(), b.log().contains("port data of interface 0 written on " + iface(uuid)));
                assertTrue(b.log(), b.log().contains("port data of interface 2 written on " + namedIface(uuid)));
                assertFalse(b.log(), b.log().contains("WARN  io.ferry.section"));
            }
        }
    }

    @Test
    public void aDestinationWithoutOvsWarnsAndTheMigrationSucceeds() throws Exception {
        String leases = leases().toString();
        String uuid = UUID.randomUUID().toString();
        try (OvsdbServer ovsA = OvsdbServer.start("c")) {
            ovsA.vsctl("add-br", "br0");
            try (DaemonProcess a = DaemonProcess.start("ovs-c", "--lease-dir", leases, "--ovsdb", ovsA.db());
                    DaemonProcess b = DaemonProcess.start("ovs-d", "--lease-dir", leases)) {
                a.boot(domain("ovs-vm2", uuid));
                ovsA.vsctl("set", "Interface", iface(uuid), "external_ids:PortData=" + PORT_DATA);

                a.ferryOk("migrate", "--live", "ovs-vm2", b.url());

                assertTrue(b.domainXml("ovs-vm2"), b.domainXml("ovs-vm2").contains("running"));
                assertTrue(b.log(), b.log().contains("network: interface 0 has no Open vSwitch port on this host"));
            }
        }
    }
}
