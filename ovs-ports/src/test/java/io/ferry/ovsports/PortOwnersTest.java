package io.ferry.ovsports;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

import io.ferry.api.hypervisor.HypervisorException;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.Test;

/**
 * The owner read against ovs-vsctl's printed text; the drivers' tests run it against a real ovsdb-server (driver-sim's
 * OvsPlugTest, driver-qemu's NicPlumbingTest).
 */
public class PortOwnersTest {
    private static final UUID VM = UUID.fromString("0b1b2c3d-0000-4000-8000-000000000002");
    private static final String IFACE = "75aa8f77-49ed-47e9-a892-66c8a8129d72";
    private static final String FOUND = """
            name                : "8cb1"
            interfaces          : [%s]

            name                : "8cb1"
            _uuid               : %s

            """.formatted(IFACE, IFACE);

    /** Names go quoted to {@code find}, never bare to {@code get}, where hex digits would be a prefix of a _uuid. */
    @Test
    public void recordsAreFoundByTheirExactName() throws Exception {
        List<List<String>> runs = new CopyOnWriteArrayList<>();
        List<Optional<String>> owners = PortOwners.read(VM, List.of(new VmPorts.Port(0, "br0", "8cb1")), args -> {
            runs.add(args);
            return runs.size() == 1 ? FOUND : IFACE + "\n\"0a1b2c3d-0000-4000-8000-000000000001\"\n";
        });
        assertEquals(List.of(Optional.of("0a1b2c3d-0000-4000-8000-000000000001")), owners);
        assertEquals(List.of("--", "--columns=name,interfaces", "find", "Port", "name=\"8cb1\"",
                "--", "--columns=name,_uuid", "find", "Interface", "name=\"8cb1\"",
                "--", "--columns=_uuid", "find", "Interface", "name=\"8cb1\"", "external_ids:vm-uuid=\"" + VM + "\""),
                runs.get(0));
        assertEquals(List.of("--", "--if-exists", "get", "Interface", IFACE, "_uuid", "external_ids:vm-uuid"),
                runs.get(1));
    }

    /** Another's interface removed between the find and the read of its owner prints nothing: no owner is made up. */
    @Test
    public void anInterfaceRemovedWhileItsOwnerIsReadFailsTheRead() {
        List<VmPorts.Port> ports = List.of(new VmPorts.Port(0, "br0", "8cb1"));
        HypervisorException e = assertThrows(HypervisorException.class,
                () -> PortOwners.read(VM, ports, args -> args.contains("find") ? FOUND : ""));
        assertEquals("Open vSwitch interface " + IFACE + " was removed while its owner was read", e.getMessage());
    }
}
