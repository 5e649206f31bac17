package io.ferry.driver.qemu;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.api.hypervisor.HypervisorException;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.After;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * An openvswitch NIC's port is its VM's ({@code external_ids:vm-uuid}) in a real ovsdb-server: a VM whose
 * definition names another VM's interface (a peer's Prepare can) neither takes the port over nor removes it.
 */
public class NicPlumbingTest {
    private static final String TAP = "vnet-a";

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();
    private TestOvsdb ovsdb;
    private NicPlumbing plumbing;
    private final QemuDomain vmA = domain("a", UUID.randomUUID());
    private final QemuDomain vmB = domain("b", UUID.randomUUID());

    @Before
    public void plugA() throws Exception {
        ovsdb = TestOvsdb.start(tmp.newFolder("ovs").toPath());
        ovsdb.vsctl("add-br", "br0");
        plumbing = new NicPlumbing(ovsdb.db());
        plumbing.plug(vmA);
    }

    @After
    public void stopOvsdb() throws Exception {
        ovsdb.close();
    }

    private static QemuDomain domain(String name, UUID uuid) {
        DomainSpec spec = new DomainSpec(name, uuid, "qemu", 32 * 1024, 1, List.of(), List.of(), List.of(), "<domain/>");
        QemuDomain.Nic nic = new QemuDomain.Nic(0, "bridge", null, "br0", true, TAP, "virtio", null);
        return new QemuDomain(spec, "x86_64", "pc", null, null, null, null, null, List.of(), List.of(nic), List.of(), null);
    }

    private String owner() throws Exception {
        return ovsdb.vsctl("get", "Interface", TAP, "external_ids:vm-uuid");
    }

    @Test
    public void anotherVmsInterfaceIsRefusedAndKeepsItsOwner() throws Exception {
        HypervisorException e = assertThrows(HypervisorException.class, () -> plumbing.plug(vmB));
        assertEquals("cannot plug interface 0 of domain 'b' into bridge br0: Open vSwitch interface " + TAP
                + " exists and is another VM's (external_ids:vm-uuid=" + vmA.spec().uuid() + ")", e.getMessage());
        assertEquals(TAP, ovsdb.vsctl("list-ports", "br0"));
        assertEquals("\"" + vmA.spec().uuid() + "\"", owner());
    }

    @Test
    public void theUnplugOfAVmThatDidNotStartLeavesAnotherVmsPort() throws Exception {
        List<String> problems = plumbing.unplug(vmB); // as after B's QEMU failed: its tap was busy
        assertEquals(TAP, ovsdb.vsctl("list-ports", "br0"));
        assertEquals("\"" + vmA.spec().uuid() + "\"", owner());
        assertEquals(problems.toString(), 1, problems.size());
        assertTrue(problems.get(0), problems.get(0).contains(TAP) && problems.get(0).contains(vmA.spec().uuid().toString()));

        assertEquals(List.of(), plumbing.unplug(vmA));
        assertEquals("", ovsdb.vsctl("list-ports", "br0"));
    }

    @Test
    public void aPortOfNoVmIsRefusedAndLeftInPlace() throws Exception {
        ovsdb.vsctl("remove", "Interface", TAP, "external_ids", "vm-uuid"); // as if the host's own port
        HypervisorException e = assertThrows(HypervisorException.class, () -> plumbing.plug(vmA));
        assertTrue(e.getMessage(), e.getMessage().endsWith("exists and is no VM's (no external_ids:vm-uuid: a port of the"
                + " host or an operator)"));
        assertEquals(1, plumbing.unplug(vmA).size());
        assertEquals(TAP, ovsdb.vsctl("list-ports", "br0"));
    }

    /**
     * A port is removed only when the owner read found it the VM's: an add that failed with nothing of that name in
     * the OVSDB (no bridge, or a port the read does not show) is tried again as it was, without a del-port.
     */
    @Test
    public void aNameTheOwnerReadDoesNotShowIsNeverDeleted() {
        List<String> runs = new CopyOnWriteArrayList<>();
        NicPlumbing blind = new NicPlumbing("unix:/nowhere", command -> {
            runs.add(String.join(" ", command));
            if (command.contains("add-port")) {
                throw new HypervisorException("ovs-vsctl: cannot create a port named " + TAP);
            }
            return ""; // the owner read prints nothing
        });
        assertThrows(HypervisorException.class, () -> blind.plug(vmB));
        assertEquals(runs.toString(), 3, runs.size());
        assertTrue(runs.toString(), runs.stream().noneMatch(run -> run.contains("del-port")));
    }

    @Test
    public void aVmsPortsArePluggedInOneOvsVsctlRunAndUnpluggedInTwo() throws Exception {
        List<String> runs = new CopyOnWriteArrayList<>();
        NicPlumbing counted = new NicPlumbing(ovsdb.db(), command -> {
            runs.add(String.join(" ", command));
            return HostCommand.run(command);
        });
        QemuDomain.Nic second = new QemuDomain.Nic(1, "bridge", null, "br0", true, "vnet-c", "virtio", null);
        QemuDomain vmC = new QemuDomain(vmB.spec(), "x86_64", "pc", null, null, null, null, null, List.of(),
                List.of(new QemuDomain.Nic(0, "bridge", null, "br0", true, "vnet-b", "virtio", null), second), List.of(), null);
        counted.plug(vmC);
        assertEquals(runs.toString(), 1, runs.size());
        assertEquals(TAP + "\nvnet-b\nvnet-c", ovsdb.vsctl("list-ports", "br0"));
        assertEquals(List.of(), counted.unplug(vmC));
        assertEquals(runs.toString(), 3, runs.size());
        assertEquals(TAP, ovsdb.vsctl("list-ports", "br0"));
    }

    @Test
    public void theVmsOwnPortIsPluggedAgain() throws Exception {
        plumbing.plug(vmA); // a re-plug: a restarted start, a re-attach
        assertEquals("\"" + vmA.spec().uuid() + "\"", owner());
        assertEquals(List.of(), plumbing.unplug(vmA));
        assertEquals(List.of(), plumbing.unplug(vmA)); // a port already gone is no problem
    }

    /** A port the VM's earlier run left (its unplug failed) is plugged afresh: what was kept on it is not the VM's now. */
    @Test
    public void aPortTheVmLeftBehindIsPluggedAfreshWithoutWhatItKept() throws Exception {
        ovsdb.vsctl("set", "Interface", TAP, "external_ids:PortData=left-behind");
        plumbing.plug(vmA); // its next start, or its arrival back on this host
        assertEquals(TAP, ovsdb.vsctl("list-ports", "br0"));
        assertEquals("{vm-uuid=\"" + vmA.spec().uuid() + "\"}", ovsdb.vsctl("get", "Interface", TAP, "external_ids"));
    }

    /** A host without an OVSDB cannot give an openvswitch NIC its port: the start fails naming the setting, runs nothing. */
    @Test
    public void anOpenvswitchNicOnAHostWithoutOvsdbIsRefusedNamingTheSetting() {
        List<String> runs = new CopyOnWriteArrayList<>();
        NicPlumbing noOvsdb = new NicPlumbing(null, command -> {
            runs.add(String.join(" ", command));
            return "";
        });
        HypervisorException e = assertThrows(HypervisorException.class, () -> noOvsdb.plug(vmB));
        assertEquals("interface 0 of domain 'b' has an openvswitch virtualport but this host has no OVSDB (setting ovsdb,"
                + " ferryd --ovsdb)", e.getMessage());
        assertEquals(List.of(), noOvsdb.unplug(vmB));
        assertEquals(List.of(), runs);
    }
}
