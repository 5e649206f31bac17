package io.ferry.driver.qemu;

import io.ferry.api.hypervisor.HypervisorException;
import java.util.ArrayList;
import java.util.List;

/**
 * Connects a VM's bridge NICs once QEMU has made their taps, as libvirt does: an {@code <virtualport
 * type='openvswitch'/>} NIC's tap becomes a port of its bridge in this host's OVSDB ({@code ovs-vsctl --no-wait},
 * the embedded driver's way: only the database is written), any other bridge NIC's tap joins its Linux bridge.
 */
final class NicPlumbing {
    private final String ovsdb;

    NicPlumbing(String ovsdb) {
        this.ovsdb = ovsdb;
    }

    void plug(QemuDomain domain) throws HypervisorException {
        for (QemuDomain.Nic nic : domain.nics()) {
            if (nic.openvswitch()) {
                if (ovsdb == null) {
                    throw new HypervisorException("interface " + nic.index() + " of domain '" + domain.spec().name()
                            + "' has an openvswitch virtualport but this host has no OVSDB (setting ovsdb, ferryd --ovsdb)");
                }
                ovsVsctl("--", "--may-exist", "add-port", nic.bridge(), nic.tap(),
                        "--", "set", "Interface", nic.tap(), "external_ids:vm-uuid=" + domain.spec().uuid());
            } else if (nic.bridge() != null) {
                HostCommand.run(List.of("ip", "link", "set", "dev", nic.tap(), "master", nic.bridge(), "up"));
            }
        }
    }

    /** Removes the VM's OVS ports (a tap leaves its Linux bridge when QEMU closes it); returns what failed. */
    List<String> unplug(QemuDomain domain) {
        List<String> problems = new ArrayList<>();
        for (QemuDomain.Nic nic : domain.nics()) {
            if (nic.openvswitch() && ovsdb != null) {
                try {
                    ovsVsctl("--", "--if-exists", "del-port", nic.tap());
                } catch (HypervisorException e) {
                    problems.add(e.getMessage());
                }
            }
        }
        return problems;
    }

    private void ovsVsctl(String... args) throws HypervisorException {
        List<String> command = new ArrayList<>(List.of("ovs-vsctl", "--db=" + ovsdb, "--no-wait", "--timeout=5"));
        command.addAll(List.of(args));
        HostCommand.run(command);
    }
}
