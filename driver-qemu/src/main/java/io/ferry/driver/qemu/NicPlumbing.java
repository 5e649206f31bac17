package io.ferry.driver.qemu;

import io.ferry.api.hypervisor.HypervisorException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Connects a VM's bridge NICs once QEMU has made their taps, as libvirt does: an {@code <virtualport
 * type='openvswitch'/>} NIC's tap becomes a port of its bridge in this host's OVSDB ({@code ovs-vsctl --no-wait},
 * the embedded driver's way: only the database is written), any other bridge NIC's tap joins its Linux bridge.
 * An OVS port is the VM's whose {@code external_ids:vm-uuid} is its UUID: plug refuses a port of another VM or
 * of nobody (the host's, an operator's) instead of taking it over, and unplug removes the VM's own ports only.
 */
final class NicPlumbing {
    /**
     * Each owner check and the write after it, for all VMs of this bundle (the qemu and kvm drivers write the same
     * OVSDB): two VMs naming one interface cannot both find it free.
     */
    private static final Object OVSDB_WRITES = new Object();

    private final String ovsdb;

    NicPlumbing(String ovsdb) {
        this.ovsdb = ovsdb;
    }

    /** Plugs every bridge NIC; a refused OVS interface fails the call before any OVS port is added. */
    void plug(QemuDomain domain) throws HypervisorException {
        List<QemuDomain.Nic> ovsNics = domain.nics().stream().filter(QemuDomain.Nic::openvswitch).toList();
        if (!ovsNics.isEmpty() && ovsdb == null) {
            throw new HypervisorException("interface " + ovsNics.get(0).index() + " of domain '" + domain.spec().name()
                    + "' has an openvswitch virtualport but this host has no OVSDB (setting ovsdb, ferryd --ovsdb)");
        }
        String uuid = domain.spec().uuid().toString();
        synchronized (OVSDB_WRITES) {
            for (QemuDomain.Nic nic : ovsNics) {
                Optional<String> owner = owner(nic.tap());
                if (owner.isPresent() && !owner.get().equals(uuid)) {
                    throw new HypervisorException("cannot plug interface " + nic.index() + " of domain '"
                            + domain.spec().name() + "' into bridge " + nic.bridge() + ": Open vSwitch interface "
                            + nic.tap() + " exists and is " + ownerText(owner.get()));
                }
            }
            for (QemuDomain.Nic nic : ovsNics) {
                ovsVsctl("--", "--may-exist", "add-port", nic.bridge(), nic.tap(),
                        "--", "set", "Interface", nic.tap(), "external_ids:vm-uuid=" + uuid);
            }
        }
        for (QemuDomain.Nic nic : domain.nics()) {
            if (!nic.openvswitch() && nic.bridge() != null) {
                HostCommand.run(List.of("ip", "link", "set", "dev", nic.tap(), "master", nic.bridge(), "up"));
            }
        }
    }

    /**
     * Removes the VM's OVS ports (a tap leaves its Linux bridge when QEMU closes it); returns what failed and the
     * ports left alone because they are not the VM's.
     */
    List<String> unplug(QemuDomain domain) {
        List<String> problems = new ArrayList<>();
        if (ovsdb == null) {
            return problems;
        }
        String uuid = domain.spec().uuid().toString();
        synchronized (OVSDB_WRITES) {
            for (QemuDomain.Nic nic : domain.nics()) {
                if (!nic.openvswitch()) {
                    continue;
                }
                try {
                    Optional<String> owner = owner(nic.tap());
                    if (owner.isPresent() && owner.get().equals(uuid)) {
                        ovsVsctl("--", "--if-exists", "del-port", nic.tap());
                    } else if (owner.isPresent()) {
                        problems.add("Open vSwitch port " + nic.tap() + " of interface " + nic.index() + " of domain '"
                                + domain.spec().name() + "' is left in place: it is " + ownerText(owner.get()));
                    }
                } catch (HypervisorException e) {
                    problems.add(e.getMessage());
                }
            }
        }
        return problems;
    }

    /** The {@code external_ids:vm-uuid} of the OVS interface {@code iface}, "" if it has none; empty if no such interface. */
    private Optional<String> owner(String iface) throws HypervisorException {
        // one line for the name, one for the key (empty when the key is missing); no output without the record
        List<String> lines = ovsVsctl("--", "--if-exists", "get", "Interface", iface, "name", "external_ids:vm-uuid")
                .lines().toList();
        if (lines.isEmpty()) {
            return Optional.empty();
        }
        String owner = lines.size() < 2 ? "" : lines.get(1).strip();
        boolean quoted = owner.length() >= 2 && owner.startsWith("\"") && owner.endsWith("\"");
        return Optional.of(quoted ? owner.substring(1, owner.length() - 1) : owner);
    }

    private static String ownerText(String owner) {
        return owner.isEmpty() ? "no VM's (no external_ids:vm-uuid: a port of the host or an operator)"
                : "another VM's (external_ids:vm-uuid=" + owner + ")";
    }

    private String ovsVsctl(String... args) throws HypervisorException {
        List<String> command = new ArrayList<>(List.of("ovs-vsctl", "--db=" + ovsdb, "--no-wait", "--timeout=5"));
        command.addAll(List.of(args));
        return HostCommand.run(command);
    }
}
