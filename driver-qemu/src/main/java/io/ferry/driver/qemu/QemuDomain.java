package io.ferry.driver.qemu;

import static io.ferry.driver.qemu.DomainXml.attribute;
import static io.ferry.driver.qemu.DomainXml.child;
import static io.ferry.driver.qemu.DomainXml.children;
import static io.ferry.driver.qemu.DomainXml.onlyAttributes;
import static io.ferry.driver.qemu.DomainXml.onlyChildren;
import static io.ferry.driver.qemu.DomainXml.path;
import static io.ferry.driver.qemu.DomainXml.text;
import static io.ferry.driver.qemu.DomainXml.unsupported;

import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.api.hypervisor.HypervisorException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.w3c.dom.Element;

/**
 * What the qemu driver reads of libvirt's domain XML, all of it checked: every element and attribute it does
 * not know is refused with its path ({@link DomainXml}). The generic parts (name, uuid, memory, vcpus) come
 * from the core's {@link DomainSpec}.
 */
record QemuDomain(DomainSpec spec, String arch, String machine, String kernel, String initrd, String cmdline,
        String bootOrder, String emulator, List<Disk> disks, List<Nic> nics, List<Graphics> graphics, String video) {

    /** A {@code <disk type='file' device='disk'>} on the virtio bus. */
    record Disk(String file, String format, String target, boolean readOnly, String pciAddress) {
    }

    /**
     * An {@code <interface>}: {@code bridge} (a tap named {@code tap}, added to {@code bridge}: a Linux bridge, or
     * an Open vSwitch one when {@code openvswitch}) or {@code user} (QEMU's user-mode network).
     */
    record Nic(int index, String type, String mac, String bridge, boolean openvswitch, String tap, String model,
            String pciAddress) {
    }

    /** A {@code <graphics type='vnc'|'spice'>}; {@code port} -1 with autoport. */
    record Graphics(String type, int port, String listen) {
    }

    private static final Set<String> DOMAIN = Set.of("name", "uuid", "title", "description", "metadata", "memory",
            "currentMemory", "vcpu", "os", "features", "clock", "on_poweroff", "on_reboot", "on_crash", "devices",
            "seclabel", "resource");
    private static final Set<String> DEVICES = Set.of("emulator", "disk", "interface", "graphics", "video",
            "controller", "input", "memballoon");
    private static final Map<String, String> NIC_MODELS = Map.of("virtio", "virtio-net-pci", "e1000", "e1000",
            "rtl8139", "rtl8139");
    private static final Map<String, String> BOOT_DEVICES = Map.of("hd", "c", "cdrom", "d", "network", "n", "fd", "a");
    static final Set<String> TYPES = Set.of("qemu", "kvm");

    /** Reads and checks a definition; the message of a refusal names the element or attribute at fault. */
    static QemuDomain of(DomainSpec spec) throws HypervisorException {
        if (!TYPES.contains(spec.type())) {
            throw new HypervisorException("domain type '" + spec.type() + "' is not handled by the qemu driver");
        }
        if (spec.memoryKiB() < 1024) {
            throw new HypervisorException("memory of " + spec.memoryKiB() + " KiB is too small for a QEMU guest (at least 1 MiB)");
        }
        Element domain = DomainXml.parse(spec.xml());
        onlyChildren(domain, DOMAIN);
        onlyAttributes(domain, Set.of("type", "id"));
        defaultsOnly(domain);
        Element currentMemory = child(domain, "currentMemory");
        if (currentMemory != null && !sameSize(currentMemory, child(domain, "memory"))) {
            throw new HypervisorException("unsupported configuration: domain/currentMemory differs from domain/memory"
                    + " (the qemu driver has no balloon)");
        }
        Element vcpu = child(domain, "vcpu");
        if (vcpu != null) {
            onlyAttributes(vcpu, Set.of("placement", "current"));
            String current = attribute(vcpu, "current");
            if (current != null && !current.equals(text(vcpu))) {
                throw unsupported("domain/vcpu/@current", "attribute");
            }
        }
        Element os = child(domain, "os");
        if (os == null) {
            throw new HypervisorException("missing domain/os in the definition of domain '" + spec.name() + "'");
        }
        onlyChildren(os, Set.of("type", "kernel", "initrd", "cmdline", "boot"));
        Element type = child(os, "type");
        if (type == null || !"hvm".equals(text(type))) {
            throw new HypervisorException("domain/os/type must be hvm for the qemu driver, not '" + text(type) + "'");
        }
        onlyAttributes(type, Set.of("arch", "machine"));
        String arch = attribute(type, "arch") == null ? "x86_64" : attribute(type, "arch");
        if (!Set.of("x86_64", "i686").contains(arch)) {
            throw new HypervisorException("domain/os/type/@arch '" + arch + "' is not supported: x86_64 or i686");
        }
        String machine = attribute(type, "machine") == null ? "pc" : attribute(type, "machine");
        if (!machine.matches("[A-Za-z0-9._-]+")) {
            throw new HypervisorException("invalid domain/os/type/@machine '" + machine + "'");
        }
        StringBuilder bootOrder = new StringBuilder();
        for (Element boot : children(os)) {
            if (boot.getLocalName().equals("boot")) {
                onlyAttributes(boot, Set.of("dev"));
                String code = BOOT_DEVICES.get(attribute(boot, "dev"));
                if (code == null) {
                    throw new HypervisorException("unsupported boot device '" + attribute(boot, "dev") + "' in " + path(boot));
                }
                bootOrder.append(code);
            }
        }
        String kernel = text(child(os, "kernel"));
        String initrd = text(child(os, "initrd"));
        String cmdline = text(child(os, "cmdline"));
        if (kernel == null && (initrd != null || cmdline != null)) {
            throw new HypervisorException("domain/os has an initrd or a cmdline but no kernel");
        }
        if (initrd != null && initrd.indexOf(',') >= 0) {
            // QEMU reads a multiboot kernel's -initrd as a list of modules ("a,b"), each opened as root and handed to
            // the guest: a peer's path with a comma passed its file checks as one and named a second file of this host
            throw new HypervisorException("domain/os/initrd '" + UntrustedText.of(initrd) + "' has a comma, which QEMU"
                    + " reads as a list of files");
        }
        if (initrd != null && initrd.chars().anyMatch(Character::isWhitespace)) {
            // and each module's name ends at its first space, what follows being its parameters: QEMU would open
            // '/nfs/l' (a link to /etc/shadow, say) where the peer's checks passed '/nfs/l x'
            throw new HypervisorException("domain/os/initrd '" + UntrustedText.of(initrd) + "' has whitespace, where"
                    + " QEMU ends a multiboot module's file name");
        }
        Element devices = child(domain, "devices");
        List<Disk> disks = new ArrayList<>();
        List<Nic> nics = new ArrayList<>();
        List<Graphics> graphics = new ArrayList<>();
        String emulator = null;
        String video = null;
        if (devices != null) {
            onlyChildren(devices, DEVICES);
            for (Element device : children(devices)) {
                switch (device.getLocalName()) {
                    case "emulator" -> emulator = text(device);
                    case "disk" -> disks.add(QemuDevices.disk(device));
                    case "interface" -> nics.add(QemuDevices.nic(device, nics.size(), spec.uuid()));
                    case "graphics" -> graphics.add(QemuDevices.graphics(device));
                    case "video" -> video = QemuDevices.video(device, video);
                    case "controller" -> QemuDevices.implicitController(device);
                    case "input" -> QemuDevices.implicitInput(device);
                    case "memballoon" -> QemuDevices.noBalloon(device);
                    default -> throw unsupported(path(device), "element");
                }
            }
        }
        return new QemuDomain(spec, arch, machine, kernel, initrd, cmdline,
                bootOrder.isEmpty() ? null : bootOrder.toString(), emulator, disks, nics, graphics, video);
    }

    /** {@code <on_poweroff>} and friends, {@code <features>} and {@code <clock>}: QEMU's defaults only. */
    private static void defaultsOnly(Element domain) throws HypervisorException {
        Map<String, String> lifecycle = Map.of("on_poweroff", "destroy", "on_reboot", "restart", "on_crash", "destroy");
        for (Map.Entry<String, String> action : lifecycle.entrySet()) {
            Element element = child(domain, action.getKey());
            if (element != null && !action.getValue().equals(text(element))) {
                throw new HypervisorException("unsupported configuration: domain/" + action.getKey() + " '"
                        + text(element) + "' (the qemu driver does only '" + action.getValue() + "')");
            }
        }
        Element features = child(domain, "features");
        if (features != null) {
            onlyChildren(features, Set.of("acpi", "apic", "pae")); // what QEMU's x86 machines have anyway
            for (Element feature : children(features)) {
                onlyAttributes(feature, Set.of());
            }
        }
        Element clock = child(domain, "clock");
        if (clock != null) {
            onlyChildren(clock, Set.of());
            onlyAttributes(clock, Set.of("offset"));
            if (!"utc".equals(attribute(clock, "offset"))) {
                throw new HypervisorException("unsupported configuration: domain/clock/@offset '"
                        + attribute(clock, "offset") + "' (the qemu driver keeps the guest clock in utc)");
            }
        }
    }

    private static boolean sameSize(Element a, Element b) {
        String unitA = attribute(a, "unit") == null ? "KiB" : attribute(a, "unit");
        String unitB = b == null || attribute(b, "unit") == null ? "KiB" : attribute(b, "unit");
        return b != null && unitA.equalsIgnoreCase(unitB) && text(a).equals(text(b));
    }

    /**
     * What is checked before a QEMU starts (define, start), not of a running one re-attached, which an upgrade must
     * leave managed: the files QEMU opens ({@link #requireAbsoluteFiles}), the NICs' addresses and the graphics
     * servers' listen addresses.
     */
    void requireStartable() throws HypervisorException {
        requireAbsoluteFiles();
        requireUnicastMacs();
        requireNetworkListeners();
    }

    /**
     * Each disk's file, the kernel, the initrd and an emulator named by a path are absolute paths: QEMU reads a disk
     * name with a colon before any slash as a protocol and its target (nbd:, json: with any driver and file), which is
     * not the file the core leases, and QEMU runs in the VM's run directory, where a relative name would be looked for.
     */
    private void requireAbsoluteFiles() throws HypervisorException {
        for (Disk disk : disks) {
            requireAbsolute("disk " + disk.target() + "'s source file", disk.file(),
                    "QEMU would read a name with a colon as a protocol, and a relative one from its own directory");
        }
        String fromRunDir = "QEMU runs in the VM's run directory, where a relative one would be looked for";
        if (kernel != null) {
            requireAbsolute("domain/os/kernel", kernel, fromRunDir);
        }
        if (initrd != null) {
            requireAbsolute("domain/os/initrd", initrd, fromRunDir);
        }
        if (emulator != null && emulator.contains("/")) { // a bare name is looked up on the PATH
            requireAbsolute("domain/devices/emulator", emulator, fromRunDir + "; a bare name is looked up on the PATH");
        }
    }

    private static void requireAbsolute(String named, String file, String why) throws HypervisorException {
        if (!file.startsWith("/")) {
            throw new HypervisorException(named + " '" + UntrustedText.of(file) + "' is not an absolute path (" + why
                    + ")");
        }
    }

    /**
     * Each NIC's MAC address is unicast, as libvirt requires: a bridge drops every frame sent from a multicast address.
     * QEMU takes 00:00:00:00:00:00 for none and gives the NIC its default, which the first NIC of every guest has.
     */
    private void requireUnicastMacs() throws HypervisorException {
        for (Nic nic : nics) {
            String mac = nic.mac();
            if (mac != null && (Integer.parseInt(mac.substring(0, 2), 16) & 1) != 0) {
                throw new HypervisorException("expected unicast mac address, found multicast '" + mac + "' for interface "
                        + nic.index());
            }
            if (mac != null && mac.equals("00:00:00:00:00:00")) {
                throw new HypervisorException("mac address 00:00:00:00:00:00 of interface " + nic.index() + " is none to"
                        + " QEMU, which would give it the address the first NIC of every guest has: name another, or none"
                        + " for one to be given at define");
            }
        }
    }

    /** No graphics server listens on 'unix': {@code -vnc unix:1} is a socket '1' QEMU unlinks and binds as root. */
    private void requireNetworkListeners() throws HypervisorException {
        for (Graphics g : graphics) {
            if (g.listen().toLowerCase(Locale.ROOT).matches("unix(:.*)?")) {
                throw new HypervisorException("invalid graphics listen address '" + g.listen() + "' in"
                        + " domain/devices/graphics: QEMU reads 'unix:' as a unix socket's path, which it creates as"
                        + " root: an IP address or a host name");
            }
        }
    }

    /** The KVM accelerator for {@code <domain type='kvm'>}, TCG for {@code qemu}. */
    String accelerator() {
        return spec.type().equals("kvm") ? "kvm" : "tcg";
    }
}
