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

    /** Runs a host command to its end; returns its stdout. */
    interface Commands {
        String run(List<String> command) throws HypervisorException;
    }

    private final String ovsdb;
    private final Commands commands;

    NicPlumbing(String ovsdb) {
        this(ovsdb, HostCommand::run);
    }

    NicPlumbing(String ovsdb, Commands commands) {
        this.ovsdb = ovsdb;
        this.commands = commands;
    }

    /** Plugs every bridge NIC; a refused OVS interface fails the call before any OVS port is added. */
    void plug(QemuDomain domain) throws HypervisorException {
        List<QemuDomain.Nic> ovsNics = domain.nics().stream().filter(QemuDomain.Nic::openvswitch).toList();
        if (!ovsNics.isEmpty() && ovsdb == null) {
            throw new HypervisorException("interface " + ovsNics.get(0).index() + " of domain '" + domain.spec().name()
                    + "' has an openvswitch virtualport but this host has no OVSDB (setting ovsdb, ferryd --ovsdb)");
        }
        if (!ovsNics.isEmpty()) {
            plugOvs(domain, ovsNics);
        }
        for (QemuDomain.Nic nic : domain.nics()) {
            if (!nic.openvswitch() && nic.bridge() != null) {
                commands.run(List.of("ip", "link", "set", "dev", nic.tap(), "master", nic.bridge(), "up"));
            }
        }
    }

    private void plugOvs(QemuDomain domain, List<QemuDomain.Nic> nics) throws HypervisorException {
        String uuid = domain.spec().uuid().toString();
        synchronized (OVSDB_WRITES) {
            // one transaction, which OVSDB refuses whole if any port exists: the common case is one run, no owner read
            try {
                ovsVsctl(addPorts(nics, uuid, false));
                return;
            } catch (HypervisorException refused) {
                // a port exists (the VM's own, left by its earlier run, or not its own), or the add failed for another reason
            }
            List<Optional<String>> owners = owners(nics);
            for (int i = 0; i < nics.size(); i++) {
                Optional<String> owner = owners.get(i);
                if (owner.isPresent() && !owner.get().equals(uuid)) {
                    QemuDomain.Nic nic = nics.get(i);
                    throw new HypervisorException("cannot plug interface " + nic.index() + " of domain '"
                            + domain.spec().name() + "' into bridge " + nic.bridge() + ": Open vSwitch interface "
                            + nic.tap() + " exists and is " + ownerText(owner.get()));
                }
            }
            ovsVsctl(addPorts(nics, uuid, true));
        }
    }

    /**
     * @param replaceOwn the VM's own ports may exist: each is removed and added afresh in the same transaction: a port
     *        its earlier run left keeps what was set on it then, which libvirt's --may-exist add-port keeps too
     */
    private static List<String> addPorts(List<QemuDomain.Nic> nics, String uuid, boolean replaceOwn) {
        List<String> args = new ArrayList<>();
        for (QemuDomain.Nic nic : nics) {
            if (replaceOwn) {
                args.addAll(List.of("--", "--if-exists", "del-port", nic.tap()));
            }
            args.addAll(List.of("--", "add-port"));
            args.addAll(List.of(nic.bridge(), nic.tap(), "--", "set", "Interface", nic.tap(), "external_ids:vm-uuid=" + uuid));
        }
        return args;
    }

    /**
     * Removes the VM's OVS ports (a tap leaves its Linux bridge when QEMU closes it); returns what failed and the
     * ports left alone because they are not the VM's.
     */
    List<String> unplug(QemuDomain domain) {
        List<QemuDomain.Nic> nics = domain.nics().stream().filter(QemuDomain.Nic::openvswitch).toList();
        if (ovsdb == null || nics.isEmpty()) {
            return List.of();
        }
        List<String> problems = new ArrayList<>();
        String uuid = domain.spec().uuid().toString();
        synchronized (OVSDB_WRITES) {
            List<String> delete = new ArrayList<>();
            try {
                List<Optional<String>> owners = owners(nics);
                for (int i = 0; i < nics.size(); i++) {
                    Optional<String> owner = owners.get(i);
                    QemuDomain.Nic nic = nics.get(i);
                    if (owner.isPresent() && owner.get().equals(uuid)) {
                        delete.addAll(List.of("--", "--if-exists", "del-port", nic.tap()));
                    } else if (owner.isPresent()) {
                        problems.add("Open vSwitch port " + nic.tap() + " of interface " + nic.index() + " of domain '"
                                + domain.spec().name() + "' is left in place: it is " + ownerText(owner.get()));
                    }
                }
                if (!delete.isEmpty()) {
                    ovsVsctl(delete);
                }
            } catch (HypervisorException e) {
                problems.add(e.getMessage());
            }
        }
        return problems;
    }

    /**
     * The {@code external_ids:vm-uuid} of each NIC's OVS interface, read in one {@code ovs-vsctl} run: "" if it has
     * none, empty if no such interface.
     */
    private List<Optional<String>> owners(List<QemuDomain.Nic> nics) throws HypervisorException {
        List<String> args = new ArrayList<>();
        for (QemuDomain.Nic nic : nics) {
            args.addAll(List.of("--", "--if-exists", "get", "Interface", nic.tap(), "name", "external_ids:vm-uuid"));
        }
        // per interface that exists, in order: a line for its name, one for the key (empty when the key is missing)
        List<String> lines = ovsVsctl(args).lines().map(NicPlumbing::unquoted).toList();
        List<Optional<String>> owners = new ArrayList<>();
        int next = 0;
        for (QemuDomain.Nic nic : nics) {
            boolean exists = next < lines.size() && lines.get(next).equals(nic.tap());
            owners.add(exists ? Optional.of(next + 1 < lines.size() ? lines.get(next + 1) : "") : Optional.empty());
            next += exists ? 2 : 0;
        }
        return owners;
    }

    private static String unquoted(String value) {
        String stripped = value.strip();
        boolean quoted = stripped.length() >= 2 && stripped.startsWith("\"") && stripped.endsWith("\"");
        return quoted ? stripped.substring(1, stripped.length() - 1) : stripped;
    }

    private static String ownerText(String owner) {
        return owner.isEmpty() ? "no VM's (no external_ids:vm-uuid: a port of the host or an operator)"
                : "another VM's (external_ids:vm-uuid=" + owner + ")";
    }

    private String ovsVsctl(List<String> args) throws HypervisorException {
        List<String> command = new ArrayList<>(List.of("ovs-vsctl", "--db=" + ovsdb, "--no-wait", "--timeout=5"));
        command.addAll(args);
        return commands.run(command);
    }
}
