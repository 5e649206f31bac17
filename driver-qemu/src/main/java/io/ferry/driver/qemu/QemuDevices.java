package io.ferry.driver.qemu;

import static io.ferry.driver.qemu.DomainXml.attribute;
import static io.ferry.driver.qemu.DomainXml.child;
import static io.ferry.driver.qemu.DomainXml.onlyAttributes;
import static io.ferry.driver.qemu.DomainXml.onlyChildren;
import static io.ferry.driver.qemu.DomainXml.path;
import static io.ferry.driver.qemu.DomainXml.unsupported;

import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.api.hypervisor.HypervisorException;
import java.util.Set;
import java.util.UUID;
import org.w3c.dom.Element;

/** The {@code <devices>} the qemu driver honours, each read and checked; the rest is refused by path. */
final class QemuDevices {
    private static final Set<String> NIC_MODELS = Set.of("virtio", "e1000", "rtl8139");
    /** A Linux interface name: at most 15 characters, none of '/', ':', whitespace. */
    private static final String IFNAME = "[A-Za-z0-9_.+-]{1,15}";

    private QemuDevices() {
    }

    static QemuDomain.Disk disk(Element disk) throws HypervisorException {
        onlyAttributes(disk, Set.of("type", "device"));
        onlyChildren(disk, Set.of("driver", "source", "target", "readonly", "address", "alias"));
        if (!"file".equals(attribute(disk, "type"))) {
            throw new HypervisorException("unsupported configuration: " + path(disk) + " of type '"
                    + attribute(disk, "type") + "' (the qemu driver does type='file')");
        }
        if (attribute(disk, "device") != null && !"disk".equals(attribute(disk, "device"))) {
            throw new HypervisorException("unsupported configuration: " + path(disk) + " device '"
                    + attribute(disk, "device") + "' (the qemu driver does device='disk')");
        }
        String format = "raw";
        Element driver = child(disk, "driver");
        if (driver != null) {
            onlyAttributes(driver, Set.of("name", "type"));
            if (attribute(driver, "name") != null && !"qemu".equals(attribute(driver, "name"))) {
                throw unsupported(path(driver) + "/@name", "attribute");
            }
            format = attribute(driver, "type") == null ? "raw" : attribute(driver, "type");
            if (!Set.of("raw", "qcow2").contains(format)) {
                throw new HypervisorException("unsupported disk format '" + format + "' in " + path(driver) + ": raw or qcow2");
            }
        }
        Element source = child(disk, "source");
        String file = source == null ? null : attribute(source, "file");
        if (file == null || file.isBlank()) {
            throw new HypervisorException(path(disk) + " has no source file");
        }
        onlyAttributes(source, Set.of("file"));
        Element target = child(disk, "target");
        if (target == null || attribute(target, "dev") == null || !attribute(target, "dev").matches("vd[a-z]+")) {
            throw new HypervisorException(path(disk) + " needs a target dev vdX (virtio)");
        }
        onlyAttributes(target, Set.of("dev", "bus"));
        if (attribute(target, "bus") != null && !"virtio".equals(attribute(target, "bus"))) {
            throw new HypervisorException("unsupported configuration: " + path(target) + " bus '"
                    + attribute(target, "bus") + "' (the qemu driver does virtio)");
        }
        Element readOnly = child(disk, "readonly");
        if (readOnly != null) {
            onlyAttributes(readOnly, Set.of());
        }
        return new QemuDomain.Disk(file, format, attribute(target, "dev"), readOnly != null,
                pciAddress(child(disk, "address")));
    }

