package io.ferry.driver.sim;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.api.host.ProcessRunner;
import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.api.hypervisor.HypervisorException;
import io.ferry.api.hypervisor.VirtualMachine;
import io.ferry.process.BoundedProcessRunner;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.UUID;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** openvswitch NICs are plugged into their bridge when a VM starts or arrives, and unplugged when it goes. */
public class OvsPlugTest {
    private static final UUID UUID_ = UUID.fromString("0a1b2c3d-0000-4000-8000-000000000001");
    private static final String DB = "--db=unix:/run/ovs.sock --no-wait --timeout=5 ";
    /** What the core offers the driver in a framework; one for the whole test run, as a daemon has one. */
    private static final ProcessRunner PROCESSES = new BoundedProcessRunner();

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();
    @Rule
    public final TestHypervisor sim = new TestHypervisor();
    private final SimHypervisor hypervisor = sim.hypervisor;
    private Path calls;
    private Path fail;

    @Before
    public void fakeOvsVsctl() throws Exception {
        Path dir = tmp.newFolder("bin").toPath();
        calls = dir.resolve("calls");
        fail = dir.resolve("fail");
        Path program = Files.writeString(dir.resolve("ovs-vsctl"), "#!/bin/sh\necho \"$*\" >> " + calls
                + "\nif [ -f " + fail + " ]; then echo 'ovs-vsctl: no bridge named br9' >&2; exit 1; fi\n");
        Files.setPosixFilePermissions(program, PosixFilePermissions.fromString("rwx------"));
        hypervisor.useOvs(new OvsPorts(PROCESSES, program.toString(), "unix:/run/ovs.sock"));
    }

    private static DomainSpec spec(String bridge) {
        return new DomainSpec("net", UUID_, "sim", 4 * Sim.MIB_KIB, 1, List.of(), List.of(
                new DomainSpec.Nic(0, "bridge", null, bridge, "openvswitch", null),
                new DomainSpec.Nic(1, "bridge", null, "br1", null, null),
                new DomainSpec.Nic(2, "bridge", null, bridge, "openvswitch", "vnet7")), List.of(), "<domain/>");
    }

    private List<String> calls() throws Exception {
        return Files.exists(calls) ? Files.readAllLines(calls, StandardCharsets.UTF_8) : List.of();
    }

    @Test
    public void bootAndIncomingPlugDestroyUnplugs() throws Exception {
        VirtualMachine vm = hypervisor.boot(spec("br0"), tmp.newFolder("a").toPath());
        assertEquals(List.of(
                DB + "-- --may-exist add-port br0 fe0a1b2c3dn0 -- set Interface fe0a1b2c3dn0 external_ids:vm-uuid=" + UUID_,
                DB + "-- --may-exist add-port br0 vnet7 -- set Interface vnet7 external_ids:vm-uuid=" + UUID_), calls());
        vm.destroy();
        assertEquals(List.of(DB + "-- --if-exists del-port fe0a1b2c3dn0", DB + "-- --if-exists del-port vnet7"),
                calls().subList(2, 4));
        Files.delete(calls);
        hypervisor.createIncoming(spec("br0"), tmp.newFolder("b").toPath()).destroy();
        assertEquals(4, calls().size());
    }

    @Test
    public void aFailedPlugFailsTheStartAndLeavesNoPortNorFiles() throws Exception {
        Files.writeString(fail, "");
        Path runDir = tmp.newFolder("c").toPath();
        HypervisorException e = assertThrows(HypervisorException.class, () -> hypervisor.boot(spec("br9"), runDir));
        assertTrue(e.getMessage(), e.getMessage().endsWith("failed (exit 1): ovs-vsctl: no bridge named br9"));
        assertTrue(calls().toString(), calls().get(calls().size() - 1).endsWith("del-port vnet7"));
        assertFalse(Files.exists(runDir.resolve("memory")));
        Files.delete(fail);
        hypervisor.boot(spec("br0"), runDir).destroy(); // the run directory was released
    }

    @Test
    public void withoutOvsdbNothingRuns() throws Exception {
        hypervisor.useOvs(OvsPorts.of(PROCESSES, " "));
        hypervisor.boot(spec("br0"), tmp.newFolder("d").toPath()).destroy();
        assertEquals(List.of(), calls());
    }
}
