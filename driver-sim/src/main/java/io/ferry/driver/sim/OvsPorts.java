package io.ferry.driver.sim;

import io.ferry.api.host.ProcessRunner;
import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.api.hypervisor.HypervisorException;
import io.ferry.ovsports.VmPorts;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Plugs a VM's {@code <virtualport type='openvswitch'/>} NICs into their bridges in this host's OVSDB, as
 * libvirt does when QEMU starts, and unplugs them when the VM goes, by the rule both drivers follow ({@link VmPorts}:
 * a port is the VM's by its {@code external_ids:vm-uuid}). The simulated VM has no real tap device: each NIC's port
 * is its host interface name.
 */
final class OvsPorts {
    /** No OVSDB configured on this host: nothing is plugged. */
    static final OvsPorts NONE = new OvsPorts(null);
    private static final Duration LIMIT = Duration.ofSeconds(10);
    /** A Linux interface name, as the QEMU driver reads a tap's: at most 15 characters, no '/', ':', whitespace. */
    private static final String IFNAME = "[A-Za-z0-9_.+-]{1,15}";
    private static final Path HOST_DEVICES = Path.of("/sys/class/net");

    /** Null when there is no OVSDB. */
    private final VmPorts ports;

    private OvsPorts(VmPorts ports) {
        this.ports = ports;
    }

    /** {@code ovs-vsctl} against {@code db} ({@code unix:PATH}), or {@link #NONE} when db is empty. */
    static OvsPorts of(ProcessRunner processes, String db) {
        return db == null || db.isBlank() ? NONE : new OvsPorts(new VmPorts("ovs-vsctl", db.trim(), command -> {
            String label = String.join(" ", command);
            try {
                return processes.run(label, command, null, LIMIT).requireSuccess(label).stdout();
            } catch (IOException e) {
                throw new HypervisorException(e.getMessage(), e);
            }
        }));
    }

    /**
     * Plugs every NIC; a refused interface fails the call before any port is added. The simulated VM makes no device,
     * so a port named after one of this host's (a definition's {@code <target dev='eth1'/>}, an operator's or a peer's)
     * would have ovs-vswitchd take the host's card into the bridge, its traffic lost to the host: refused, whoever's
     * the port is in the OVSDB (a VM that took the card under an earlier build is its owner there).
     */
    void plug(DomainSpec spec) throws HypervisorException {
        List<DomainSpec.Nic> nics = ovsNics(spec);
        for (DomainSpec.Nic nic : nics) {
            if (nic.bridge() == null) {
                throw new HypervisorException("interface " + nic.index() + " of domain '" + spec.name()
                        + "' has an openvswitch virtualport but no source bridge");
            }
            String refused = refusal(nic.hostInterface(spec.uuid()));
            if (refused != null) {
                throw new HypervisorException("cannot plug interface " + nic.index() + " of domain '" + spec.name()
                        + "' into bridge " + nic.bridge() + ": " + refused);
            }
        }
        if (!nics.isEmpty()) {
            ports.plug(spec.name(), spec.uuid(), ports(spec, nics));
        }
    }

    /**
     * Removes the VM's ports; returns what went wrong and the ports left alone because they are not the VM's, for
     * the caller to log (a gone VM cannot fail).
     */
    List<String> unplug(DomainSpec spec) {
        List<DomainSpec.Nic> nics = ovsNics(spec);
        return nics.isEmpty() ? List.of() : ports.unplug(spec.name(), spec.uuid(), ports(spec, nics));
    }

    private List<DomainSpec.Nic> ovsNics(DomainSpec spec) {
        return ports == null ? List.of() : spec.nics().stream().filter(n -> "openvswitch".equals(n.virtualPortType())).toList();
    }

    /** Why {@code iface} may not be a sim VM's port, or null. */
    private static String refusal(String iface) {
        if (!iface.matches(IFNAME)) {
            String shown = iface.length() > 32 ? iface.substring(0, 32) + "…" : iface;
            return "target dev '" + shown + "' is no interface name (at most 15 characters of A-Z, a-z, 0-9, '_', '.',"
                    + " '+', '-')";
        }
        Path device = HOST_DEVICES.resolve(iface);
        return Files.exists(device, LinkOption.NOFOLLOW_LINKS) ? iface + " is a network device of this host (" + device
                + "), not the VM's: a sim VM has none, and the port would take its traffic" : null;
    }

    private static List<VmPorts.Port> ports(DomainSpec spec, List<DomainSpec.Nic> nics) {
        return nics.stream().map(nic -> new VmPorts.Port(nic.index(), nic.bridge(), nic.hostInterface(spec.uuid()))).toList();
    }
}
