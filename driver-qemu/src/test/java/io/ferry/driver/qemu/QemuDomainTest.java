package io.ferry.driver.qemu;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.api.hypervisor.HypervisorException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** What the driver honours of libvirt's domain XML, and what it refuses at define, by name. */
public class QemuDomainTest {
    private static final String UUID_TEXT = "6f1d5c0e-3a52-4f4e-9d42-1b2c3d4e5f60";
    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();
    private final QemuDriver driver = new QemuDriver("qemu", Guests.settings(Path.of("/tmp/unused")));

    private static String domain(String os, String devices) {
        return "<domain type='qemu'><name>vm1</name><uuid>" + UUID_TEXT + "</uuid><memory unit='MiB'>64</memory>"
                + "<vcpu>1</vcpu><os><type arch='x86_64' machine='pc'>hvm</type>" + os + "</os><devices>" + devices
                + "</devices></domain>";
    }

    private static String full() {
        return domain("<kernel>/boot/k</kernel><initrd>/boot/i</initrd><cmdline>console=ttyS0 a,b</cmdline>",
                "<emulator>qemu-system-x86_64</emulator>"
                + "<disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='/d/a,b.qcow2'/>"
                + "<target dev='vda' bus='virtio'/><address type='pci' domain='0x0000' bus='0x00' slot='0x05' function='0x0'/></disk>"
                + "<disk type='file'><source file='/d/b.raw'/><target dev='vdb' bus='virtio'/><readonly/></disk>"
                + "<interface type='bridge'><mac address='52:54:00:aa:bb:01'/><source bridge='br0'/>"
                + "<virtualport type='openvswitch'/><target dev='vnet0'/><model type='virtio'/></interface>"
                + "<interface type='bridge'><source bridge='br1'/><target dev='vnet1'/><model type='e1000'/></interface>"
                + "<interface type='user'><model type='virtio'/></interface>"
                + "<graphics type='vnc' port='5901' listen='127.0.0.1'/>"
                + "<graphics type='spice' autoport='yes'><listen type='address' address='127.0.0.1'/></graphics>"
                + "<video><model type='vga'/></video><controller type='usb' model='none'/><memballoon model='none'/>"
                + "<input type='mouse' bus='ps2'/>");
    }

    /** QEMU runs in its VM's run directory: a relative emulator setting is the one ferryd's directory has. */
    @Test
    public void aRelativeEmulatorSettingIsGivenAbsolute() throws Exception {
        Path dir = java.nio.file.Files.createDirectories(Path.of("target", "relative-emulator"));
        Path qemu = java.nio.file.Files.writeString(dir.resolve("qemu"), "#!/bin/sh\n");
        assertTrue(qemu.toFile().setExecutable(true));
        assertEquals(qemu.toAbsolutePath().toString(),
                QemuCommandLine.emulator(QemuDomain.of(Guests.spec(domain("", ""))), qemu.toString()));
    }

    @Test
    public void readsWhatItHonoursIntoTheCommandLine() throws Exception {
        QemuDomain domain = QemuDomain.of(Guests.spec(full()));
        driver.validate(Guests.spec(full()));
        String line = String.join(" ", QemuCommandLine.of(domain, "/usr/bin/qemu-system-x86_64",
                new RunFiles(Path.of("/run/x")), true, null));
        for (String expected : List.of("-machine pc -accel tcg", "-m size=65536k -smp 1",
                "-nodefaults -no-user-config -display none",
                "-chardev socket,id=qmp,path=/run/x/qmp.sock,server=on,wait=off -mon chardev=qmp,mode=control",
                "-pidfile /run/x/qemu.pid -S", "-kernel /boot/k -initrd /boot/i -append console=ttyS0 a,b",
                "-drive file=/d/a,,b.qcow2,format=qcow2,if=none,id=drive-vda -device virtio-blk-pci,drive=drive-vda,id=vda,bus=pci.0,addr=5.0",
                "-drive file=/d/b.raw,format=raw,if=none,id=drive-vdb,readonly=on",
                "-netdev tap,id=net0,ifname=vnet0,script=no,downscript=no -device virtio-net-pci,netdev=net0,id=net0-nic,romfile=,mac=52:54:00:aa:bb:01",
                "-netdev tap,id=net1,ifname=vnet1,script=no,downscript=no -device e1000,netdev=net1",
                "-netdev user,id=net2", "-device VGA", "-vnc 127.0.0.1:1", "-spice port=",
                "addr=127.0.0.1,disable-ticketing=on,seamless-migration=on", "-incoming defer")) {
            assertTrue("'" + expected + "' in " + line, line.contains(expected));
        }
        assertTrue(line, line.contains("-sandbox on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny"));
        assertFalse(line, line.contains("-run-with"));
        assertTrue(domain.nics().get(0).openvswitch());
        assertEquals("kvm", QemuDomain.of(Guests.spec(full().replace("type='qemu'", "type='kvm'"))).accelerator());
        assertFalse("no <boot/>, no -boot: " + line, line.contains("-boot"));
    }