    /** @param domain the domain's UUID, which names a tap its definition does not name */
    static QemuDomain.Nic nic(Element nic, int index, UUID domain) throws HypervisorException {
        onlyAttributes(nic, Set.of("type"));
        onlyChildren(nic, Set.of("mac", "source", "virtualport", "target", "model", "address", "alias"));
        String type = attribute(nic, "type");
        if (!"bridge".equals(type) && !"user".equals(type)) {
            throw new HypervisorException("unsupported configuration: " + path(nic) + " of type '" + type
                    + "' (the qemu driver does bridge and user)");
        }
        String mac = null;
        Element macElement = child(nic, "mac");
        if (macElement != null) {
            onlyAttributes(macElement, Set.of("address"));
            mac = attribute(macElement, "address");
            if (mac == null || !mac.matches("(?i)([0-9a-f]{2}:){5}[0-9a-f]{2}")) {
                throw new HypervisorException("invalid mac address '" + mac + "' in " + path(macElement));
            }
        }
        String model = "rtl8139"; // libvirt's default for x86
        Element modelElement = child(nic, "model");
        if (modelElement != null) {
            onlyAttributes(modelElement, Set.of("type"));
            model = attribute(modelElement, "type");
            if (!NIC_MODELS.contains(model)) {
                throw new HypervisorException("unsupported interface model '" + model + "' in " + path(modelElement)
                        + ": virtio, e1000 or rtl8139");
            }
        }
        String bridge = null;
        boolean openvswitch = false;
        String tap = null;
        Element source = child(nic, "source");
        Element virtualPort = child(nic, "virtualport");
        Element target = child(nic, "target");
        if ("bridge".equals(type)) {
            if (source == null || attribute(source, "bridge") == null || !attribute(source, "bridge").matches(IFNAME)) {
                throw new HypervisorException(path(nic) + " of type bridge needs a source bridge (an interface name)");
            }
            onlyAttributes(source, Set.of("bridge"));
            bridge = attribute(source, "bridge");
            if (virtualPort != null) {
                onlyAttributes(virtualPort, Set.of("type"));
                onlyChildren(virtualPort, Set.of("parameters"));
                if (!"openvswitch".equals(attribute(virtualPort, "type"))) {
                    throw new HypervisorException("unsupported virtualport type '" + attribute(virtualPort, "type")
                            + "' in " + path(virtualPort) + ": openvswitch only");
                }
                openvswitch = true;
            }
            if (target == null) { // as every host names it (libvirt makes up vnetN), and the network section looks it up
                tap = new DomainSpec.Nic(index, type, mac, bridge, null, null).hostInterface(domain);
            } else {
                onlyAttributes(target, Set.of("dev"));
                tap = attribute(target, "dev");
                if (tap == null || !tap.matches(IFNAME)) {
                    throw new HypervisorException(path(target) + " dev " + (tap == null ? "is missing"
                            : "'" + UntrustedText.of(tap) + "' is no interface name") + " (a tap's, at most 15 characters)");
                }
            }
        } else if (source != null || virtualPort != null || target != null) {
            throw unsupported(path(nic) + "/" + (source != null ? "source" : virtualPort != null ? "virtualport" : "target"),
                    "element");
        }
        return new QemuDomain.Nic(index, type, mac, bridge, openvswitch, tap, model, pciAddress(child(nic, "address")));
    }

    static QemuDomain.Graphics graphics(Element graphics) throws HypervisorException {
        onlyAttributes(graphics, Set.of("type", "port", "autoport", "listen"));
        onlyChildren(graphics, Set.of("listen"));
        String type = attribute(graphics, "type");
        if (!"vnc".equals(type) && !"spice".equals(type)) {
            throw new HypervisorException("unsupported graphics type '" + type + "' in " + path(graphics) + ": vnc or spice");
        }
        String listen = attribute(graphics, "listen");
        Element listenElement = child(graphics, "listen");
        if (listenElement != null) {
            onlyAttributes(listenElement, Set.of("type", "address"));
            if (!"address".equals(attribute(listenElement, "type"))) {
                throw unsupported(path(listenElement) + "/@type='" + attribute(listenElement, "type") + "'", "attribute");
            }
            listen = attribute(listenElement, "address");
        }
        if (listen != null && !listen.matches("[A-Za-z0-9.:-]+")) {
            throw new HypervisorException("invalid graphics listen address '" + listen + "' in " + path(graphics));
        }
        int port = -1;
        if (!"yes".equals(attribute(graphics, "autoport")) && attribute(graphics, "port") != null) {
            try {
                port = Integer.parseInt(attribute(graphics, "port"));
            } catch (NumberFormatException e) {
                port = -2;
            }
            if (port != -1 && (port < 5900 || port > 65535)) {
                throw new HypervisorException("invalid graphics port '" + attribute(graphics, "port") + "' in "
                        + path(graphics) + ": -1 (autoport) or 5900-65535");
            }
        }
        return new QemuDomain.Graphics(type, port, listen == null || listen.isEmpty() ? "127.0.0.1" : listen);
    }

