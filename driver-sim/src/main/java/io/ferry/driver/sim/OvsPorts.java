package io.ferry.driver.sim;

import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.api.hypervisor.HypervisorException;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Plugs a VM's {@code <virtualport type='openvswitch'/>} NICs into their bridges in this host's OVSDB, as
 * libvirt does when QEMU starts (virNetDevOpenvswitchAddPort), and unplugs them when the VM goes. Only the
 * database is written ({@code --no-wait}): the simulated VM has no real tap device.
 */
final class OvsPorts {
    /** No OVSDB configured on this host: nothing is plugged. */
    static final OvsPorts NONE = new OvsPorts(null, null);
    private static final long WAIT_SECONDS = 10;

    private final String program;
    private final String db;

    OvsPorts(String program, String db) {
        this.program = program;
        this.db = db;
    }

    /** {@code ovs-vsctl} against {@code db} ({@code unix:PATH}), or {@link #NONE} when db is empty. */
    static OvsPorts of(String db) {
        return db == null || db.isBlank() ? NONE : new OvsPorts("ovs-vsctl", db.trim());
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
        File err = null;
        try {
            err = File.createTempFile("ovs-vsctl", ".err"); // a file: a chatty child cannot block on a full pipe
            Process process = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .redirectError(err).start();
            if (!process.waitFor(WAIT_SECONDS, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new HypervisorException(String.join(" ", command) + " did not finish within " + WAIT_SECONDS + " s");
            }
            if (process.exitValue() != 0) {
                throw new HypervisorException(String.join(" ", command) + " failed (exit " + process.exitValue() + "): "
                        + Files.readString(err.toPath(), StandardCharsets.UTF_8).strip());
            }
        } catch (IOException e) {
            throw new HypervisorException("cannot run " + program + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HypervisorException("interrupted while running " + program, e);
        } finally {
            if (err != null && !err.delete()) {
                err.deleteOnExit();
            }
        }
    }
}
