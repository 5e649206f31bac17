package io.ferry.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import io.ferry.api.cookie.CookieException;
import io.ferry.api.cookie.CookieSection;
import io.ferry.api.cookie.DomainLeases;
import io.ferry.api.cookie.Phase;
import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.api.hypervisor.Hypervisor;
import io.ferry.api.hypervisor.VirtualMachine;
import io.ferry.api.lock.Lease;
import io.ferry.api.lock.LeaseRequest;
import io.ferry.api.lock.LockManager;
import io.ferry.api.snapshot.SnapshotStore;
import io.ferry.testkit.InMemorySideStream;
import io.ferry.testkit.TestSectionContext;
import java.nio.file.Path;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.service.cm.ConfigurationAdmin;
import org.w3c.dom.Element;

/**
 * Each shipped section plug-in at work inside a real Felix framework, wired by DS to the services it needs (the
 * embedded hypervisor's VMs, the file lock manager, the core's snapshot store), reached only through the API as
 * the core reaches it: its value types stay private to its bundle.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class PluginsInFrameworkIT extends FerryTestSupport {

    private DomainSpec domain(String name) {
        UUID uuid = UUID.randomUUID();
        return new DomainSpec(name, uuid, "sim", 16 * 1024, 1,
                List.of(new DomainSpec.Disk("/images/" + uuid + "-0.img", "vda"), new DomainSpec.Disk("/images/" + uuid + "-1.img", "vdb")),
                List.of(new DomainSpec.Nic(0, "bridge", "52:54:00:00:00:01", "br0", "openvswitch", null),
                        new DomainSpec.Nic(1, "bridge", "52:54:00:00:00:02", "br1", "midonet", null)),
                List.of(new DomainSpec.Graphics("vnc", -1, "127.0.0.1")),
                "<domain type='sim'><name>" + name + "</name><uuid>" + uuid + "</uuid><memory unit='MiB'>16</memory></domain>");
    }

    /** The context the core would hand a section: a real VM, real leases, a side stream kept in memory. */
    private static TestSectionContext context(Phase phase, DomainSpec spec, VirtualMachine vm, DomainLeases leases,
            InMemorySideStream stream) {
        return new TestSectionContext().phase(phase).migrationId("itest-" + phase.cliName()).domain(spec).vm(vm)
                .leases(leases).sideStream(stream);
    }

    private VirtualMachine boot(DomainSpec spec) throws Exception {
        Hypervisor sim = (Hypervisor) context.getService(awaitReference("(" + Hypervisor.TYPE + "=sim)"));
        return sim.boot(spec, workDir("vm-"));
    }

    @SuppressWarnings("unchecked")
    private CookieSection<Object> section(String feature) throws Exception {
        return (CookieSection<Object>) context.getService(awaitReference("(" + CookieSection.FEATURE + "=" + feature + ")"));
    }

    private static Element formatted(CookieSection<Object> section, String element, Object value) throws Exception {
        Element fragment = DocumentBuilderFactory.newDefaultInstance().newDocumentBuilder().newDocument().createElement(element);
        section.format(value, fragment);
        return fragment;
    }

    @Test
    public void graphicsBakesTheListenerOfItsRealVm() throws Exception {
        DomainSpec spec = domain("gfx-itest");
        VirtualMachine vm = boot(spec);
        try {
            CookieSection<Object> graphics = section("graphics");
            Object baked = graphics.bake(context(Phase.PREPARE, spec, vm, null, null)).orElseThrow();
            Element fragment = formatted(graphics, "graphics", baked);
            assertEquals("vnc", fragment.getAttribute("type"));
            assertEquals(Integer.toString(vm.graphicsListeners().get(0).port()), fragment.getAttribute("port"));
            assertEquals(baked, graphics.parse(fragment));
        } finally {
            vm.destroy();
        }
    }

    @Test
    public void lockstateCarriesRealLeaseStateAndRefusesAnotherManager() throws Exception {
        ConfigurationAdmin configAdmin = awaitService(ConfigurationAdmin.class);
        Path leaseDir = workDir("leases-");
        Dictionary<String, Object> properties = new Hashtable<>();
        properties.put("leaseDir", leaseDir.toString());
        configAdmin.getConfiguration("io.ferry.plugin.lockstate", "?").update(properties);
        // the component comes back with its new directory; wait for that registration, not the old one
        LockManager file = (LockManager) context.getService(
                awaitReference("(&(" + LockManager.NAME + "=file)(leaseDir=" + leaseDir + "))"));
        DomainSpec spec = domain("lease-itest");
        Lease lease = file.acquire(new LeaseRequest(spec.name(), spec.uuid(), List.of(spec.disks().get(0).source(),
                spec.disks().get(1).source()), "itest-host", UUID.fromString(HOST_UUID)), null);
        CookieSection<Object> lockstate = section("lockstate");
        DomainLeases leases = leases("file", lease.state());
        Element fragment = formatted(lockstate, "lockstate",
                lockstate.bake(context(Phase.BEGIN, spec, null, leases, null)).orElseThrow());
        assertEquals("file", fragment.getAttribute("driver"));
        assertEquals(lease.state(), fragment.getElementsByTagName("leases").item(0).getTextContent());
        try {
            lockstate.eat(context(Phase.PREPARE, spec, null, leases("zookeeper", null), null), lockstate.parse(fragment));
            fail("a lock manager mismatch was accepted");
        } catch (CookieException e) {
            assertTrue(e.getMessage(), e.getMessage().startsWith("lock manager mismatch: the source uses file"));
        }
        lease.release();
    }

    private static DomainLeases leases(String manager, String state) {
        return new DomainLeases() {
            @Override
            public String manager() {
                return manager;
            }

            @Override
            public String state() {
                return state;
            }

            @Override
            public void acquireWith(String leaseState) {
            }
        };
    }

    @Test
    public void networkBakesEachVirtualPortAndWarnsWithoutOvs() throws Exception {
        DomainSpec spec = domain("net-itest");
        VirtualMachine vm = boot(spec);
        try {
            CookieSection<Object> network = section("network");
            TestSectionContext context = context(Phase.PERFORM, spec, vm, null, null);
            Element fragment = formatted(network, "network", network.bake(context).orElseThrow());
            List<Element> nics = ControlClient.children(fragment, "interface");
            assertEquals(2, nics.size());
            assertEquals("openvswitch", nics.get(0).getAttribute("vporttype"));
            assertEquals("midonet", nics.get(1).getAttribute("vporttype"));
            assertEquals(0, nics.get(0).getElementsByTagName("portdata").getLength());
            assertTrue(context.warn.toString(), context.warn.stream().anyMatch(w -> w.contains("OVSDB")));
        } finally {
            vm.destroy();
        }
    }

    @Test
    public void snapshotsTravelOverTheSideStreamIntoTheCoresStore() throws Exception {
        startDaemon(workDir("state-"));
        ControlClient daemon = new ControlClient((String) awaitReference("(" + CONTROL_URL + "=*)").getProperty(CONTROL_URL));
        DomainSpec spec = domain("snap-itest");
        assertEquals(200, daemon.request("POST", "domains", "<domain type='sim'><name>snap-itest</name><uuid>" + spec.uuid()
                + "</uuid><memory unit='MiB'>16</memory></domain>").status());
        for (String name : new String[] {"root", "child"}) {
            assertEquals(200, daemon.request("POST", "domains/snap-itest/snapshots?name=" + name, "").status());
        }
        CookieSection<Object> snapshots = section("snapshots");
        InMemorySideStream stream = new InMemorySideStream();
        Object descriptor = snapshots.bake(context(Phase.BEGIN, spec, null, null, stream)).orElseThrow();
        assertEquals("2", formatted(snapshots, "snapshots", descriptor).getAttribute("count"));

        stream.bytes(); // what a source sends; then the domain goes from this host, to arrive here as from another
        assertEquals(200, daemon.request("DELETE", "domains/snap-itest?snapshots-metadata=yes", null).status());
        assertEquals(List.of(), awaitService(SnapshotStore.class).list(spec.uuid()));
        DomainSpec arriving = spec;
        TestSectionContext prepare = context(Phase.PREPARE, arriving, null, null, stream);
        snapshots.eat(prepare, descriptor);
        SnapshotStore store = awaitService(SnapshotStore.class);
        assertEquals(List.of(), store.list(arriving.uuid()));
        store.commit(prepare.migrationId());
        assertEquals(List.of("root", "child"), store.list(arriving.uuid()).stream().map(SnapshotStore.Snapshot::name).toList());
        assertEquals(Optional.of("child"), store.current(arriving.uuid()));
    }
}