    /** The boot devices in their order; a PCI address's attributes that libvirt lets out are 0 (bus 0, function 0). */
    @Test
    public void bootOrderAndAShortPciAddress() throws Exception {
        QemuDomain domain = QemuDomain.of(Guests.spec(domain("<boot dev='network'/><boot dev='hd'/>",
                "<disk type='file'><source file='/d/a.raw'/><target dev='vda'/><address type='pci' slot='0x07'/></disk>")));
        String line = String.join(" ", QemuCommandLine.of(domain, "/usr/bin/qemu-system-x86_64", new RunFiles(Path.of("/run/x")),
                false, null));
        assertTrue(line, line.contains(" -boot order=nc "));
        assertTrue(line, line.contains(" -device virtio-blk-pci,drive=drive-vda,id=vda,bus=pci.0,addr=7.0"));
    }

    /** QEMU's own drop to the user is a setuid: the sandbox must let it make that call (QEMU dies of SIGSYS if not). */
    @Test
    public void aQemuUserIsDroppedToAfterStartWithTheSandboxAllowingThatDrop() throws Exception {
        QemuUser nobody = QemuUser.lookup("nobody");
        String line = String.join(" ", QemuCommandLine.of(QemuDomain.of(Guests.spec(full())), "/usr/bin/qemu-system-x86_64",
                new RunFiles(Path.of("/run/x")), false, nobody));
        assertTrue(line, line.endsWith(" -run-with user=nobody"));
        assertTrue(line, line.contains("-sandbox on,obsolete=deny,elevateprivileges=allow,spawn=deny,resourcecontrol=deny"));
    }

