package io.ferry.core.migration;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.core.domain.DomainXml;
import io.ferry.protocol.xml.HardenedXmlParser;
import java.util.List;
import java.util.UUID;
import org.junit.Test;

/**
 * A destination definition its driver supplies ({@code migrate --xml}) may change what the guest cannot see, never its
 * ABI, nor its UUID: the domain lease and every record go by the UUID, so another one would let the guest run twice.
 */
public class AbiCheckTest {
    private static final DomainXml XML = new DomainXml(new HardenedXmlParser());
    private static final UUID UUID_A = UUID.fromString("1b4e28ba-2fa1-11d2-883f-0016d3cca427");
    private static final DomainSpec SOURCE = spec("vm", UUID_A, "sim", 65536, 2,
            List.of(new DomainSpec.Disk("/images/a.img", "vda")),
            List.of(new DomainSpec.Nic(0, "bridge", "52:54:00:aa:bb:01", "br0", "openvswitch", null)),
            List.of(new DomainSpec.Graphics("vnc", -1, "127.0.0.1")));

    private static DomainSpec spec(String name, UUID uuid, String type, long memoryKiB, int vcpus, List<DomainSpec.Disk> disks,
            List<DomainSpec.Nic> nics, List<DomainSpec.Graphics> graphics) {
        return new DomainSpec(name, uuid, type, memoryKiB, vcpus, disks, nics, graphics, "<domain/>");
    }

    /** Fails if any of these changes is refused; a MAC in capitals is the same MAC. */
    @Test
    public void whatTheGuestCannotSeeMayChange() throws MigrationException {
        AbiCheck.require(SOURCE, spec("renamed", UUID_A, "sim", 65536, 2,
                List.of(new DomainSpec.Disk("/mnt/elsewhere/a.img", "vda", false, "raw")), // raw is the format named none
                List.of(new DomainSpec.Nic(0, "bridge", "52:54:00:AA:BB:01", "br1", null, "vnet9")),
                List.of(new DomainSpec.Graphics("vnc", 5901, "0.0.0.0"))), XML);
    }

    /**
     * The machine type is the guest's chipset and firmware tables: the source's, its alias resolved, or the destination
     * starts another machine (a QEMU refuses the memory of one that differs). Named the same, or neither naming one, passes.
     */
    @Test
    public void theMachineTypeMayNotChange() throws MigrationException {
        DomainSpec resolved = withOs(SOURCE, "<os><type arch='x86_64' machine='pc-i440fx-10.0'>hvm</type></os>");
        AbiCheck.require(resolved, withOs(SOURCE, "<os><type machine='pc-i440fx-10.0'>hvm</type></os>"), XML);
        AbiCheck.require(SOURCE, withOs(SOURCE, "<os><type>hvm</type></os>"), XML);
        for (String os : new String[] {"<os><type arch='x86_64' machine='pc'>hvm</type></os>", ""}) {
            MigrationException e = assertThrows(MigrationException.class,
                    () -> AbiCheck.require(resolved, withOs(SOURCE, os), XML));
            assertEquals("unsupported configuration: Target domain machine type " + (os.isEmpty() ? "none" : "pc")
                    + " does not match source pc-i440fx-10.0 (migrate --xml may not change the guest ABI)", e.getMessage());
        }
    }

    private static DomainSpec withOs(DomainSpec spec, String os) {
        return new DomainSpec(spec.name(), spec.uuid(), spec.type(), spec.memoryKiB(), spec.vcpus(), spec.disks(), spec.nics(),
                spec.graphics(), "<domain type='sim'>" + os + "</domain>");
    }

    @Test
    public void theUuidAndTheAbiMayNot() {
        UUID other = UUID.fromString("2b4e28ba-2fa1-11d2-883f-0016d3cca427");
        refused(spec("vm", other, "sim", 65536, 2, SOURCE.disks(), SOURCE.nics(), SOURCE.graphics()),
                "domain uuid " + other + " does not match source " + UUID_A);
        refused(spec("vm", UUID_A, "qemu", 65536, 2, SOURCE.disks(), SOURCE.nics(), SOURCE.graphics()),
                "domain type qemu does not match source sim");
        refused(spec("vm", UUID_A, "sim", 131072, 2, SOURCE.disks(), SOURCE.nics(), SOURCE.graphics()),
                "memory size 131072 KiB does not match source 65536 KiB");
        refused(spec("vm", UUID_A, "sim", 65536, 1, SOURCE.disks(), SOURCE.nics(), SOURCE.graphics()),
                "vCPU count 1 does not match source 2");
        refused(spec("vm", UUID_A, "sim", 65536, 2, List.of(), SOURCE.nics(), SOURCE.graphics()),
                "disk count 0 does not match source 1");
        refused(spec("vm", UUID_A, "sim", 65536, 2, List.of(new DomainSpec.Disk("/images/a.img", "vdb")), SOURCE.nics(),
                SOURCE.graphics()), "disk target vdb does not match source vda");
        refused(spec("vm", UUID_A, "sim", 65536, 2, List.of(new DomainSpec.Disk("/images/a.img", "vda", true, null)),
                SOURCE.nics(), SOURCE.graphics()), "disk vda access mode read-only does not match source read-write");
        refused(spec("vm", UUID_A, "sim", 65536, 2, List.of(new DomainSpec.Disk("/images/a.img", "vda", false, "qcow2")),
                SOURCE.nics(), SOURCE.graphics()), "disk vda format qcow2 does not match source raw");
        refused(spec("vm", UUID_A, "sim", 65536, 2, SOURCE.disks(), List.of(), SOURCE.graphics()),
                "interface count 0 does not match source 1");
        refused(spec("vm", UUID_A, "sim", 65536, 2, SOURCE.disks(),
                List.of(new DomainSpec.Nic(0, "bridge", "52:54:00:aa:bb:02", "br0", "openvswitch", null)), SOURCE.graphics()),
                "interface MAC 52:54:00:aa:bb:02 does not match source 52:54:00:aa:bb:01");
        refused(spec("vm", UUID_A, "sim", 65536, 2, SOURCE.disks(),
                List.of(new DomainSpec.Nic(0, "bridge", null, "br0", "openvswitch", null)), SOURCE.graphics()),
                "interface MAC none does not match source 52:54:00:aa:bb:01");
        refused(spec("vm", UUID_A, "sim", 65536, 2, SOURCE.disks(), SOURCE.nics(), List.of()),
                "graphics device count 0 does not match source 1");
    }

    /**
     * A NIC without a MAC gets one QEMU makes up (52:54:00:12:34:56 and up, by its place): a definition that names
     * another one changes the MAC the guest sees, as the source's QEMU knows none of it.
     */
    @Test
    public void aMacMayNotBeAddedWhereTheSourceHadNone() {
        DomainSpec source = spec("vm", UUID_A, "sim", 65536, 2, SOURCE.disks(),
                List.of(new DomainSpec.Nic(0, "bridge", null, "br0", "openvswitch", null)), SOURCE.graphics());
        MigrationException e = assertThrows(MigrationException.class, () -> AbiCheck.require(source, SOURCE, XML));
        assertEquals("unsupported configuration: Target interface MAC 52:54:00:aa:bb:01 does not match source none"
                + " (migrate --xml may not change the guest ABI)", e.getMessage());
    }

    private static void refused(DomainSpec target, String mismatch) {
        MigrationException e = assertThrows(mismatch, MigrationException.class, () -> AbiCheck.require(SOURCE, target, XML));
        assertEquals("unsupported configuration: Target " + mismatch + " (migrate --xml may not change the guest ABI)",
                e.getMessage());
    }
}
