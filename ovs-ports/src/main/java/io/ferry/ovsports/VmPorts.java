package io.ferry.ovsports;

import io.ferry.api.hypervisor.HypervisorException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * A VM's Open vSwitch ports in this host's OVSDB, as libvirt adds them when QEMU starts (virNetDevOpenvswitchAddPort)
 * and removes them when it ends. Only the database is written ({@code ovs-vsctl --no-wait}). A port is the VM's when,
 * as plug makes it, its one interface has its name and that interface's {@code external_ids:vm-uuid} is the VM's UUID:
 * plug refuses a port of another VM or of nobody (the host's, an operator's, a bond) instead of taking it over, and
 * unplug removes the VM's own ports only. Embedded in each driver bundle that plugs ports (bnd's
 * {@code -conditionalpackage}), so that both drivers follow one rule.
 */
public final class VmPorts {
    /**
     * Each owner check and the write after it, for all VMs of the bundle that embeds this (a driver's qemu and kvm
     * types write the same OVSDB): two VMs naming one interface cannot both find it free.
     */
    private static final Object OVSDB_WRITES = new Object();

    /** A VM's NIC as a port: its index in the definition, its bridge and the host interface that becomes the port. */
    public record Port(int index, String bridge, String iface) {
    }

    /** Runs a host command to its end; returns its stdout, or fails with what it wrote. */
    public interface Commands {
        String run(List<String> command) throws HypervisorException;
    }

    private final String program;
    private final String db;
    private final Commands commands;

    /**
     * @param program {@code ovs-vsctl}, or a stand-in in tests
     * @param db the OVSDB ({@code unix:PATH}, {@code tcp:HOST:PORT})
     */
    public VmPorts(String program, String db, Commands commands) {
        this.program = program;
        this.db = db;
        this.commands = commands;
    }

    /** Plugs every port of the VM; a refused interface fails the call before any port is added. */
    public void plug(String domain, UUID uuid, List<Port> ports) throws HypervisorException {
        if (ports.isEmpty()) {
            return;
        }
        String mine = uuid.toString();
        synchronized (OVSDB_WRITES) {
            // one transaction, which OVSDB refuses whole if any port exists: the common case is one run, no owner read
            try {
                ovsVsctl(addPorts(ports, uuid, List.of()));
                return;
            } catch (HypervisorException refused) {
                // a port exists (the VM's own, left by its earlier run, or not its own), or the add failed for another reason
            }
            List<Optional<String>> owners = PortOwners.read(uuid, ports, this::ovsVsctl);
            List<Port> own = new ArrayList<>();
            for (int i = 0; i < ports.size(); i++) {
                Optional<String> owner = owners.get(i);
                Port port = ports.get(i);
                if (owner.isPresent() && !owner.get().equals(mine)) {
                    throw new HypervisorException("cannot plug interface " + port.index() + " of domain '" + domain
                            + "' into bridge " + port.bridge() + ": Open vSwitch interface " + port.iface() + " exists and is "
                            + ownerText(owner.get()));
                }
                if (owner.isPresent()) {
                    own.add(port);
                }
            }
            ovsVsctl(addPorts(ports, uuid, own));
        }
    }

    /**
     * @param own the VM's own ports that exist, and no other: each is removed and added afresh in the same
     *        transaction, since a port its earlier run left (an unplug that failed, a daemon that died first) keeps
     *        what was set on it then: the port data of a VM that has been elsewhere since, which the network section
     *        would not overwrite when the VM brings none. libvirt's virNetDevOpenvswitchAddPort takes such a port as
     *        it is (--may-exist)
     */
    private static List<String> addPorts(List<Port> ports, UUID uuid, List<Port> own) {
        List<String> args = new ArrayList<>();
        for (Port port : ports) {
            if (own.contains(port)) {
                args.addAll(List.of("--", "--if-exists", "del-port", port.iface()));
            }
            args.addAll(List.of("--", "add-port", port.bridge(), port.iface(),
                    "--", "set", "Interface", port.iface(), "external_ids:vm-uuid=" + uuid));
        }
        return args;
    }

    /**
     * Removes the VM's ports; returns what went wrong and the ports left alone because they are not the VM's, for the
     * caller to log (a gone VM cannot fail).
     */
    public List<String> unplug(String domain, UUID uuid, List<Port> ports) {
        if (ports.isEmpty()) {
            return List.of();
        }
        List<String> problems = new ArrayList<>();
        String mine = uuid.toString();
        synchronized (OVSDB_WRITES) {
            List<String> delete = new ArrayList<>();
            try {
                List<Optional<String>> owners = PortOwners.read(uuid, ports, this::ovsVsctl);
                for (int i = 0; i < ports.size(); i++) {
                    Optional<String> owner = owners.get(i);
                    Port port = ports.get(i);
                    if (owner.isPresent() && owner.get().equals(mine)) {
                        delete.addAll(List.of("--", "--if-exists", "del-port", port.iface()));
                    } else if (owner.isPresent()) {
                        problems.add("Open vSwitch port " + port.iface() + " of interface " + port.index() + " of domain '"
                                + domain + "' is left in place: it is " + ownerText(owner.get()));
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

    private static String ownerText(String owner) {
        return owner.isEmpty() ? "no VM's (no external_ids:vm-uuid: a port of the host or an operator)"
                : "another VM's (external_ids:vm-uuid=" + owner + ")";
    }

    private String ovsVsctl(List<String> args) throws HypervisorException {
        List<String> command = new ArrayList<>(List.of(program, "--db=" + db, "--no-wait", "--timeout=5"));
        command.addAll(args);
        return commands.run(command);
    }
}
