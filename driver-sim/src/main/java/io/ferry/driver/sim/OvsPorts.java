package io.ferry.driver.sim;

import io.ferry.api.host.ProcessRunner;
import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.api.hypervisor.HypervisorException;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Plugs a VM's {@code <virtualport type='openvswitch'/>} NICs into their bridges in this host's OVSDB, as
 * libvirt does when QEMU starts (virNetDevOpenvswitchAddPort), and unplugs them when the VM goes. Only the
 * database is written ({@code --no-wait}): the simulated VM has no real tap device. A port is the VM's whose
 * {@code external_ids:vm-uuid} is its UUID: plug refuses a port of another VM or of nobody (the host's, an
 * operator's) instead of taking it over, and unplug removes the VM's own ports only.
 */
final class OvsPorts {
    /** No OVSDB configured on this host: nothing is plugged. */
    static final OvsPorts NONE = new OvsPorts(null, null, null);
    private static final Duration LIMIT = Duration.ofSeconds(10);
    /** Each owner check and the write after it: two VMs naming one interface cannot both find it free. */
    private static final Object OVSDB_WRITES = new Object();

    private final ProcessRunner processes;
    private final String program;
    private final String db;

    OvsPorts(ProcessRunner processes, String program, String db) {
        this.processes = processes;
        this.program = program;
        this.db = db;
    }

    /** {@code ovs-vsctl} against {@code db} ({@code unix:PATH}), or {@link #NONE} when db is empty. */
    static OvsPorts of(ProcessRunner processes, String db) {
        return db == null || db.isBlank() ? NONE : new OvsPorts(processes, "ovs-vsctl", db.trim());
    }

    /** Plugs every NIC; a refused interface fails the call before any port is added. */
    void plug(DomainSpec spec) throws HypervisorException {
        List<DomainSpec.Nic> nics = ovsNics(spec);
        for (DomainSpec.Nic nic : nics) {
            if (nic.bridge() == null) {
                throw new HypervisorException("interface " + nic.index() + " of domain '" + spec.name()
                        + "' has an openvswitch virtualport but no source bridge");
            }
        }
        String uuid = spec.uuid().toString();
        synchronized (OVSDB_WRITES) {
            for (DomainSpec.Nic nic : nics) {
                String iface = nic.hostInterface(spec.uuid());
                Optional<String> owner = owner(iface);
                if (owner.isPresent() && !owner.get().equals(uuid)) {
                    throw new HypervisorException("cannot plug interface " + nic.index() + " of domain '" + spec.name()
                            + "' into bridge " + nic.bridge() + ": Open vSwitch interface " + iface + " exists and is "
                            + ownerText(owner.get()));
                }
            }
            for (DomainSpec.Nic nic : nics) {
                String iface = nic.hostInterface(spec.uuid());
                run("--", "--may-exist", "add-port", nic.bridge(), iface,
                        "--", "set", "Interface", iface, "external_ids:vm-uuid=" + uuid);
            }
        }
    }

    /**
     * Removes the VM's ports; returns what went wrong and the ports left alone because they are not the VM's, for
     * the caller to log (a gone VM cannot fail).
     */
    List<String> unplug(DomainSpec spec) {
        List<String> problems = new ArrayList<>();
        String uuid = spec.uuid().toString();
        synchronized (OVSDB_WRITES) {
            for (DomainSpec.Nic nic : ovsNics(spec)) {
                String iface = nic.hostInterface(spec.uuid());
                try {
                    Optional<String> owner = owner(iface);
                    if (owner.isPresent() && owner.get().equals(uuid)) {
                        run("--", "--if-exists", "del-port", iface);
                    } else if (owner.isPresent()) {
                        problems.add("Open vSwitch port " + iface + " of interface " + nic.index() + " of domain '" + spec.name()
                                + "' is left in place: it is " + ownerText(owner.get()));
                    }
                } catch (HypervisorException e) {
                    problems.add(e.getMessage());
                }
            }
        }
        return problems;
    }

    private List<DomainSpec.Nic> ovsNics(DomainSpec spec) {
        return db == null ? List.of() : spec.nics().stream().filter(n -> "openvswitch".equals(n.virtualPortType())).toList();
    }

    /** The {@code external_ids:vm-uuid} of the interface {@code iface}, "" if it has none; empty if no such interface. */
    private Optional<String> owner(String iface) throws HypervisorException {
        // one line for the name, one for the key (empty when the key is missing); no output without the record
        List<String> lines = run("--", "--if-exists", "get", "Interface", iface, "name", "external_ids:vm-uuid")
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

    /** Runs ovs-vsctl; returns its stdout. */
    private String run(String... args) throws HypervisorException {
        List<String> command = new ArrayList<>(List.of(program, "--db=" + db, "--no-wait", "--timeout=5"));
        command.addAll(List.of(args));
        String label = String.join(" ", command);
        try {
            return processes.run(label, command, null, LIMIT).requireSuccess(label).stdout();
        } catch (IOException e) {
            throw new HypervisorException(e.getMessage(), e);
        }
    }
}
