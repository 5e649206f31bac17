package io.ferry.e2e;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import org.junit.BeforeClass;
import org.junit.Test;

/**
 * One VM with everything Ferry's shipped sections carry: two NICs (one Open vSwitch port with port data, one
 * without), VNC graphics with a connected client, two leased disks and a three-level snapshot tree, migrated
 * live between two daemons that each have their own OVSDB. The destination ends with all of it.
 */
public class EverythingMigratesIT {
    private static final String PORT_DATA = "\"flow=7 tenant=blue\"";

    @BeforeClass
    public static void needsOpenVswitch() {
        // a test whose component is missing fails, never skips: .ci/run installs Open vSwitch
        org.junit.Assert.assertTrue("ovsdb-server, ovsdb-tool and ovs-vsctl are not installed (.ci/run installs them)",
                OvsdbServer.available());
    }

    @Test
    public void theDestinationHasTheVmsPortsGraphicsLeasesAndSnapshots() throws Exception {
        String uuid = UUID.randomUUID().toString();
        String name = "full-vm";
        String nic = "fe" + uuid.substring(0, 8) + "n0";
        Path leases = Files.createDirectories(Installation.WORK.resolve("leases-full-" + System.nanoTime()));
        String devices = "<disk type='file' device='disk'><source file='/images/" + uuid + "-0.img'/><target dev='vda'/></disk>"
                + "<disk type='file' device='disk'><source file='/images/" + uuid + "-1.img'/><target dev='vdb'/></disk>"
                + "<interface type='bridge'><mac address='52:54:00:aa:00:01'/><source bridge='br0'/>"
                + "<virtualport type='openvswitch'/></interface>"
                + "<interface type='bridge'><mac address='52:54:00:aa:00:02'/><source bridge='br1'/></interface>"
                + "<graphics type='vnc' port='-1' autoport='yes' listen='127.0.0.1'/>";
        try (OvsdbServer ovsA = OvsdbServer.start("fa"); OvsdbServer ovsB = OvsdbServer.start("fb")) {
            ovsA.vsctl("add-br", "br0");
            ovsB.vsctl("add-br", "br0");
            try (DaemonProcess a = DaemonProcess.start("full-a", "--lease-dir", leases.toString(), "--ovsdb", ovsA.db());
                    DaemonProcess b = DaemonProcess.start("full-b", "--lease-dir", leases.toString(), "--ovsdb", ovsB.db())) {
                a.boot(SimDomain.idle(name, 16).withUuid(uuid).dirtying(200).withDevices(devices));
                ovsA.vsctl("set", "Interface", nic, "external_ids:PortData=" + PORT_DATA);
                for (String snapshot : new String[] {"root", "child", "grandchild"}) {
                    a.ferryOk("snapshot-create-as", name, snapshot, "--description", "level " + snapshot);
                }
                String tree = a.ferryOk("snapshot-list", name, "--tree").out();
                GraphicsRelocationIT.Client client = new GraphicsRelocationIT.Client(a.graphicsPort(name, "vnc"));
                client.start();
                Poll.until("the source's greeting", () -> ("FERRY-SIM vnc " + name).equals(client.greeting));

                a.ferryOk("migrate", "--live", "--persistent", name, b.url());

                assertTrue(b.dominfo(name).get("State").startsWith("running"));
                assertEquals("yes", b.dominfo(name).get("Persistent"));
                assertEquals(PORT_DATA, ovsB.vsctl("get", "Interface", nic, "external_ids:PortData"));
                assertEquals("", ovsA.vsctl("list-ports", "br0"));
                int destinationPort = b.graphicsPort(name, "vnc");
                Poll.until("the client to reach the destination's graphics",
                        () -> client.connectedPort == destinationPort && ("FERRY-SIM vnc " + name).equals(client.greeting));
                assertEquals(tree, b.ferryOk("snapshot-list", name, "--tree").out());
                assertEquals("grandchild\n", b.ferryOk("snapshot-current", name, "--name").out());
                assertTrue(b.ferryOk("snapshot-dumpxml", name, "child").out().contains("<parent>"));
                Installation.Result again = a.ferry("start", name);
                assertEquals(again.toString(), 1, again.exit());
                assertTrue(again.err(), again.err().contains("is held by full-b"));
                client.close();
            }
        }
    }
}
