package io.ferry.driver.qemu;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.api.hypervisor.HypervisorException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.After;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * Devices with real QEMU and real host networking: an openvswitch NIC's tap becomes a port of its bridge in a
 * real ovsdb-server (database only, {@code --no-wait}), a Linux bridge NIC's tap joins its bridge, a user-mode
 * NIC, disks (raw and qcow2), and graphics servers whose ports the VM reports.
 */
public class QemuDevicesTest {
    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    private final String suffix = Integer.toString(ThreadLocalRandom.current().nextInt(1000, 9999));
    private TestOvsdb ovsdb;
    private final List<String> links = new ArrayList<>();
    private Path state;
    private QemuDriver driver;

    @Before
    public void setUp() throws Exception {
        state = tmp.newFolder("state").toPath();
    }

    @After
    public void tearDown() throws Exception {
        if (driver != null) {
            driver.vms().forEach(QemuVirtualMachine::destroy);
        }
        for (String link : links) {
            run("ip", "link", "del", link);
        }
        if (ovsdb != null) {
            ovsdb.close();
        }
    }

    @Test
    public void anOpenvswitchNicIsAPortOfItsBridgeWhileTheVmExists() throws Exception {
        driverWithBr0();
        String tap = "fqovs" + suffix;
        DomainSpec spec = Guests.spec(Guests.xml("ovs", UUID.randomUUID(), 32, "0", ovsNic(tap)));
        QemuVirtualMachine vm = (QemuVirtualMachine) driver.boot(spec, tmp.newFolder().toPath());

        assertEquals(tap, ovsdb.vsctl("list-ports", "br0"));
        assertEquals("\"" + spec.uuid() + "\"", ovsdb.vsctl("get", "Interface", tap, "external_ids:vm-uuid"));
        assertTrue("QEMU made the tap", run("ip", "link", "show", tap).contains(tap));
        vm.destroy();
        assertEquals("", ovsdb.vsctl("list-ports", "br0"));
    }

    @Test
    public void aVmNamingAnotherVmsPortFailsToStartAndLeavesThePortToItsOwner() throws Exception {
        ovsdb = TestOvsdb.start(tmp.newFolder("ovs").toPath());
        String tap = "fqown" + suffix;
        UUID owner = UUID.randomUUID();
        ovsdb.vsctl("add-br", "br0", "--", "add-port", "br0", tap, "--", "set", "Interface", tap,
                "external_ids:vm-uuid=" + owner); // a VM of another daemon on this host, or whose tap has gone
        driver = new QemuDriver("qemu", settings(ovsdb.db()));
        DomainSpec spec = Guests.spec(Guests.xml("intruder", UUID.randomUUID(), 32, "0", ovsNic(tap)));

        HypervisorException e = assertThrows(HypervisorException.class, () -> driver.boot(spec, tmp.newFolder().toPath()));
        assertTrue(e.getMessage(), e.getMessage().contains(tap) && e.getMessage().contains(owner.toString()));
        assertEquals(List.of(), driver.vms());
        assertEquals(tap, ovsdb.vsctl("list-ports", "br0"));
        assertEquals("\"" + owner + "\"", ovsdb.vsctl("get", "Interface", tap, "external_ids:vm-uuid"));
    }

    /**
     * A start that fails half-way through plugging (the second NIC's Linux bridge does not exist) removes the switch
     * port it had added for the first, and its QEMU: a port left in the OVSDB would name a guest that never ran.
     */
    @Test
    public void aStartWhoseSecondNicCannotJoinItsBridgeRemovesThePortOfTheFirst() throws Exception {
        driverWithBr0();
        String bridgeTap = "fqnobr" + suffix;
        String nics = ovsNic("fqhalf" + suffix) + "<interface type='bridge'><source bridge='fqmissing" + suffix + "'/>"
                + "<target dev='" + bridgeTap + "'/><model type='virtio'/></interface>";
        DomainSpec spec = Guests.spec(Guests.xml("half", UUID.randomUUID(), 32, "0", nics));

        HypervisorException e = assertThrows(HypervisorException.class, () -> driver.boot(spec, tmp.newFolder().toPath()));

        assertTrue(e.getMessage(), e.getMessage().startsWith("cannot start domain 'half': ")
                && e.getMessage().contains("fqmissing" + suffix));
        assertEquals("ports left on br0", "", ovsdb.vsctl("list-ports", "br0"));
        assertEquals(List.of(), driver.vms());
        assertTrue("the taps go with the killed QEMU",
                Guests.eventually(() -> !run("ip", "-o", "link", "show").contains(bridgeTap)));
    }