    @Test
    public void refusesWhatItCannotHonourNamingIt() {
        refused(domain("", "").replace("<vcpu>", "<cpu mode='host-passthrough'/><vcpu>"), "domain/cpu");
        refused(domain("", "<serial type='pty'/>"), "domain/devices/serial");
        refused(domain("", "<disk type='block'><source dev='/dev/sda'/><target dev='vda'/></disk>"),
                "domain/devices/disk of type 'block'");
        refused(domain("", "<disk type='file' device='cdrom'><source file='/x.iso'/><target dev='vda'/></disk>"),
                "device 'cdrom'");
        refused(domain("", "<disk type='file'><source file='/x'/><target dev='sda' bus='sata'/></disk>"), "target dev vdX");
        refused(domain("", "<disk type='file'><target dev='vda'/></disk>"), "domain/devices/disk has no source file");
        refused(domain("", "").replace("type='qemu'", "type='sim'"), "domain type 'sim' is not handled by the qemu driver");
        refused(domain("", "<disk type='file'><source file='/x'/><target dev='vda' bus='sata'/></disk>"),
                "domain/devices/disk/target bus 'sata'");
        refused(domain("", "<disk type='file'><source file='/a'/><target dev='vda'/></disk><interface type='user'/>"
                + "<disk type='file'><source file='/x'/><target dev='vdb' bus='sata'/></disk>"),
                "domain/devices/disk[2]/target bus 'sata'");
        refused(domain("", "<disk type='file'><driver name='qemu' type='vmdk'/><source file='/x'/><target dev='vda'/></disk>"),
                "disk format 'vmdk'");
        refused(domain("", "<disk type='file'><source file='/x'/><target dev='vda'/><iotune/></disk>"),
                "domain/devices/disk/iotune");
        refused(domain("", "<interface type='network'><source network='default'/></interface>"),
                "domain/devices/interface of type 'network'");
        refused(domain("", "<interface type='bridge'><source bridge='br0'/><virtualport type='802.1Qbh'/><target dev='t'/></interface>"),
                "virtualport type '802.1Qbh'");
        refused(domain("", "<interface type='bridge'><source bridge='br0'/><target dev='t'/><bandwidth/></interface>"),
                "domain/devices/interface/bandwidth");
        refused(domain("", "<graphics type='sdl'/>"), "graphics type 'sdl'");
        refused(domain("", "<graphics type='spice' tlsPort='5902'/>"), "domain/devices/graphics/@tlsPort");
        refused(domain("", "<video><model type='cirrus'/></video>"), "video model 'cirrus'");
        refused(domain("", "<memballoon model='virtio'/>"), "domain/devices/memballoon model='virtio'");
        refused(domain("", "<controller type='usb' model='qemu-xhci'/>"), "domain/devices/controller");
        refused(domain("<loader>/x</loader>", ""), "domain/os/loader");
        refused(domain("", "").replace("<devices>", "<on_reboot>destroy</on_reboot><devices>"), "domain/on_reboot 'destroy'");
        refused(domain("", "").replace("<devices>", "<features><hyperv/></features><devices>"), "domain/features/hyperv");
        refused(domain("", "").replace("arch='x86_64'", "arch='aarch64'"), "arch 'aarch64'");
        refused(domain("", "").replace("<devices>", "<metadata/><sim:x xmlns:sim='urn:x'/><devices>"), "domain/sim:x");
        refused(domain("", "<disk type='file'><driver name='vfio'/><source file='/x'/><target dev='vda'/></disk>"),
                "attribute domain/devices/disk/driver/@name");
        refused(domain("", "<interface type='user'><source bridge='br0'/></interface>"), "domain/devices/interface/source");
        refused(domain("", "<graphics type='vnc'><listen type='socket'/></graphics>"),
                "domain/devices/graphics/listen/@type='socket'");
        refused(domain("", "<video><model type='vga'/></video><video><model type='vga'/></video>"),
                "element domain/devices/video");
        refused(domain("", "<input type='keyboard' bus='usb'/>"), "domain/devices/input bus='usb'");
        refused(domain("", "").replace("<vcpu>1</vcpu>", "<vcpu current='1'>2</vcpu>"), "attribute domain/vcpu/@current");
        refused(domain("", "<interface type='user'><address type='pci' domain='0x0000' bus='0x01' slot='0x03' function='0x0'/>"
                + "</interface>"), "element domain/devices/interface/address");
        refused(domain("", "<disk type='file'><source file='/x'/><target dev='vda'/><readonly mode='soft'/></disk>"),
                "attribute domain/devices/disk/readonly/@mode");
    }

