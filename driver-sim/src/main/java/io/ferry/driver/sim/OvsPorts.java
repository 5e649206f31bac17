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
        if (nics.isEmpty()) {
            return;
        }
        String uuid = spec.uuid().toString();
        List<String> ifaces = nics.stream().map(nic -> nic.hostInterface(spec.uuid())).toList();
        synchronized (OVSDB_WRITES) {
            // one transaction, which OVSDB refuses whole if any port exists: the common case is one run, no owner read
            try {
                run(addPorts(nics, ifaces, uuid, false));
                return;
            } catch (HypervisorException refused) {
                // a port exists (the VM's own, left by its earlier run, or not its own), or the add failed for another reason
            }
            List<Optional<String>> owners = owners(ifaces);
            for (int i = 0; i < nics.size(); i++) {
                Optional<String> owner = owners.get(i);
                if (owner.isPresent() && !owner.get().equals(uuid)) {
                    throw new HypervisorException("cannot plug interface " + nics.get(i).index() + " of domain '"
                            + spec.name() + "' into bridge " + nics.get(i).bridge() + ": Open vSwitch interface "
                            + ifaces.get(i) + " exists and is " + ownerText(owner.get()));
                }
            }
            run(addPorts(nics, ifaces, uuid, true));
        }
    }

    /**
     * @param replaceOwn the VM's own ports may exist: each is removed and added afresh in the same transaction, since
     *        a port its earlier run left (an unplug that failed, a daemon that died first) keeps what was set on it
     *        then: the port data of a VM that has been elsewhere since, which the network section would not overwrite
     *        when the VM brings none. libvirt's virNetDevOpenvswitchAddPort takes such a port as it is (--may-exist)
     */
    private static String[] addPorts(List<DomainSpec.Nic> nics, List<String> ifaces, String uuid, boolean replaceOwn) {
        List<String> args = new ArrayList<>();
        for (int i = 0; i < nics.size(); i++) {
            if (replaceOwn) {
                args.addAll(List.of("--", "--if-exists", "del-port", ifaces.get(i)));
            }
            args.addAll(List.of("--", "add-port"));
            args.addAll(List.of(nics.get(i).bridge(), ifaces.get(i),
                    "--", "set", "Interface", ifaces.get(i), "external_ids:vm-uuid=" + uuid));
        }
        return args.toArray(String[]::new);
    }

    /**
     * Removes the VM's ports; returns what went wrong and the ports left alone because they are not the VM's, for
     * the caller to log (a gone VM cannot fail).
     */
    List<String> unplug(DomainSpec spec) {
        List<DomainSpec.Nic> nics = ovsNics(spec);
        if (nics.isEmpty()) {
            return List.of();
        }
        List<String> problems = new ArrayList<>();
        String uuid = spec.uuid().toString();
        synchronized (OVSDB_WRITES) {
            List<String> ifaces = nics.stream().map(nic -> nic.hostInterface(spec.uuid())).toList();
            List<String> delete = new ArrayList<>();
            try {
                List<Optional<String>> owners = owners(ifaces);
                for (int i = 0; i < nics.size(); i++) {
                    Optional<String> owner = owners.get(i);
                    if (owner.isPresent() && owner.get().equals(uuid)) {
                        delete.addAll(List.of("--", "--if-exists", "del-port", ifaces.get(i)));
                    } else if (owner.isPresent()) {
                        problems.add("Open vSwitch port " + ifaces.get(i) + " of interface " + nics.get(i).index()
                                + " of domain '" + spec.name() + "' is left in place: it is " + ownerText(owner.get()));
                    }
                }
                if (!delete.isEmpty()) {
                    run(delete.toArray(String[]::new));
                }
            } catch (HypervisorException e) {
                problems.add(e.getMessage());
            }
        }
        return problems;
    }

    private List<DomainSpec.Nic> ovsNics(DomainSpec spec) {
        return db == null ? List.of() : spec.nics().stream().filter(n -> "openvswitch".equals(n.virtualPortType())).toList();
    }

    /**
     * The {@code external_ids:vm-uuid} of each interface, read in one {@code ovs-vsctl} run: "" if it has none, empty
     * if no such interface.
     */
    private List<Optional<String>> owners(List<String> ifaces) throws HypervisorException {
        List<String> args = new ArrayList<>();
        for (String iface : ifaces) {
            args.addAll(List.of("--", "--if-exists", "get", "Interface", iface, "name", "external_ids:vm-uuid"));
        }
        // per interface that exists, in order: a line for its name, one for the key (empty when the key is missing)
        List<String> lines = run(args.toArray(String[]::new)).lines().map(OvsPorts::unquoted).toList();
        List<Optional<String>> owners = new ArrayList<>();
        int next = 0;
        for (String iface : ifaces) {
            boolean exists = next < lines.size() && lines.get(next).equals(iface);
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
