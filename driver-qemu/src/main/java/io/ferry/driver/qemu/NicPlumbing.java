package io.ferry.driver.qemu;

import io.ferry.api.hypervisor.HypervisorException;
import io.ferry.ovsports.VmPorts;
import java.util.List;

/**
 * Connects a VM's bridge NICs once QEMU has made their taps, as libvirt does: an {@code <virtualport
 * type='openvswitch'/>} NIC's tap becomes a port of its bridge in this host's OVSDB, by the rule both drivers follow
 * ({@link VmPorts}: a port is the VM's by its {@code external_ids:vm-uuid}); any other bridge NIC's tap joins its
 * Linux bridge.
 */
final class NicPlumbing {
    private final VmPorts.Commands commands;
    /** Null when this host has no OVSDB. */
    private final VmPorts ovsPorts;

    NicPlumbing(String ovsdb) {
        this(ovsdb, HostCommand::run);
    }

    NicPlumbing(String ovsdb, VmPorts.Commands commands) {
        this.commands = commands;
        this.ovsPorts = ovsdb == null ? null : new VmPorts("ovs-vsctl", ovsdb, commands);
    }

    /** Plugs every bridge NIC; a refused OVS interface fails the call before any OVS port is added. */
    void plug(QemuDomain domain) throws HypervisorException {
        List<QemuDomain.Nic> ovsNics = domain.nics().stream().filter(QemuDomain.Nic::openvswitch).toList();
        if (!ovsNics.isEmpty() && ovsPorts == null) {
            throw new HypervisorException("interface " + ovsNics.get(0).index() + " of domain '" + domain.spec().name()
                    + "' has an openvswitch virtualport but this host has no OVSDB (setting ovsdb, ferryd --ovsdb)");
        }
        if (!ovsNics.isEmpty()) {
            ovsPorts.plug(domain.spec().name(), domain.spec().uuid(), ports(ovsNics));
        }
        for (QemuDomain.Nic nic : domain.nics()) {
            if (!nic.openvswitch() && nic.bridge() != null) {
                commands.run(List.of("ip", "link", "set", "dev", nic.tap(), "master", nic.bridge(), "up"));
            }
        }
    }

    /**
     * Removes the VM's OVS ports (a tap leaves its Linux bridge when QEMU closes it); returns what failed and the
     * ports left alone because they are not the VM's.
     */
    List<String> unplug(QemuDomain domain) {
        List<QemuDomain.Nic> nics = domain.nics().stream().filter(QemuDomain.Nic::openvswitch).toList();
        if (ovsPorts == null || nics.isEmpty()) {
            return List.of();
        }
        return ovsPorts.unplug(domain.spec().name(), domain.spec().uuid(), ports(nics));
    }

    private static List<VmPorts.Port> ports(List<QemuDomain.Nic> nics) {
        return nics.stream().map(nic -> new VmPorts.Port(nic.index(), nic.bridge(), nic.tap())).toList();
    }
}