    /**
     * Values that would reach QEMU's command line (a peer's Prepare sends the definition) are refused, naming them, where
     * a comma or an odd value could add an option of the sender's choosing to QEMU's.
     */
    @Test
    public void refusesMalformedValuesNamingThem() {
        String bridgeNic = "<interface type='bridge'><source bridge='br0'/><target dev='t0'/>%s</interface>";
        refused(domain("", "").replace("machine='pc'", "machine='pc,accel=kvm'"),
                "invalid domain/os/type/@machine 'pc,accel=kvm'");
        refused(domain("", "").replace(">hvm<", ">xen<"), "domain/os/type must be hvm for the qemu driver, not 'xen'");
        refused(domain("", "").replace("<os><type arch='x86_64' machine='pc'>hvm</type></os>", ""),
                "missing domain/os in the definition of domain 'vm1'");
        refused(domain("<boot dev='floppy'/>", ""), "unsupported boot device 'floppy'");
        refused(domain("<initrd>/boot/i</initrd>", ""), "domain/os has an initrd or a cmdline but no kernel");
        refused(domain("<kernel>/nfs/k</kernel><initrd>/nfs/x,/etc/shadow</initrd>", ""),
                "domain/os/initrd '/nfs/x,/etc/shadow' has a comma, which QEMU reads as a list of files");
        // a multiboot module's name ends at its first space, its parameters follow: QEMU would open /nfs/l, not '/nfs/l x'
        for (String spaced : List.of("/nfs/l x", "/nfs/l\tx", "/nfs/l\nx")) {
            refused(domain("<kernel>/nfs/k</kernel><initrd>" + spaced + "</initrd>", ""), "domain/os/initrd '"
                    + spaced.replaceAll("[\t\n]", "?") + "' has whitespace, where QEMU ends a multiboot module's file name");
        }
        refused(domain("", "").replace("<vcpu>", "<currentMemory unit='MiB'>32</currentMemory><vcpu>"),
                "unsupported configuration: domain/currentMemory differs from domain/memory");
        refused(domain("", "").replace("<devices>", "<clock offset='localtime'/><devices>"),
                "unsupported configuration: domain/clock/@offset 'localtime'");
        refused(domain("", String.format(bridgeNic, "<mac address='52:54:00:aa:bb'/>")), "invalid mac address '52:54:00:aa:bb'");
        for (String bridge : List.of("", "<source bridge='br0,script=/tmp/x'/>", "<source/>")) {
            refused(domain("", "<interface type='bridge'>" + bridge + "<target dev='t0'/></interface>"),
                    "domain/devices/interface of type bridge needs a source bridge");
        }
        // as written, as the core names the tap's switch port: " t0" was read as "t0", and its port data went nowhere
        refused(domain("", "<interface type='bridge'><source bridge='br0'/><target/></interface>"),
                "domain/devices/interface/target dev is missing");
        for (String tap : List.of("t0,script=/tmp/x", "tap-name-16-long", " t0")) {
            refused(domain("", "<interface type='bridge'><source bridge='br0'/><target dev='" + tap + "'/></interface>"),
                    "domain/devices/interface/target dev '" + tap + "' is no interface name");
        }
        refused(domain("", String.format(bridgeNic, "<model type='virtio,romfile=/x'/>")),
                "unsupported interface model 'virtio,romfile=/x'");
        refused(domain("", String.format(bridgeNic,
                "<address type='pci' domain='0x0000' bus='0x00' slot='0x40' function='0x0'/>")),
                "invalid PCI address in ");
        refused(domain("", "<graphics type='vnc' listen='127.0.0.1,password=on'/>"),
                "invalid graphics listen address '127.0.0.1,password=on'");
        refused(domain("", "<graphics type='vnc' port='80'/>"), "invalid graphics port '80'");
        refused(domain("", "<graphics type='vnc' listen=' 127.0.0.1'/>"), "invalid graphics listen address ' 127.0.0.1'");
        // -vnc unix:1: QEMU, as root, unlinked and bound the socket '1' in its working directory
        for (String unix : List.of("unix", "UNIX", "unix:", "unix:1", "unix:run:x")) {
            for (String type : List.of("vnc", "spice")) {
                refused(domain("", "<graphics type='" + type + "' port='5901' listen='" + unix + "'/>"),
                        "invalid graphics listen address '" + unix + "' in domain/devices/graphics: QEMU reads 'unix:'"
                        + " as a unix socket's path, which it creates as root: an IP address or a host name");
            }
        }
        refused(domain("", "<graphics type='vnc'><listen type='address' address='unix'/></graphics>"),
                "invalid graphics listen address 'unix' in domain/devices/graphics: QEMU reads 'unix:'");
        refused(domain("", "<disk type='file'><driver name='qemu' type='vdi'/><source file='/x'/><target dev='vda'/></disk>"),
                "unsupported disk format 'vdi'");
    }

    @Test
    public void refusesMemoryBelowOneMebibyte() {
        DomainSpec spec = Guests.spec(domain("", ""));
        DomainSpec tiny = new DomainSpec(spec.name(), spec.uuid(), spec.type(), 512, 1, List.of(), List.of(), List.of(), spec.xml());
        HypervisorException e = assertThrows(HypervisorException.class, () -> driver.validate(tiny));
        assertEquals("memory of 512 KiB is too small for a QEMU guest (at least 1 MiB)", e.getMessage());
    }

