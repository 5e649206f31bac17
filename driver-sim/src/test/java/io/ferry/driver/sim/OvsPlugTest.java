package io.ferry.driver.sim;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.api.host.ProcessRunner;
import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.api.hypervisor.HypervisorException;
import io.ferry.api.hypervisor.VirtualMachine;
import io.ferry.plugin.ovs.NetworkSection;
import io.ferry.plugin.ovs.PortData;
import io.ferry.process.BoundedProcessRunner;
import io.ferry.testkit.TestSectionContext;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.After;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * openvswitch NICs are plugged into their bridge in a real ovsdb-server when a VM starts or arrives, and
 * unplugged when it goes; a port is its VM's ({@code external_ids:vm-uuid}): a VM whose definition names another
 * VM's interface (a peer's Prepare can) neither takes the port over nor removes it. The network section reads and
 * writes the port data of the ports plugged so.
 */
public class OvsPlugTest {
    private static final UUID UUID_A = UUID.fromString("0a1b2c3d-0000-4000-8000-000000000001");
    private static final UUID UUID_B = UUID.fromString("0b1b2c3d-0000-4000-8000-000000000002");
    /** What the core offers the driver in a framework; one for the whole test run, as a daemon has one. */
    private static final ProcessRunner PROCESSES = new BoundedProcessRunner();

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();
    @Rule
    public final TestHypervisor sim = new TestHypervisor();
    private final SimHypervisor hypervisor = sim.hypervisor;
    private TestOvsdb ovsdb;

    @Before
    public void startOvsdb() throws Exception {
        ovsdb = TestOvsdb.start(PROCESSES, tmp.newFolder("ovs").toPath());
        ovsdb.vsctl("add-br", "br0");
        hypervisor.useOvs(OvsPorts.of(PROCESSES, ovsdb.db()));
    }

    @After
    public void stopOvsdb() throws Exception {
        ovsdb.close();
    }

    /** NIC 0 on br0 with a generated name, NIC 1 on a Linux bridge, NIC 2 named {@code target} on {@code bridge}. */
    private static DomainSpec spec(String name, UUID uuid, String bridge, String target) {
        return new DomainSpec(name, uuid, "sim", 4 * Sim.MIB_KIB, 1, List.of(), List.of(
                new DomainSpec.Nic(0, "bridge", null, "br0", "openvswitch", null),
                new DomainSpec.Nic(1, "bridge", null, "br1", null, null),
                new DomainSpec.Nic(2, "bridge", null, bridge, "openvswitch", target)), List.of(), "<domain/>");
    }

    private static DomainSpec vmA() {
        return spec("a", UUID_A, "br0", "vnet7");
    }

    private String owner(String iface) throws Exception {
        return ovsdb.vsctl("get", "Interface", iface, "external_ids:vm-uuid");
    }