    /** The video card: {@code none} or {@code vga} (QEMU's standard VGA); one at most. */
    static String video(Element video, String before) throws HypervisorException {
        if (before != null) {
            throw unsupported(path(video), "element");
        }
        onlyAttributes(video, Set.of());
        onlyChildren(video, Set.of("model", "address", "alias"));
        Element model = child(video, "model");
        String type = model == null ? null : attribute(model, "type");
        if (!"none".equals(type) && !"vga".equals(type)) {
            throw new HypervisorException("unsupported video model '" + type + "' in " + path(video) + ": none or vga");
        }
        return type;
    }

    /** libvirt lists a pc machine's built-in controllers; only those are accepted (no USB: model='none'). */
    static void implicitController(Element controller) throws HypervisorException {
        onlyAttributes(controller, Set.of("type", "index", "model"));
        onlyChildren(controller, Set.of("alias", "address"));
        String type = attribute(controller, "type");
        String model = attribute(controller, "model");
        boolean builtIn = "pci".equals(type) && "pci-root".equals(model)
                || "usb".equals(type) && "none".equals(model)
                || "ide".equals(type) || "fdc".equals(type);
        if (!builtIn) {
            throw unsupported(path(controller) + " type='" + type + "' model='" + model + "'", "element");
        }
    }

    /** The pc machine's PS/2 mouse and keyboard are there anyway. */
    static void implicitInput(Element input) throws HypervisorException {
        onlyAttributes(input, Set.of("type", "bus"));
        onlyChildren(input, Set.of("alias"));
        if (!"ps2".equals(attribute(input, "bus"))) {
            throw unsupported(path(input) + " bus='" + attribute(input, "bus") + "'", "element");
        }
    }

    static void noBalloon(Element balloon) throws HypervisorException {
        onlyAttributes(balloon, Set.of("model"));
        onlyChildren(balloon, Set.of());
        if (!"none".equals(attribute(balloon, "model"))) {
            throw unsupported(path(balloon) + " model='" + attribute(balloon, "model") + "'", "element");
        }
    }

    /** {@code <address type='pci' domain='0x0000' bus='0x00' slot='0x05' function='0x0'/>} on bus 0: "5.0". */
    private static String pciAddress(Element address) throws HypervisorException {
        if (address == null) {
            return null;
        }
        onlyAttributes(address, Set.of("type", "domain", "bus", "slot", "function"));
        try {
            if (!"pci".equals(attribute(address, "type")) || number(address, "domain") != 0 || number(address, "bus") != 0) {
                throw unsupported(path(address), "element");
            }
            int slot = number(address, "slot");
            int function = number(address, "function");
            if (slot < 1 || slot > 31 || function < 0 || function > 7) {
                throw new NumberFormatException();
            }
            return Integer.toHexString(slot) + "." + function;
        } catch (NumberFormatException e) {
            throw new HypervisorException("invalid PCI address in " + path(address));
        }
    }

    private static int number(Element element, String name) {
        String value = attribute(element, name);
        if (value == null) {
            return 0;
        }
        return value.startsWith("0x") ? Integer.parseInt(value.substring(2), 16) : Integer.parseInt(value);
    }
}