    @Test
    public void aLinuxBridgeNicJoinsItsBridgeWhetherItNamesItsTapOrNotAndAUserNicNeedsNone() throws Exception {
        String bridge = "fqbr" + suffix;
        run("ip", "link", "add", bridge, "type", "bridge");
        links.add(bridge);
        driver = new QemuDriver("qemu", settings(null));
        String tap = "fqtap" + suffix;
        String nics = "<interface type='bridge'><mac address='52:54:00:12:34:01'/><source bridge='" + bridge + "'/>"
                + "<target dev='" + tap + "'/><model type='e1000'/></interface>"
                + "<interface type='user'><model type='virtio'/></interface>"
                + "<interface type='bridge'><source bridge='" + bridge + "'/><model type='virtio'/></interface>";
        UUID uuid = UUID.randomUUID();
        QemuVirtualMachine vm = (QemuVirtualMachine) driver.boot(
                Guests.spec(Guests.xml("bridged", uuid, 32, "0", nics)), tmp.newFolder().toPath());

        assertTrue(run("ip", "link", "show", tap).contains("master " + bridge));
        String unnamed = "fe" + uuid.toString().substring(0, 8) + "n2"; // no target dev: the name every host gives it
        assertTrue(run("ip", "link", "show", unnamed).contains("master " + bridge));
        String info = vm.execute("human-monitor-command", Qmp.JSON.createObjectNode().put("command-line", "info network"))
                .asText();
        assertTrue(info, info.contains("macaddr=52:54:00:12:34:01") && info.contains("user"));
        vm.destroy();
        assertFalse("the tap goes with QEMU", run("ip", "-o", "link", "show").contains(tap));
        assertFalse("the tap goes with QEMU", run("ip", "-o", "link", "show").contains(unnamed));
    }

    @Test
    public void disksAndGraphicsAreThere() throws Exception {
        driver = new QemuDriver("qemu", settings(null));
        Path raw = Files.write(tmp.newFile("a.raw").toPath(), new byte[1 << 20]);
        Path qcow2 = tmp.getRoot().toPath().resolve("b.qcow2");
        run("qemu-img", "create", "-q", "-f", "qcow2", qcow2.toString(), "8M");
        String devices = "<disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='" + raw + "'/>"
                + "<target dev='vda' bus='virtio'/></disk>"
                + "<disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='" + qcow2 + "'/>"
                + "<target dev='vdb' bus='virtio'/><readonly/></disk>"
                + "<graphics type='vnc' autoport='yes' listen='127.0.0.1'/>"
                + "<graphics type='spice' autoport='yes' listen='127.0.0.1'/>";
        QemuVirtualMachine vm = (QemuVirtualMachine) driver.boot(
                Guests.spec(Guests.xml("disks", UUID.randomUUID(), 32, "0", devices)), tmp.newFolder().toPath());

        String blocks = vm.execute("query-block", null).toString();
        assertTrue(blocks, blocks.contains("\"drv\":\"raw\"") && blocks.contains("\"drv\":\"qcow2\"")
                && blocks.contains("\"ro\":true"));
        List<DomainSpec.Graphics> listeners = vm.graphicsListeners();
        assertEquals(2, listeners.size());
        assertEquals("vnc", listeners.get(0).type());
        assertTrue(listeners.get(0).port() >= 5900);
        assertEquals("spice", listeners.get(1).type());
        assertTrue(listeners.get(1).port() > 0);
    }

    /**
     * A VNC server listening on 'unix' was QEMU's {@code -vnc unix:1}: a unix socket '1', which QEMU unlinked and bound
     * as root in its working directory (ferryd's: / under systemd). Refused before QEMU starts.
     */
    @Test
    public void aVncServerOnAUnixSocketIsRefusedBeforeQemuStarts() throws Exception {
        driver = new QemuDriver("qemu", settings(null));
        Path runDir = tmp.newFolder().toPath();
        String devices = "<graphics type='vnc' port='5901' listen='unix'/>";
        HypervisorException e = assertThrows(HypervisorException.class, () -> driver.boot(
                Guests.spec(Guests.xml("unix", UUID.randomUUID(), 32, "0", devices)), runDir));
        assertEquals("invalid graphics listen address 'unix' in domain/devices/graphics: QEMU reads 'unix:' as a unix"
                + " socket's path, which it creates as root: an IP address or a host name", e.getMessage());
        assertFalse("no socket '1'", Files.exists(runDir.resolve("1")));
        assertTrue("no QEMU was started", driver.vms().isEmpty());
    }

    private QemuSettings settings(String db) {
        QemuSettings base = Guests.settings(state);
        return new QemuSettings(base.emulator(), base.firstPort(), base.lastPort(), base.progressTimeoutMillis(),
                base.quitTimeoutMillis(), base.commandTimeoutMillis(), base.logDir(), db);
    }

    /** Runs a host command to its end; returns its output without the final line end. */
    private Path outputs;

    /** An ovsdb-server whose database has the bridge br0, and a driver that plugs into it. */
    private void driverWithBr0() throws Exception {
        ovsdb = TestOvsdb.start(tmp.newFolder("ovs").toPath());
        ovsdb.vsctl("add-br", "br0");
        driver = new QemuDriver("qemu", settings(ovsdb.db()));
    }

    /** A virtio NIC whose tap {@code tap} is a port of the openvswitch bridge br0. */
    private static String ovsNic(String tap) {
        return "<interface type='bridge'><source bridge='br0'/><virtualport type='openvswitch'/>"
                + "<target dev='" + tap + "'/><model type='virtio'/></interface>";
    }

    private String run(String... command) throws Exception {
        if (outputs == null) {
            outputs = tmp.newFolder("out").toPath();
        }
        return Guests.run(outputs, command);
    }
}
