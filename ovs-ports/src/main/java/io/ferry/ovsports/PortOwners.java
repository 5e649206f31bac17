package io.ferry.ovsports;

import io.ferry.api.hypervisor.HypervisorException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * Whose a VM's ports are in the OVSDB. Records are found by their exact name with {@code find}: a name given to
 * {@code get} or {@code set} that no record has is taken for a prefix of a record's _uuid (4 hex digits or more, OVS
 * lib/db-ctl-base.c ctl_get_row), and another record, another VM's, would be read in its place.
 */
final class PortOwners {
    /** Port name to its interfaces as printed ({@code [UUID, ...]}). */
    private final Map<String, String> interfacesOfPort = new HashMap<>();
    /** Interface name to its _uuid. */
    private final Map<String, String> uuidOfInterface = new HashMap<>();
    /** The _uuid of each interface whose {@code external_ids:vm-uuid} is the VM's. */
    private final Set<String> vms = new HashSet<>();

    private PortOwners() {
    }

    /**
     * Each port's owner: empty if there is neither a Port nor an Interface of its name; the interface's
     * {@code external_ids:vm-uuid} ("" if it has none) if the port is that one interface, as plug makes it; else "", no
     * VM's: a port without an interface of its name (a bond, which {@code add-bond} makes of other interfaces; del-port
     * would remove them all), or an interface of a port named otherwise. One {@code ovs-vsctl} run when each port is
     * the VM's or absent; a second reads the owners of the others.
     */
    static List<Optional<String>> read(UUID vm, List<VmPorts.Port> ports, VmPorts.Commands ovsVsctl)
            throws HypervisorException {
        List<String> args = new ArrayList<>();
        for (VmPorts.Port port : ports) {
            String named = "name=" + OvsdbText.quoted(port.iface());
            args.addAll(List.of("--", "--columns=name,interfaces", "find", "Port", named,
                    "--", "--columns=name,_uuid", "find", "Interface", named,
                    "--", "--columns=_uuid", "find", "Interface", named,
                    "external_ids:vm-uuid=" + OvsdbText.quoted(vm.toString())));
        }
        PortOwners found = new PortOwners();
        for (Map<String, String> record : OvsdbText.records(ovsVsctl.run(args))) {
            if (record.containsKey("interfaces")) {
                found.interfacesOfPort.put(name(record), record.get("interfaces"));
            } else if (record.containsKey("name")) {
                found.uuidOfInterface.put(name(record), column(record, "_uuid"));
            } else {
                found.vms.add(column(record, "_uuid"));
            }
        }
        List<String> others = ports.stream().map(found::soleInterface)
                .filter(iface -> iface != null && !found.vms.contains(iface)).toList();
        Map<String, String> ownerOf = vmUuids(others, ovsVsctl);
        List<Optional<String>> owners = new ArrayList<>();
        for (VmPorts.Port port : ports) {
            String iface = found.soleInterface(port);
            if (iface != null) {
                owners.add(Optional.of(found.vms.contains(iface) ? vm.toString() : ownerOf.get(iface)));
            } else {
                boolean exists = found.interfacesOfPort.containsKey(port.iface())
                        || found.uuidOfInterface.containsKey(port.iface());
                owners.add(exists ? Optional.of("") : Optional.empty());
            }
        }
        return owners;
    }

    /** The _uuid of the interface of the port's name when it is the port's one interface, or null. */
    private String soleInterface(VmPorts.Port port) {
        String iface = uuidOfInterface.get(port.iface());
        return iface != null && ("[" + iface + "]").equals(interfacesOfPort.get(port.iface())) ? iface : null;
    }

    /**
     * Each interface's {@code external_ids:vm-uuid} ("" if it has none), by its _uuid, read by that full _uuid, which
     * names no other record; an interface removed since it was found fails the read.
     */
    private static Map<String, String> vmUuids(List<String> ifaces, VmPorts.Commands ovsVsctl)
            throws HypervisorException {
        if (ifaces.isEmpty()) {
            return Map.of();
        }
        List<String> args = new ArrayList<>();
        ifaces.forEach(iface -> args.addAll(List.of("--", "--if-exists", "get", "Interface", iface, "_uuid",
                "external_ids:vm-uuid")));
        // per interface that still exists, in order: its _uuid, then the key (an empty line when it has none)
        List<String> lines = new ArrayList<>(ovsVsctl.run(args).lines().map(String::strip).toList());
        if (lines.size() % 2 == 1) {
            lines.add(""); // the last interface's empty key, its newline dropped
        }
        Map<String, String> vmUuids = new HashMap<>();
        for (int i = 0; i < ifaces.size(); i++) {
            if (lines.size() != 2 * ifaces.size() || !lines.get(2 * i).equals(ifaces.get(i))) {
                throw new HypervisorException("Open vSwitch interface " + ifaces.get(i)
                        + " was removed while its owner was read");
            }
            vmUuids.put(ifaces.get(i), OvsdbText.string(lines.get(2 * i + 1)));
        }
        return vmUuids;
    }

    private static String name(Map<String, String> record) throws HypervisorException {
        return OvsdbText.string(column(record, "name"));
    }

    private static String column(Map<String, String> record, String column) throws HypervisorException {
        String value = record.get(column);
        if (value == null) {
            throw new HypervisorException("ovs-vsctl printed a record without its " + column + ": " + record);
        }
        return value;
    }
}
