package io.ferry.driver.sim;

import io.ferry.api.host.ProcessRunner;
import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.api.hypervisor.HypervisorException;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Plugs a VM's {@code <virtualport type='openvswitch'/>} NICs into their bridges in this host's OVSDB, as
 * libvirt does when QEMU starts (virNetDevOpenvswitchAddPort), and unplugs them when the VM goes. Only the
 * database is written ({@code --no-wait}): the simulated VM has no real tap device.
 */
final class OvsPorts {
    /** No OVSDB configured on this host: nothing is plugged. */
    static final OvsPorts NONE = new OvsPorts(null, null, null);
    private static final Duration LIMIT = Duration.ofSeconds(10);

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

    void plug(DomainSpec spec) throws HypervisorException {
        for (DomainSpec.Nic nic : ovsNics(spec)) {
            String iface = nic.hostInterface(spec.uuid());
            if (nic.bridge() == null) {
                throw new HypervisorException("interface " + nic.index() + " of domain '" + spec.name()
                        + "' has an openvswitch virtualport but no source bridge");
            }
            run("--", "--may-exist", "add-port", nic.bridge(), iface,
                    "--", "set", "Interface", iface, "external_ids:vm-uuid=" + spec.uuid());
        }
    }

    /** Removes the VM's ports; returns what went wrong, for the caller to log (a gone VM cannot fail). */
    List<String> unplug(DomainSpec spec) {
        List<String> problems = new ArrayList<>();
        for (DomainSpec.Nic nic : ovsNics(spec)) {
            try {
                run("--", "--if-exists", "del-port", nic.hostInterface(spec.uuid()));
            } catch (HypervisorException e) {
                problems.add(e.getMessage());
            }
        }
        return problems;
    }

    private List<DomainSpec.Nic> ovsNics(DomainSpec spec) {
        return db == null ? List.of() : spec.nics().stream().filter(n -> "openvswitch".equals(n.virtualPortType())).toList();
    }

    private void run(String... args) throws HypervisorException {
        List<String> command = new ArrayList<>(List.of(program, "--db=" + db, "--no-wait", "--timeout=5"));
        command.addAll(List.of(args));
        String label = String.join(" ", command);
        try {
            processes.run(label, command, null, LIMIT).requireSuccess(label);
        } catch (IOException e) {
            throw new HypervisorException(e.getMessage(), e);
        }
    }
}