    /** An element the driver reads, given twice, is refused: which of the two the guest would get is not its guess. */
    @Test
    public void refusesAnElementGivenTwice() {
        refused(domain("", "").replace("<vcpu>", "<vcpu>2</vcpu><vcpu>"), "more than one <vcpu> in domain");
        refused(domain("", "<interface type='bridge'><source bridge='br0'/><mac address='52:54:00:00:00:01'/>"
                + "<mac address='52:54:00:00:00:02'/></interface>"), "more than one <mac> in domain/devices/interface");
    }

    @Test
    public void parsesSafely() {
        String external = "<!DOCTYPE domain [<!ENTITY x SYSTEM 'file:///etc/passwd'>]>" + domain("<cmdline>&x;</cmdline>", "");
        HypervisorException e = assertThrows(HypervisorException.class, () -> QemuDomain.of(Guests.spec(external)));
        assertTrue(e.getMessage(), e.getMessage().startsWith("invalid domain XML") && e.getMessage().contains("DOCTYPE"));
    }

    /**
     * A disk's file is its source as written, spaces and all, as the core leases it: read trimmed, QEMU opened
     * "/d/a.raw" for a disk leased as "/d/a.raw ", and a second domain naming it "/d/a.raw" ran on it beside the first.
     */
    @Test
    public void aDiskIsTheFileItsSourceNamesAsWritten() throws Exception {
        for (String file : List.of("/d/a.raw ", " /d/a.raw")) {
            QemuDomain domain = QemuDomain.of(Guests.spec(domain("", "<disk type='file'><source file='" + file + "'/>"
                    + "<target dev='vda'/></disk>")));
            assertEquals(file, domain.disks().get(0).file());
        }
        refused(domain("", "<disk type='file'><source file=' '/><target dev='vda'/></disk>"), "has no source file");
    }

    /**
     * QEMU reads a disk name with a colon before any slash as a protocol (nbd:, json: with a driver and file of its
     * own), not the file the core leases, and a relative one from its working directory: refused at define and at
     * start, before any QEMU runs.
     */
    @Test
    public void aDiskFileIsAnAbsolutePath() {
        for (String file : List.of("nbd://10.0.0.9/export", "json:{\"driver\":\"raw\"}", "images/vm.img")) {
            String xml = domain("", "<disk type='file'><source file='" + file + "'/><target dev='vda'/></disk>");
            refused(xml, "disk vda's source file '" + file + "' is not an absolute path");
            HypervisorException e = assertThrows(HypervisorException.class,
                    () -> driver.boot(Guests.spec(xml), Path.of("/tmp/unused/run")));
            assertTrue(e.getMessage(), e.getMessage().startsWith("disk vda's source file '" + file + "' is not an absolute"));
        }
    }

    /**
     * A graphics server on 'unix' ({@code -vnc unix:1}: a socket '1' QEMU binds as root in its working directory) is
     * refused at define, start and arrival, but a running guest's definition that has it is still read: a re-attach
     * after an upgrade keeps such a guest managed (its jobs, destroy among them), as for the disks' files.
     */
    @Test
    public void aGraphicsServerOnAUnixSocketIsRefusedAtStartButReattached() throws Exception {
        DomainSpec spec = Guests.spec(domain("", "<graphics type='vnc' port='5901' listen='unix'/>"));
        assertEquals("unix", QemuDomain.of(spec).graphics().get(0).listen());
        QemuDriver reattaching = new QemuDriver("qemu", Guests.settings(tmp.newFolder("state").toPath()));
        assertEquals("no QEMU runs there: nothing to re-attach, and no refusal", Optional.empty(),
                reattaching.reattach(spec, tmp.newFolder("run").toPath()));
        String refusal = "invalid graphics listen address 'unix' in domain/devices/graphics: QEMU reads 'unix:' as a"
                + " unix socket's path, which it creates as root: an IP address or a host name";
        refused(spec.xml(), refusal);
        Path runDir = Path.of("/tmp/unused/run");
        assertEquals(refusal, assertThrows(HypervisorException.class, () -> driver.boot(spec, runDir)).getMessage());
        assertEquals("an arrival", refusal,
                assertThrows(HypervisorException.class, () -> driver.createIncoming(spec, runDir)).getMessage());
    }

