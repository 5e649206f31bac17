package io.ferry.driver.qemu;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import io.ferry.api.hypervisor.DomainSpec;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
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
    private static final Path SCHEMA = Path.of("/usr/share/openvswitch/vswitch.ovsschema");

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    private final String suffix = Integer.toString(ThreadLocalRandom.current().nextInt(1000, 9999));
    private final List<Process> servers = new ArrayList<>();
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
        for (Process server : servers) {
            server.destroy();
            server.waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    public void anOpenvswitchNicIsAPortOfItsBridgeWhileTheVmExists() throws Exception {
        String db = ovsdbServer();
        run("ovs-vsctl", "--db=" + db, "--no-wait", "add-br", "br0");
        driver = new QemuDriver("qemu", settings(db));
        String tap = "fqovs" + suffix;
        String nic = "<interface type='bridge'><source bridge='br0'/><virtualport type='openvswitch'/>"
                + "<target dev='" + tap + "'/><model type='virtio'/></interface>";
        DomainSpec spec = Guests.spec(Guests.xml("ovs", UUID.randomUUID(), 32, "0", nic));
        QemuVirtualMachine vm = (QemuVirtualMachine) driver.boot(spec, tmp.newFolder().toPath());

        assertEquals(tap, run("ovs-vsctl", "--db=" + db, "--no-wait", "list-ports", "br0"));
        assertEquals("\"" + spec.uuid() + "\"", run("ovs-vsctl", "--db=" + db, "--no-wait", "get", "Interface", tap,
                "external_ids:vm-uuid"));
        assertTrue("QEMU made the tap", run("ip", "link", "show", tap).contains(tap));
        vm.destroy();
        assertEquals("", run("ovs-vsctl", "--db=" + db, "--no-wait", "list-ports", "br0"));
    }

    @Test
    public void aLinuxBridgeNicJoinsItsBridgeAndAUserNicNeedsNone() throws Exception {
        String bridge = "fqbr" + suffix;
        run("ip", "link", "add", bridge, "type", "bridge");
        links.add(bridge);
        driver = new QemuDriver("qemu", settings(null));
        String tap = "fqtap" + suffix;
        String nics = "<interface type='bridge'><mac address='52:54:00:12:34:01'/><source bridge='" + bridge + "'/>"
                + "<target dev='" + tap + "'/><model type='e1000'/></interface>"
                + "<interface type='user'><model type='virtio'/></interface>";
        QemuVirtualMachine vm = (QemuVirtualMachine) driver.boot(
                Guests.spec(Guests.xml("bridged", UUID.randomUUID(), 32, "0", nics)), tmp.newFolder().toPath());

        assertTrue(run("ip", "link", "show", tap).contains("master " + bridge));
        String info = vm.execute("human-monitor-command", Qmp.JSON.createObjectNode().put("command-line", "info network"))
                .asText();
        assertTrue(info, info.contains("macaddr=52:54:00:12:34:01") && info.contains("user"));
        vm.destroy();
        assertFalse("the tap goes with QEMU", run("ip", "-o", "link", "show").contains(tap));
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

    private QemuSettings settings(String ovsdb) {
        QemuSettings base = Guests.settings(state);
        return new QemuSettings(base.emulator(), base.firstPort(), base.lastPort(), base.progressTimeoutMillis(),
                base.quitTimeoutMillis(), base.commandTimeoutMillis(), base.logDir(), ovsdb);
    }

    /** A real ovsdb-server on a fresh database; returns its {@code unix:} address. */
    private String ovsdbServer() throws Exception {
        assertTrue("Open vSwitch's schema " + SCHEMA + " is missing (apt-get install openvswitch-switch)",
                Files.isReadable(SCHEMA));
        Path dir = tmp.newFolder("ovs").toPath();
        run("ovsdb-tool", "create", dir.resolve("conf.db").toString(), SCHEMA.toString());
        Path socket = dir.resolve("db.sock");
        servers.add(new ProcessBuilder("ovsdb-server", dir.resolve("conf.db").toString(), "--remote=punix:" + socket,
                "--unixctl=" + dir.resolve("ctl"), "--pidfile=" + dir.resolve("pid"))
                .redirectErrorStream(true).redirectOutput(dir.resolve("out").toFile()).start());
        assertTrue("ovsdb-server listens", Guests.eventually(() -> Files.exists(socket)));
        run("ovs-vsctl", "--db=unix:" + socket, "--no-wait", "init");
        return "unix:" + socket;
    }

    /** Runs a host command to its end; returns its output without the final line end. */
    private Path outputs;

    private String run(String... command) throws Exception {
        if (outputs == null) {
            outputs = tmp.newFolder("out").toPath();
        }
        Path out = Files.createTempFile(outputs, "cmd", ".out");
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        assertTrue(String.join(" ", command) + " finishes", process.waitFor(30, TimeUnit.SECONDS));
        String output = Files.readString(out, StandardCharsets.UTF_8).strip();
        assertEquals(String.join(" ", command) + ": " + output, 0, process.exitValue());
        return output;
    }
}
