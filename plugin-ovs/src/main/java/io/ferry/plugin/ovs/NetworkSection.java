package io.ferry.plugin.ovs;

import io.ferry.api.cookie.CheckOnly;
import io.ferry.api.cookie.CookieException;
import io.ferry.api.cookie.CookieSection;
import io.ferry.api.cookie.Phase;
import io.ferry.api.cookie.SectionContext;
import io.ferry.api.cookie.SectionProperties;
import io.ferry.api.host.ProcessRunner;
import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.api.hypervisor.VirtualMachine;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

/**
 * libvirt's {@code network} section: Open vSwitch port data read by the source at Perform, after the VM
 * paused, and written by the destination at Finish, before the VM resumes. Optional, as in libvirt: a host
 * without OVS (no {@code ovsdb} configured) or an OVSDB that refuses is logged, never a failed migration.
 */
@Component(service = CookieSection.class, configurationPid = "io.ferry.plugin.ovs",
        configurationPolicy = ConfigurationPolicy.OPTIONAL)
@SectionProperties(feature = "network", element = "network", bakes = Phase.PERFORM, eats = Phase.FINISH)
public class NetworkSection implements CookieSection<PortData> {
    static final String OPENVSWITCH = "openvswitch";

    /** The plug-in's configuration (etc/io.ferry.plugin.ovs.cfg; ferryd --ovsdb puts its value there). */
    public @interface Config {
        /** This host's OVSDB, {@code unix:PATH}; empty: no Open vSwitch on this host. */
        String ovsdb() default "";
    }

    private volatile OvsDb ovs;

    @Reference
    private ProcessRunner processes;

    public NetworkSection() {
    }

    NetworkSection(OvsDb ovs) {
        this.ovs = ovs;
    }

    @Activate
    @Modified
    void configure(Config config) {
        String db = config.ovsdb();
        ovs = db == null || db.isBlank() ? null : new OvsDb(processes, db.trim());
    }

    @Override
    public PortData parse(Element fragment) throws CookieException {
        List<PortData.Interface> interfaces = new ArrayList<>();
        Set<Integer> indexes = new HashSet<>();
        for (Node node = fragment.getFirstChild(); node != null; node = node.getNextSibling()) {
            if (!(node instanceof Element nic) || !nic.getTagName().equals("interface")) {
                continue;
            }
            String vportType = nic.getAttribute("vporttype");
            if (vportType.isEmpty()) {
                throw new CookieException("missing vporttype attribute in migration data");
            }
            int index = interfaces.size();
            if (nic.hasAttribute("index")) {
                try {
                    index = Integer.parseInt(nic.getAttribute("index").trim());
                } catch (NumberFormatException e) {
                    throw new CookieException("malformed interface index '" + nic.getAttribute("index") + "' in migration data");
                }
            }
            // each NIC once (libvirt writes each once): a NIC named over and over would cost an ovs-vsctl run each time
            if (!indexes.add(index)) {
                throw new CookieException("duplicate interface index " + index + " in migration data");
            }
            String portData = null;
            for (Node child = nic.getFirstChild(); child != null; child = child.getNextSibling()) {
                if (child instanceof Element data && data.getTagName().equals("portdata")) {
                    portData = data.getTextContent();
                    break;
                }
            }
            interfaces.add(new PortData.Interface(index, vportType, portData));
        }
        return new PortData(interfaces);
    }

    @Override
    public void format(PortData value, Element fragment) {
        for (PortData.Interface nic : value.interfaces()) {
            Element element = fragment.getOwnerDocument().createElement("interface");
            element.setAttribute("index", Integer.toString(nic.index()));
            element.setAttribute("vporttype", nic.vportType());
            if (nic.portData() != null) {
                Element data = fragment.getOwnerDocument().createElement("portdata");
                data.setTextContent(nic.portData());
                element.appendChild(data);
            }
            fragment.appendChild(element);
        }
    }

    /**
     * Source, Perform (VM paused): every NIC with a virtualport, with the port data of the OVS ones, read from the
     * running VM's interfaces (its own by their {@code external_ids:vm-uuid}). Without that VM (an offline migration
     * of an inactive domain) nothing is baked: the definition is the destination's, which --xml may rename, and the
     * cookie goes to the peer and the command line's user. In a check ({@link CheckOnly}), which has no VM, the
     * definition's NICs are baked without port data, and it says what it would read where.
     */
    @Override
    public Optional<PortData> bake(SectionContext context) {
        Optional<CheckOnly> check = context.capability(CheckOnly.class);
        Optional<DomainSpec> here = here(context, check);
        if (here.isEmpty()) {
            return Optional.empty();
        }
        List<DomainSpec.Nic> nics = here.get().nics().stream()
                .filter(nic -> nic.virtualPortType() != null && !nic.virtualPortType().isBlank()).toList();
        Map<String, String> portData = ovsPortData(context, nics, check);
        List<PortData.Interface> interfaces = new ArrayList<>();
        for (DomainSpec.Nic nic : nics) {
            String data = OPENVSWITCH.equals(nic.virtualPortType()) ? portData.get(nic.hostInterface(context.domainUuid())) : null;
            interfaces.add(new PortData.Interface(nic.index(), nic.virtualPortType(), data));
        }
        return interfaces.isEmpty() ? Optional.empty() : Optional.of(new PortData(interfaces));
    }

