package io.ferry.core.domain;

import io.ferry.api.cookie.CookieException;
import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.api.hypervisor.MachineType;
import io.ferry.api.hypervisor.VirtualMachine;
import io.ferry.core.cookie.CookieCodec;
import io.ferry.protocol.xml.XmlWriter;
import io.ferry.protocol.xml.HardenedXmlParser;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

/**
 * libvirt's domain XML, read into a {@link DomainSpec}: the generic parts every driver shares.
 *
 * <p>A definition may nest one level less than the parser's limit ({@code cookieMaxDepth}): every document that
 * carries it, the status file ({@code <domstatus>}), a snapshot ({@code <domainsnapshot>}) and the migration
 * cookie ({@code <qemu-migration>}), wraps it in one more element, and each of them is read back, here or by a
 * peer, under that same limit. Refusing the deeper definition at input keeps every one of them readable.
 */
public final class DomainXml {
    /** Elements that the documents carrying a definition put around it. */
    static final int WRAPPING_LEVELS = 1;
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._+-]{0,63}");
    private static final Pattern UUID_ELEMENT = Pattern.compile("<uuid>([^<]{1,80})</uuid>");

    private final HardenedXmlParser parser;

    public DomainXml(HardenedXmlParser parser) {
        this.parser = parser;
    }

    /**
     * Parses and checks a definition. A definition without {@code <uuid>} gets one, as libvirt's define does.
     *
     * @throws CookieException naming what is missing or malformed
     */
    public DomainSpec parse(String xml) throws CookieException {
        return parse(xml, false);
    }

    /**
     * Parses and checks a definition an operator defines: as {@link #parse}, and each interface without a MAC address
     * gets one ({@link InterfaceMacs}), as libvirt's define gives it. Not for definitions stored or brought by a
     * migration: a guest defined before this keeps the address QEMU gave it.
     */
    public DomainSpec parseNew(String xml) throws CookieException {
        return parse(xml, true);
    }

    private DomainSpec parse(String xml, boolean newDefinition) throws CookieException {
        Document document = document(xml);
        Element domain = document.getDocumentElement();
        if (!domain.getTagName().equals("domain")) {
            throw new CookieException("domain definition has root element <" + domain.getTagName() + ">, expected <domain>");
        }
        int depth = depth(domain);
        if (depth > maxDepth()) {
            throw new CookieException("domain definition nests " + depth + " elements deep, over the limit of " + maxDepth()
                    + " (the status file, snapshots and migration cookies that carry it add a level, and cookieMaxDepth is "
                    + parser.maxDepth() + ")");
        }
        String type = domain.getAttribute("type");
        if (type.isEmpty()) {
            throw new CookieException("missing domain type attribute");
        }
        String name = text(domain, "name");
        if (name == null || name.isBlank()) {
            throw new CookieException("missing domain name");
        }
        if (!NAME.matcher(name).matches()) {
            throw new CookieException("invalid domain name '" + name + "': letters, digits, '.', '_', '+', '-' only");
        }
        String uuidText = text(domain, "uuid");
        UUID uuid;
        if (uuidText == null) {
            uuid = UUID.randomUUID();
            Element element = document.createElement("uuid");
            element.setTextContent(uuid.toString());
            domain.insertBefore(element, child(domain, "name").getNextSibling());
        } else {
            // libvirt's rule (virUUIDParse): 32 hex digits, '-' or ' ' between pairs; UUID.fromString took "1-2-3-4-5"
            uuid = CookieCodec.libvirtUuid(uuidText.trim());
            if (uuid == null) {
                throw new CookieException("malformed domain uuid '" + uuidText + "'");
            }
        }
        long memoryKiB = memoryKiB(child(domain, "memory"));
        int vcpus = vcpus(child(domain, "vcpu"));
        Element devices = child(domain, "devices");
        List<DomainSpec.Disk> disks = new ArrayList<>();
        List<DomainSpec.Nic> nics = new ArrayList<>();
        List<DomainSpec.Graphics> graphics = new ArrayList<>();
        if (devices != null) {
            for (Node node = devices.getFirstChild(); node != null; node = node.getNextSibling()) {
                if (node instanceof Element device) {
                    switch (device.getTagName()) {
                        case "disk" -> disks.add(disk(device));
                        case "interface" -> {
                            if (newDefinition) {
                                InterfaceMacs.give(device);
                            }
                            nics.add(nic(device, nics.size()));
                        }
                        case "graphics" -> graphics.add(graphics(device));
                        default -> {
                        }
                    }
                }
            }
        }
        String formatted = XmlWriter.write(domain);
        int size = formatted.getBytes(StandardCharsets.UTF_8).length;
        if (size > parser.maxBytes()) { // it is stored formatted, and must parse again
            throw new CookieException("domain definition is " + size + " bytes once formatted, over the limit of "
                    + parser.maxBytes() + " bytes");
        }
        return new DomainSpec(name, uuid, type, memoryKiB, vcpus, disks, nics, graphics, formatted);
    }

    /** The deepest nesting a definition may have. */
    public int maxDepth() {
        return parser.maxDepth() - WRAPPING_LEVELS;
    }

    /** How deep elements nest below and including {@code element} (1 for an element without child elements). */
    private static int depth(Element element) {
        int deepest = 0;
        for (Node node = element.getFirstChild(); node != null; node = node.getNextSibling()) {
            if (node instanceof Element child) {
                deepest = Math.max(deepest, depth(child));
            }
        }
        return deepest + 1;
    }

    /**
     * The definition {@code vm} runs, as libvirt's live definition has it: {@code spec} with the machine type the VM's
     * hypervisor says it runs ({@link MachineType}: an alias such as QEMU's {@code pc} resolved, one chosen for a
     * definition that names none), so that a destination starts that machine whatever its own hypervisor's aliases
     * mean; {@code spec} itself where the two do not differ, or the VM or the definition names no machine.
     */
    public DomainSpec running(DomainSpec spec, VirtualMachine vm) throws CookieException {
        String machine = vm.capability(MachineType.class).map(MachineType::machine).orElse(null);
        if (machine == null) {
            return spec;
        }
        Document document = document(spec.xml());
        Element type = osType(document.getDocumentElement());
        if (type == null || machine.equals(type.getAttribute("machine"))) {
            return spec;
        }
        type.setAttribute("machine", machine);
        return parse(XmlWriter.write(document.getDocumentElement()));
    }

    /** The machine type {@code spec} names ({@code <os><type machine>}), or null for none. */
    public String machine(DomainSpec spec) throws CookieException {
        Document document = document(spec.xml());
        Element type = osType(document.getDocumentElement());
        return type == null || !type.hasAttribute("machine") ? null : type.getAttribute("machine");
    }

    private Document document(String xml) throws CookieException {
        return CookieCodec.document(parser, xml.getBytes(StandardCharsets.UTF_8), "domain definition");
    }

    private static Element osType(Element domain) {
        Element os = child(domain, "os");
        return os == null ? null : child(os, "type");
    }

    /** The same definition under another name ({@code migrate --dname}). */
    public DomainSpec rename(DomainSpec spec, String newName) throws CookieException {
        Document document = document(spec.xml());
        child(document.getDocumentElement(), "name").setTextContent(newName);
        return parse(XmlWriter.write(document.getDocumentElement()));
    }

    private static long memoryKiB(Element memory) throws CookieException {
        if (memory == null) {
            throw new CookieException("missing memory element in domain definition");
        }
        String unit = memory.getAttribute("unit");
        long multiplierBytes = switch (unit.isEmpty() ? "kib" : unit.toLowerCase(Locale.ROOT)) {
            case "b", "bytes" -> 1;
            case "k", "kib" -> 1024;
            case "kb" -> 1000;
            case "m", "mib" -> 1024L * 1024;
            case "mb" -> 1000L * 1000;
            case "g", "gib" -> 1024L * 1024 * 1024;
            case "gb" -> 1000L * 1000 * 1000;
            default -> throw new CookieException("unknown memory unit '" + unit + "'");
        };
        try {
            long value = Long.parseLong(memory.getTextContent().trim());
            if (value <= 0) {
                throw new NumberFormatException();
            }
            return Math.multiplyExact(value, multiplierBytes) / 1024;
        } catch (NumberFormatException | ArithmeticException e) {
            throw new CookieException("malformed memory size '" + memory.getTextContent().trim() + "'");
        }
    }

    private static int vcpus(Element vcpu) throws CookieException {
        if (vcpu == null) {
            return 1;
        }
        try {
            int value = Integer.parseInt(vcpu.getTextContent().trim());
            if (value < 1) {
                throw new NumberFormatException();
            }
            return value;
        } catch (NumberFormatException e) {
            throw new CookieException("malformed vcpu count '" + vcpu.getTextContent().trim() + "'");
        }
    }

    private static DomainSpec.Disk disk(Element disk) {
        Element source = child(disk, "source");
        Element target = child(disk, "target");
        // none given is no source (an empty drive): leased as "", every such disk was one resource
        String path = source == null ? null : !source.getAttribute("file").isEmpty() ? source.getAttribute("file")
                : !source.getAttribute("dev").isEmpty() ? source.getAttribute("dev") : null;
        Element driver = child(disk, "driver");
        String format = driver == null || !driver.hasAttribute("type") ? null : driver.getAttribute("type");
        return new DomainSpec.Disk(path, target == null ? null : target.getAttribute("dev"), child(disk, "readonly") != null,
                format);
    }

    private static DomainSpec.Nic nic(Element nic, int index) {
        Element mac = child(nic, "mac");
        Element source = child(nic, "source");
        Element virtualPort = child(nic, "virtualport");
        Element target = child(nic, "target");
        return new DomainSpec.Nic(index, nic.getAttribute("type"), mac == null ? null : mac.getAttribute("address"),
                source == null || source.getAttribute("bridge").isEmpty() ? null : source.getAttribute("bridge"),
                virtualPort == null ? null : virtualPort.getAttribute("type"),
                target == null || target.getAttribute("dev").isEmpty() ? null : target.getAttribute("dev"));
    }

    private static DomainSpec.Graphics graphics(Element graphics) {
        int port;
        try {
            port = "yes".equals(graphics.getAttribute("autoport")) ? -1 : Integer.parseInt(graphics.getAttribute("port"));
        } catch (NumberFormatException e) {
            port = -1;
        }
        String listen = graphics.getAttribute("listen");
        return new DomainSpec.Graphics(graphics.getAttribute("type"), port, listen.isEmpty() ? null : listen);
    }

    static Element child(Element parent, String name) {
        for (Node node = parent.getFirstChild(); node != null; node = node.getNextSibling()) {
            if (node instanceof Element element && element.getTagName().equals(name)) {
                return element;
            }
        }
        return null;
    }

    /**
     * The text of {@code parent}'s child {@code name}, or null. Text only: elements inside it would be flattened into
     * the value here and indented apart in the stored definition, which would then read back as another value.
     */
    private static String text(Element parent, String name) throws CookieException {
        Element element = child(parent, name);
        if (element == null) {
            return null;
        }
        for (Node node = element.getFirstChild(); node != null; node = node.getNextSibling()) {
            if (node.getNodeType() == Node.ELEMENT_NODE) {
                throw new CookieException("domain <" + name + "> holds an element <" + node.getNodeName() + ">: text only");
            }
        }
        return element.getTextContent().trim();
    }

    /**
     * The UUID of the first {@code <uuid>} of a definition or status file read as text, in any spelling a definition
     * may use (libvirt's: upper case, no dashes), or null: what finds a domain's run directory, named by the canonical
     * form, when the file cannot be parsed or the run directory's record is gone.
     */
    static UUID uuidIn(String text) {
        Matcher uuid = text == null ? null : UUID_ELEMENT.matcher(text);
        return uuid != null && uuid.find() ? CookieCodec.libvirtUuid(uuid.group(1).trim()) : null;
    }
}