    /**
     * QEMU runs in its VM's run directory: a relative kernel or initrd, which it opens itself, would be looked for
     * there, and a relative emulator was checked from the daemon's working directory but run from there. Refused at
     * define and at start, before any QEMU runs; a bare emulator name is looked up on the PATH, as before.
     */
    @Test
    public void theKernelInitrdAndEmulatorAreAbsolutePaths() throws Exception {
        List<List<String>> relative = List.of(
                List.of("<kernel>boot/k</kernel>", "", "domain/os/kernel 'boot/k' is not an absolute path"),
                List.of("<kernel>/boot/k</kernel><initrd>i.img</initrd>", "",
                        "domain/os/initrd 'i.img' is not an absolute path"),
                List.of("", "<emulator>bin/qemu-system-x86_64</emulator>",
                        "domain/devices/emulator 'bin/qemu-system-x86_64' is not an absolute path"));
        for (List<String> c : relative) {
            String xml = domain(c.get(0), c.get(1));
            refused(xml, c.get(2));
            HypervisorException e = assertThrows(HypervisorException.class,
                    () -> driver.boot(Guests.spec(xml), Path.of("/tmp/unused/run")));
            assertTrue(e.getMessage(), e.getMessage().startsWith(c.get(2)));
        }
        driver.validate(Guests.spec(domain("<kernel>" + Guests.kernel() + "</kernel>",
                "<emulator>qemu-system-x86_64</emulator>")));
    }

    /**
     * A multicast MAC address (a bridge drops every frame sent from one) and the zero one (QEMU's none, for which it
     * gives the address the first NIC of every guest has) are refused at define and at start, before any QEMU runs;
     * a unicast one is taken.
     */
    @Test
    public void aNicsMacAddressIsUnicastAndNotZero() throws Exception {
        for (String mac : List.of("01:00:5e:00:00:01", "33:33:00:00:00:01", "FF:FF:FF:FF:FF:FF", "00:00:00:00:00:00")) {
            String xml = domain("", "<interface type='user'><mac address='" + mac + "'/></interface>");
            String named = mac.startsWith("00") ? "mac address 00:00:00:00:00:00 of interface 0 is none to QEMU"
                    : "expected unicast mac address, found multicast '" + mac + "' for interface 0";
            refused(xml, named);
            HypervisorException e = assertThrows(HypervisorException.class,
                    () -> driver.boot(Guests.spec(xml), Path.of("/tmp/unused/run")));
            assertTrue(e.getMessage(), e.getMessage().startsWith(named));
        }
        driver.validate(Guests.spec(domain("", "<interface type='user'><mac address='52:54:00:0A:0B:0C'/></interface>")));
    }

    /**
     * A bridge NIC that names no tap has the one every host gives it, made from the domain's UUID and the NIC's index
     * (libvirt makes up vnetN): the name the network section looks its switch port up by.
     */
    @Test
    public void aBridgeNicWithoutATargetDevHasTheTapEveryHostNamesIt() throws Exception {
        DomainSpec spec = Guests.spec(domain("", "<interface type='user'/><interface type='bridge'><source bridge='br0'/>"
                + "</interface><interface type='bridge'><source bridge='br0'/><target dev='vnet7'/></interface>"));
        List<QemuDomain.Nic> nics = QemuDomain.of(spec).nics();
        assertEquals("fe6f1d5c0en1", nics.get(1).tap());
        assertEquals("vnet7", nics.get(2).tap());
    }

    @Test
    public void refusesAnotherDriversType() {
        HypervisorException e = assertThrows(HypervisorException.class,
                () -> driver.validate(Guests.spec(domain("", "").replace("type='qemu'", "type='kvm'"))));
        assertEquals("domain type 'kvm' is not handled by the qemu driver", e.getMessage());
    }

    private void refused(String xml, String named) {
        HypervisorException e = assertThrows(xml, HypervisorException.class, () -> driver.validate(Guests.spec(xml)));
        assertTrue("'" + named + "' in: " + e.getMessage(), e.getMessage().contains(named));
    }
}