    /** The network section of a daemon with this OVSDB, activated as the framework does (its runner, its setting). */
    private NetworkSection networkSection(ProcessRunner processes) throws Exception {
        NetworkSection section = new NetworkSection();
        Field runner = NetworkSection.class.getDeclaredField("processes");
        runner.setAccessible(true);
        runner.set(section, processes);
        Method configure = NetworkSection.class.getDeclaredMethod("configure", NetworkSection.Config.class);
        configure.setAccessible(true);
        configure.invoke(section, Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {NetworkSection.Config.class}, (proxy, method, args) -> ovsdb.db()));
        return section;
    }

    /**
     * The first 8 hex digits of the _uuid of interface {@code iface}: as a record's name, ovs-vsctl takes them (4 or
     * more) for a prefix of that UUID when no row has the name.
     */
    private String uuidPrefixOf(String iface) throws Exception {
        return ovsdb.vsctl("get", "Interface", iface, "_uuid").substring(0, 8);
    }

    /** VM b with two NICs on br0: NIC 0 named {@code first}, NIC 1 with a generated name (fe0b1b2c3dn1). */
    private static DomainSpec hexNamedFirst(String first) {
        return new DomainSpec("b", UUID_B, "sim", 4 * Sim.MIB_KIB, 1, List.of(), List.of(
                new DomainSpec.Nic(0, "bridge", null, "br0", "openvswitch", first),
                new DomainSpec.Nic(1, "bridge", null, "br0", "openvswitch", null)), List.of(), "<domain/>");
    }

    @Test
    public void bootAndIncomingPlugDestroyUnplugs() throws Exception {
        VirtualMachine vm = hypervisor.boot(vmA(), tmp.newFolder("a").toPath());
        assertEquals("fe0a1b2c3dn0\nvnet7", ovsdb.vsctl("list-ports", "br0"));
        assertEquals("\"" + UUID_A + "\"", owner("fe0a1b2c3dn0"));
        assertEquals("\"" + UUID_A + "\"", owner("vnet7"));
        vm.destroy();
        assertEquals("", ovsdb.vsctl("list-ports", "br0"));

        vm = hypervisor.createIncoming(vmA(), tmp.newFolder("b").toPath());
        assertEquals("fe0a1b2c3dn0\nvnet7", ovsdb.vsctl("list-ports", "br0"));
        vm.destroy();
        assertEquals("", ovsdb.vsctl("list-ports", "br0"));
    }

    @Test
    public void aFailedPlugFailsTheStartAndLeavesNoPortNorFiles() throws Exception {
        Path runDir = tmp.newFolder("c").toPath();
        HypervisorException e = assertThrows(HypervisorException.class,
                () -> hypervisor.boot(spec("a", UUID_A, "br9", "vnet7"), runDir));
        assertTrue(e.getMessage(), e.getMessage().endsWith("failed (exit 1): ovs-vsctl: no bridge named br9"));
        assertEquals("NIC 0's port was removed", "", ovsdb.vsctl("list-ports", "br0"));
        assertFalse(Files.exists(runDir.resolve("memory")));
        hypervisor.boot(vmA(), runDir).destroy(); // the run directory was released
    }

    @Test
    public void anotherVmsInterfaceFailsTheStartAndIncomingAndKeepsItsOwner() throws Exception {
        VirtualMachine a = hypervisor.boot(vmA(), tmp.newFolder("a").toPath());
        DomainSpec intruder = spec("b", UUID_B, "br0", "vnet7");

        HypervisorException e = assertThrows(HypervisorException.class,
                () -> hypervisor.boot(intruder, tmp.newFolder("b").toPath()));
        assertEquals("cannot plug interface 2 of domain 'b' into bridge br0: Open vSwitch interface vnet7 exists and is"
                + " another VM's (external_ids:vm-uuid=" + UUID_A + ")", e.getMessage());
        assertThrows(HypervisorException.class, () -> hypervisor.createIncoming(intruder, tmp.newFolder("c").toPath()));
        assertEquals("nothing of b's is left, all of a's is there", "fe0a1b2c3dn0\nvnet7", ovsdb.vsctl("list-ports", "br0"));
        assertEquals("\"" + UUID_A + "\"", owner("vnet7"));
        a.destroy();
        assertEquals("", ovsdb.vsctl("list-ports", "br0"));
    }

    @Test
    public void theUnplugOfAVmThatDidNotStartLeavesAnotherVmsPort() throws Exception {
        hypervisor.boot(vmA(), tmp.newFolder("a").toPath());
        List<String> problems = OvsPorts.of(PROCESSES, ovsdb.db()).unplug(spec("b", UUID_B, "br0", "vnet7"));
        assertEquals("fe0a1b2c3dn0\nvnet7", ovsdb.vsctl("list-ports", "br0"));
        assertEquals("\"" + UUID_A + "\"", owner("vnet7"));
        assertEquals(List.of("Open vSwitch port vnet7 of interface 2 of domain 'b' is left in place: it is another VM's"
                + " (external_ids:vm-uuid=" + UUID_A + ")"), problems);
    }

    @Test
    public void aPortOfNoVmIsRefusedAndLeftInPlace() throws Exception {
        ovsdb.vsctl("add-port", "br0", "vnet7"); // the host's own, or an operator's
        HypervisorException e = assertThrows(HypervisorException.class,
                () -> hypervisor.boot(vmA(), tmp.newFolder("a").toPath()));
        assertTrue(e.getMessage(), e.getMessage().endsWith("Open vSwitch interface vnet7 exists and is no VM's"
                + " (no external_ids:vm-uuid: a port of the host or an operator)"));
        assertEquals("vnet7", ovsdb.vsctl("list-ports", "br0"));
    }

    /**
     * A bond is a port with no interface of its own name ({@code add-bond} makes port bond0 of eth0 and eth1): a NIC
     * naming it finds no interface bond0, and the port is still no VM's, as much as the host's uplink.
     */
    @Test
    public void aBondOfTheHostIsRefusedAndLeftInPlace() throws Exception {
        ovsdb.vsctl("add-br", "br-ex");
        ovsdb.vsctl("add-bond", "br-ex", "bond0", "eth0", "eth1");
        HypervisorException e = assertThrows(HypervisorException.class,
                () -> hypervisor.boot(spec("a", UUID_A, "br0", "bond0"), tmp.newFolder("a").toPath()));
        assertEquals("cannot plug interface 2 of domain 'a' into bridge br0: Open vSwitch interface bond0 exists and is"
                + " no VM's (no external_ids:vm-uuid: a port of the host or an operator)", e.getMessage());
        assertEquals("bond0", ovsdb.vsctl("list-ports", "br-ex"));
        assertEquals("eth0\neth1", ovsdb.vsctl("list-ifaces", "br-ex"));
        assertEquals("nothing of a's is left", "", ovsdb.vsctl("list-ports", "br0"));
    }

    @Test
    public void aVmsPortsArePluggedInOneOvsVsctlRunAndUnpluggedInTwo() throws Exception {
        List<String> runs = new CopyOnWriteArrayList<>();
        OvsPorts ports = OvsPorts.of((label, command, stdin, limit) -> {
            runs.add(label);
            return PROCESSES.run(label, command, stdin, limit);
        }, ovsdb.db());
        ports.plug(vmA());
        assertEquals(runs.toString(), 1, runs.size());
        assertEquals("fe0a1b2c3dn0\nvnet7", ovsdb.vsctl("list-ports", "br0"));
        assertEquals(List.of(), ports.unplug(vmA()));
        assertEquals(runs.toString(), 3, runs.size());
        assertEquals("", ovsdb.vsctl("list-ports", "br0"));
    }

    @Test
    public void theVmsOwnPortsArePluggedAgainBesideANewOne() throws Exception {
        OvsPorts ports = OvsPorts.of(PROCESSES, ovsdb.db());
        ports.plug(vmA());
        ovsdb.vsctl("del-port", "fe0a1b2c3dn0");
        ports.plug(vmA()); // as after a restart: vnet7 is still there and the VM's, NIC 0's is not
        assertEquals("fe0a1b2c3dn0\nvnet7", ovsdb.vsctl("list-ports", "br0"));
        assertEquals("\"" + UUID_A + "\"", owner("fe0a1b2c3dn0"));
        assertEquals("\"" + UUID_A + "\"", owner("vnet7"));
    }

    /**
     * A port the VM's earlier run left (its unplug failed: the OVSDB did not answer, the daemon died first) is plugged
     * afresh when the VM starts or arrives again: what was kept on it (port data the VM had then) is not the VM's now.
     */
    @Test
    public void aPortTheVmLeftBehindIsPluggedAfreshWithoutWhatItKept() throws Exception {
        OvsPorts ports = OvsPorts.of(PROCESSES, ovsdb.db());
        ports.plug(vmA());
        ovsdb.vsctl("set", "Interface", "fe0a1b2c3dn0", "external_ids:PortData=left-behind");
        hypervisor.createIncoming(vmA(), tmp.newFolder("back").toPath()); // the VM comes back to this host
        assertEquals("fe0a1b2c3dn0\nvnet7", ovsdb.vsctl("list-ports", "br0"));
        assertEquals("\"" + UUID_A + "\"", owner("fe0a1b2c3dn0"));
        assertEquals("{vm-uuid=\"" + UUID_A + "\"}", ovsdb.vsctl("get", "Interface", "fe0a1b2c3dn0", "external_ids"));
    }

    @Test
    public void withoutOvsdbNothingRuns() throws Exception {
        hypervisor.useOvs(OvsPorts.of((label, command, stdin, limit) -> {
            throw new AssertionError("ran " + label);
        }, " "));
        hypervisor.boot(vmA(), tmp.newFolder("d").toPath()).destroy();
    }

    /**
     * A sim VM makes no network device: a NIC naming one of this host's ({@code lo} is on every host; eth1 would be the
     * host's card, which ovs-vswitchd takes into the bridge) fails the start and the arrival before any port is added.
     */
    @Test
    public void aDeviceOfTheHostIsRefusedAsAPort() throws Exception {
        DomainSpec loopback = spec("a", UUID_A, "br0", "lo");
        HypervisorException e = assertThrows(HypervisorException.class,
                () -> hypervisor.boot(loopback, tmp.newFolder("a").toPath()));
        assertEquals("cannot plug interface 2 of domain 'a' into bridge br0: lo is a network device of this host"
                + " (/sys/class/net/lo), not the VM's: a sim VM has none, and the port would take its traffic", e.getMessage());
        e = assertThrows(HypervisorException.class, () -> hypervisor.createIncoming(loopback, tmp.newFolder("b").toPath()));
        assertTrue(e.getMessage(), e.getMessage().contains("lo is a network device of this host"));
        assertEquals("nothing of a's was added", "", ovsdb.vsctl("list-ports", "br0"));
        assertEquals("no interface lo", "", ovsdb.vsctl("--columns=name", "find", "Interface", "name=lo"));
        hypervisor.boot(vmA(), tmp.newFolder("c").toPath()).destroy(); // the run directory was released
    }

    @Test
    public void aTargetDevThatIsNoInterfaceNameIsRefused() throws Exception {
        for (String name : List.of("vnet7:0", "../lo", "a-name-of-16-chr")) {
            HypervisorException e = assertThrows(HypervisorException.class,
                    () -> hypervisor.boot(spec("a", UUID_A, "br0", name), tmp.newFolder().toPath()));
            assertEquals("cannot plug interface 2 of domain 'a' into bridge br0: target dev '" + name + "' is no interface"
                    + " name (at most 15 characters of A-Z, a-z, 0-9, '_', '.', '+', '-')", e.getMessage());
        }
        assertEquals("", ovsdb.vsctl("list-ports", "br0"));
    }

    /** An openvswitch NIC without a bridge to be a port of fails the plug before any of the VM's ports is added. */
    @Test
    public void anOpenvswitchNicWithoutABridgeIsRefusedBeforeAnyPortIsAdded() throws Exception {
        DomainSpec noBridge = spec("a", UUID_A, null, "vnet7");
        HypervisorException e = assertThrows(HypervisorException.class, () -> OvsPorts.of(PROCESSES, ovsdb.db()).plug(noBridge));
        assertEquals("interface 2 of domain 'a' has an openvswitch virtualport but no source bridge", e.getMessage());
        assertEquals("", ovsdb.vsctl("list-ports", "br0"));
    }

    /**
     * A VM's interface named by hex digits ({@code <target dev>}, which a peer chooses), whose port an operator removed
     * before Finish: the peer's port data is not written on the interface whose _uuid begins with that name, another
     * VM's (or the host's), and the section does not say it wrote it.
     */
    @Test
    public void portDataIsNotWrittenOnTheInterfaceWhoseUuidTheNameOfAGoneOneBegins() throws Exception {
        hypervisor.boot(vmA(), tmp.newFolder("a").toPath());
        String prefix = uuidPrefixOf("vnet7");
        VirtualMachine b = hypervisor.createIncoming(spec("b", UUID_B, "br0", prefix), tmp.newFolder("b").toPath());
        ovsdb.vsctl("del-port", prefix);
        TestSectionContext finish = new TestSectionContext().domain(b.spec()).vm(b);
        PortData sent = new PortData(List.of(new PortData.Interface(2, "openvswitch", "b-data")));
        networkSection(PROCESSES).eat(finish, sent);
        assertEquals("{vm-uuid=\"" + UUID_A + "\"}", ovsdb.vsctl("get", "Interface", "vnet7", "external_ids"));
        assertEquals(List.of(), finish.info);
        assertEquals(List.of("unable to provide network data for relocation on " + prefix + ": no interface " + prefix
                + " in " + ovsdb.db()), finish.warn);
    }

    /** The NICs read after one whose hex-named interface is gone (as above) keep their port data. */
    @Test
    public void theNicsReadAfterAGoneInterfaceNamedByHexDigitsKeepTheirPortData() throws Exception {
        hypervisor.boot(vmA(), tmp.newFolder("a").toPath());
        ovsdb.vsctl("set", "Interface", "vnet7", "external_ids:PortData=a-data");
        String prefix = uuidPrefixOf("vnet7");
        DomainSpec spec = hexNamedFirst(prefix);
        VirtualMachine b = hypervisor.boot(spec, tmp.newFolder("b").toPath());
        ovsdb.vsctl("set", "Interface", "fe0b1b2c3dn1", "external_ids:PortData=b-data");
        ovsdb.vsctl("del-port", prefix);
        Optional<PortData> baked = networkSection(PROCESSES).bake(new TestSectionContext().domain(spec).vm(b));
        assertEquals(Optional.of(new PortData(List.of(new PortData.Interface(0, "openvswitch", null),
                new PortData.Interface(1, "openvswitch", "b-data")))), baked);
    }

    /**
     * Boots a, plugs b's ports ({@link #hexNamedFirst}, NIC 0 named by the first hex digits of the _uuid of a's vnet7,
     * NIC 1 given port data) and removes NIC 0's, as an operator may; returns NIC 0's name.
     */
    private String plugBWithAGoneHexNamedNic(OvsPorts ports) throws Exception {
        hypervisor.boot(vmA(), tmp.newFolder("a").toPath());
        String prefix = uuidPrefixOf("vnet7");
        ports.plug(hexNamedFirst(prefix));
        ovsdb.vsctl("set", "Interface", "fe0b1b2c3dn1", "external_ids:PortData=left-behind");
        ovsdb.vsctl("del-port", prefix);
        return prefix;
    }

    /**
     * A VM's first NIC named by hex digits (a peer chooses {@code <target dev>}), its port removed by an operator: the
     * owner read does not take the name for a prefix of another VM's interface's _uuid, and the VM's port after it is
     * still found its own and removed, the other VM's ports left alone.
     */
    @Test
    public void theVmsPortAfterAGoneOneNamedByHexDigitsIsUnplugged() throws Exception {
        OvsPorts ports = OvsPorts.of(PROCESSES, ovsdb.db());
        String prefix = plugBWithAGoneHexNamedNic(ports);
        assertEquals(List.of(), ports.unplug(hexNamedFirst(prefix)));
        assertEquals("fe0a1b2c3dn0\nvnet7", ovsdb.vsctl("list-ports", "br0"));
        assertEquals("{vm-uuid=\"" + UUID_A + "\"}", ovsdb.vsctl("get", "Interface", "vnet7", "external_ids"));
    }

    /** As above, the VM's port after the gone one left behind by its earlier run: plugged afresh beside it. */
    @Test
    public void theVmsPortLeftBehindAfterAGoneOneNamedByHexDigitsIsPluggedAgain() throws Exception {
        OvsPorts ports = OvsPorts.of(PROCESSES, ovsdb.db());
        String prefix = plugBWithAGoneHexNamedNic(ports);
        ports.plug(hexNamedFirst(prefix));
        assertEquals(Set.of("fe0a1b2c3dn0", "fe0b1b2c3dn1", prefix, "vnet7"),
                Set.of(ovsdb.vsctl("list-ports", "br0").split("\n")));
        assertEquals("\"" + UUID_B + "\"", owner(prefix));
        assertEquals("{vm-uuid=\"" + UUID_B + "\"}", ovsdb.vsctl("get", "Interface", "fe0b1b2c3dn1", "external_ids"));
        assertEquals("{vm-uuid=\"" + UUID_A + "\"}", ovsdb.vsctl("get", "Interface", "vnet7", "external_ids"));
    }

    /**
     * Port data past ASCII comes back as it went, and ovs-vsctl is given ASCII alone: the JVM passes a command's
     * arguments in the encoding of its locale, ASCII under LANG=C (ferryd's unit sets none), making '?' of the rest.
     */
    @Test
    public void portDataPastAsciiGoesThereAndBackInAsciiArguments() throws Exception {
        List<String> pastAscii = new CopyOnWriteArrayList<>();
        NetworkSection section = networkSection((label, command, stdin, limit) -> {
            command.stream().filter(argument -> !argument.chars().allMatch(c -> c < 0x7f)).forEach(pastAscii::add);
            return PROCESSES.run(label, command, stdin, limit);
        });
        VirtualMachine a = hypervisor.boot(vmA(), tmp.newFolder("a").toPath());
        // "Zürich 😀", escaped: this JVM's arguments may be ASCII alone too
        ovsdb.vsctl("set", "Interface", "vnet7", "external_ids:PortData=\"Z\\u00fcrich \\ud83d\\ude00\"");
        String printed = ovsdb.vsctl("get", "Interface", "vnet7", "external_ids:PortData");
        assertEquals("\"Z\u00fcrich \ud83d\ude00\"", printed);
        Optional<PortData> baked = section.bake(new TestSectionContext().domain(vmA()).vm(a));
        assertEquals(Optional.of(new PortData(List.of(new PortData.Interface(0, "openvswitch", null),
                new PortData.Interface(2, "openvswitch", printed)))), baked);
        a.destroy();

        VirtualMachine back = hypervisor.createIncoming(vmA(), tmp.newFolder("back").toPath());
        TestSectionContext finish = new TestSectionContext().domain(vmA()).vm(back);
        section.eat(finish, baked.get());
        assertEquals(List.of(), finish.warn);
        assertEquals(printed, ovsdb.vsctl("get", "Interface", "vnet7", "external_ids:PortData"));
        assertEquals("arguments past ASCII", List.of(), pastAscii);
    }
}
