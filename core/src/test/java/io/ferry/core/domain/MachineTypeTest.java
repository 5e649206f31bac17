package io.ferry.core.domain;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertTrue;

import io.ferry.api.hypervisor.DomainSpec;
import java.nio.file.Files;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * The live definition names the machine type the VM runs, as its hypervisor resolved it (QEMU's {@code pc} is its
 * newest {@code pc-i440fx-X.Y}): a migration carries the live definition, and a destination whose QEMU reads {@code pc}
 * as another machine refused the guest's memory. The stored definition the guest started from names it too, as
 * libvirt's define expands the alias; one defined anew while the guest runs is kept as it is.
 */
public class MachineTypeTest {
    private static final String RESOLVED = "pc-i440fx-10.0";

    @Rule
    public TemporaryFolder folder = new TemporaryFolder();

    private static String vm(String os) {
        return "<domain type='sim'>\n  <name>vm1</name>\n  <uuid>00000000-0000-4000-8000-0000000000b1</uuid>\n"
                + "  <memory unit='MiB'>16</memory>\n" + os + "</domain>\n";
    }

    @Test
    public void aStartRecordsTheMachineTheVmRunsInTheLiveAndTheStoredDefinition() throws Exception {
        TestHost host = new TestHost(folder.getRoot().toPath());
        host.driver.machine = RESOLVED;
        host.manager.define(vm("  <os><type arch='x86_64' machine='pc'>hvm</type></os>\n"));

        Domain domain = host.manager.start("vm1");

        String live = domain.live().xml();
        assertTrue(live, live.contains("<type arch='x86_64' machine='" + RESOLVED + "'>hvm</type>"));
        assertEquals("the stored definition is still the one it runs", domain.live(), domain.persistent());
        assertTrue(Files.readString(host.file("status", "vm1.xml")).contains("machine='" + RESOLVED + "'"));
        assertTrue(Files.readString(host.file("domains", "vm1.xml")).contains("machine='" + RESOLVED + "'"));
        host.restart();
        assertEquals(host.manager.get("vm1").live(), host.manager.get("vm1").persistent());
        assertTrue(host.manager.get("vm1").live().xml().contains("machine='" + RESOLVED + "'"));

        host.manager.define(vm("  <os><type arch='x86_64' machine='pc'>hvm</type></os>\n"));
        assertTrue("defined anew while it runs: kept as defined",
                host.manager.get("vm1").persistent().xml().contains("machine='pc'"));
    }

    /** One chosen for a definition that names none (QEMU's default machine) is recorded too, as libvirt fills it in. */
    @Test
    public void aDefinitionNamingNoMachineGetsTheOneTheVmRuns() throws Exception {
        TestHost host = new TestHost(folder.getRoot().toPath());
        host.driver.machine = RESOLVED;
        host.manager.define(vm("  <os><type arch='x86_64'>hvm</type></os>\n"));

        assertTrue(host.manager.start("vm1").live().xml().contains("<type arch='x86_64' machine='" + RESOLVED + "'>"));
    }

    /** A guest running since before this version, its live definition naming the alias, is recorded at its re-attach. */
    @Test
    public void aReattachedVmRecordsTheMachineItRuns() throws Exception {
        TestHost host = new TestHost(folder.getRoot().toPath());
        host.manager.define(vm("  <os><type arch='x86_64' machine='pc'>hvm</type></os>\n"));
        assertTrue(host.manager.start("vm1").live().xml().contains("machine='pc'"));

        host.driver.machine = RESOLVED;
        host.restart();

        assertTrue(host.manager.get("vm1").live().xml().contains("machine='" + RESOLVED + "'"));
        assertEquals(host.manager.get("vm1").live(), host.manager.get("vm1").persistent());
    }

    /** Nothing to record: a VM that does not say, one that runs what the definition names, a definition with no os. */
    @Test
    public void aDefinitionIsKeptAsItIsWhereThereIsNothingToRecord() throws Exception {
        TestHost host = new TestHost(folder.getRoot().toPath());
        DomainXml xml = host.manager.xml();
        DomainSpec named = host.manager.parse(vm("  <os><type arch='x86_64' machine='" + RESOLVED + "'>hvm</type></os>\n"));
        DomainSpec none = host.manager.parse(vm(""));
        TestHost.Vm says = new TestHost.Vm(named, folder.getRoot().toPath(), host.driver);

        assertSame(named, xml.running(named, says));
        host.driver.machine = RESOLVED;
        assertSame(named, xml.running(named, says));
        assertSame(none, xml.running(none, says));
    }
}