    /**
     * The definition this host's interfaces are named by: the domain's VM's, or in a check (no VM) the one given; empty
     * without the VM, since a port named by a definition alone may be another VM's, or the host's.
     */
    private static Optional<DomainSpec> here(SectionContext context, Optional<CheckOnly> check) {
        return check.isPresent() ? context.capability(DomainSpec.class)
                : context.capability(VirtualMachine.class).map(VirtualMachine::spec);
    }

    /**
     * The port data of the OVS NICs' interfaces, by interface; none (a warning said why) when it cannot be read, nor in
     * a check.
     */
    private Map<String, String> ovsPortData(SectionContext context, List<DomainSpec.Nic> nics,
            Optional<CheckOnly> check) {
        List<String> ifaces = nics.stream().filter(nic -> OPENVSWITCH.equals(nic.virtualPortType()))
                .map(nic -> nic.hostInterface(context.domainUuid())).toList();
        if (ifaces.isEmpty()) {
            return Map.of();
        }
        OvsDb db = ovs;
        if (db == null) {
            context.warn("no OVSDB configured on this host: the port data of " + String.join(", ", ifaces) + " stays behind");
            return Map.of();
        }
        if (check.isPresent()) {
            check.get().wouldDo("read the port data of " + String.join(", ", ifaces) + " in " + db.db());
            return Map.of();
        }
        try {
            return db.portData(context.domainUuid(), ifaces);
        } catch (Exception e) {
            context.warn("cannot read the port data of " + String.join(", ", ifaces) + ": " + e.getMessage());
            return Map.of();
        }
    }

    /**
     * Destination, Finish (VM not yet resumed): writes each OVS NIC's port data on the incoming VM's interface of the
     * NIC with the same index (the destination's definition may name its interfaces differently), its own by its
     * {@code external_ids:vm-uuid}. Without that VM
     * (an offline migration) the domain has no port here, and nothing is written. In a check ({@link CheckOnly}),
     * which has no VM, it writes nothing, and says what it would write where by the definition.
     */
    @Override
    public void eat(SectionContext context, PortData value) {
        Optional<CheckOnly> check = context.capability(CheckOnly.class);
        Optional<DomainSpec> here = here(context, check);
        List<DomainSpec.Nic> nics = here.map(DomainSpec::nics).orElse(List.of());
        OvsDb db = ovs;
        long carried = value.interfaces().stream().filter(nic -> nic.portData() != null)
                .mapToLong(nic -> nic.portData().length()).sum();
        if (carried > ProcessRunner.OUTPUT_LIMIT) { // a source reads all of it in one ovs-vsctl run, kept up to that
            context.warn("the cookie carries " + carried + " characters of port data, more than a source reads ("
                    + ProcessRunner.OUTPUT_LIMIT + "): none of it is written");
            return;
        }
        Map<String, String> writes = new LinkedHashMap<>();
        Map<String, Integer> nicOf = new LinkedHashMap<>();
        for (PortData.Interface sent : value.interfaces()) {
            if (!OPENVSWITCH.equals(sent.vportType()) || sent.portData() == null) {
                continue;
            }
            if (here.isEmpty() && check.isEmpty()) { // a port named by a definition alone may be another VM's, or the host's
                context.warn("domain " + context.domainName() + " has no VM on this host: the port data of its interfaces is dropped");
                return;
            }
            DomainSpec.Nic nic = nics.stream().filter(n -> n.index() == sent.index()).findFirst().orElse(null);
            if (nic == null || !OPENVSWITCH.equals(nic.virtualPortType()) || db == null) {
                context.warn("interface " + sent.index() + " has no Open vSwitch port on this host: its port data is dropped");
                continue;
            }
            String iface = nic.hostInterface(context.domainUuid());
            if (check.isPresent()) {
                check.get().wouldDo("write the port data of interface " + sent.index() + " on " + iface + " in " + db.db());
                continue;
            }
            writes.put(iface, sent.portData());
            nicOf.put(iface, sent.index());
        }
        if (writes.isEmpty()) {
            return;
        }
        try {
            db.setPortData(context.domainUuid(), writes); // one transaction: the guest stays paused until Finish ends
            nicOf.forEach((iface, index) -> context.info("port data of interface " + index + " written on " + iface));
        } catch (Exception e) {
            context.warn("unable to provide network data for relocation on " + String.join(", ", writes.keySet()) + ": "
                    + e.getMessage());
        }
    }
}
