package io.ferry.driver.qemu;

import io.ferry.api.hypervisor.HypervisorException;
import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The QEMU command line of a domain: no defaults, no user configuration, no display, QMP on a unix socket and a
 * pidfile in the run directory, and the devices of {@link QemuDomain}. Every VM starts paused ({@code -S}); an
 * incoming one also waits for {@code migrate-incoming} ({@code -incoming defer}).
 */
final class QemuCommandLine {
    private QemuCommandLine() {
    }

    /** The command line; with a {@code user}, QEMU drops to it before the guest runs ({@link QemuUser}). */
    static List<String> of(QemuDomain domain, String emulator, RunFiles files, boolean incoming, QemuUser user)
            throws HypervisorException {
        var spec = domain.spec();
        List<String> argv = new ArrayList<>(List.of(emulator,
                "-name", "guest=" + escape(spec.name()) + ",debug-threads=on",
                "-uuid", spec.uuid().toString(),
                "-machine", domain.machine(),
                "-accel", domain.accelerator(),
                "-cpu", domain.arch().equals("i686") ? "qemu32" : "qemu64",
                "-m", "size=" + spec.memoryKiB() + "k",
                "-smp", Integer.toString(spec.vcpus()),
                "-nodefaults", "-no-user-config", "-display", "none",
                "-msg", "timestamp=on",
                // libvirt's seccomp_sandbox: QEMU runs guest-controlled code. QEMU's own drop to a user is a setuid,
                // which elevateprivileges=deny would kill it for; once dropped, the filter's no_new_privs and the
                // user's ids leave nothing to regain
                "-sandbox", "on,obsolete=deny,elevateprivileges=" + (user == null ? "deny" : "allow")
                        + ",spawn=deny,resourcecontrol=deny",
                "-chardev", "socket,id=qmp,path=" + escape(files.qmp().toString()) + ",server=on,wait=off",
                "-mon", "chardev=qmp,mode=control",
                "-pidfile", files.pidfile().toString(),
                "-S"));
        if (domain.kernel() != null) {
            argv.addAll(List.of("-kernel", domain.kernel()));
            if (domain.initrd() != null) {
                argv.addAll(List.of("-initrd", domain.initrd()));
            }
            if (domain.cmdline() != null) {
                argv.addAll(List.of("-append", domain.cmdline()));
            }
        }
        if (domain.bootOrder() != null) {
            argv.addAll(List.of("-boot", "order=" + domain.bootOrder()));
        }
        for (QemuDomain.Disk disk : domain.disks()) {
            argv.addAll(List.of("-drive", "file=" + escape(disk.file()) + ",format=" + disk.format() + ",if=none,id=drive-"
                    + disk.target() + (disk.readOnly() ? ",readonly=on" : "")));
            argv.addAll(List.of("-device", "virtio-blk-pci,drive=drive-" + disk.target() + ",id=" + disk.target()
                    + address(disk.pciAddress())));
        }
        for (QemuDomain.Nic nic : domain.nics()) {
            String id = "net" + nic.index();
            argv.addAll(List.of("-netdev", nic.tap() != null
                    ? "tap,id=" + id + ",ifname=" + nic.tap() + ",script=no,downscript=no"
                    : "user,id=" + id));
            String model = switch (nic.model()) {
                case "virtio" -> "virtio-net-pci";
                default -> nic.model();
            };
            // no option ROM: the guest boots by -kernel or from disk, and the ROM package need not be installed
            argv.addAll(List.of("-device", model + ",netdev=" + id + ",id=" + id + "-nic" + ",romfile="
                    + (nic.mac() != null ? ",mac=" + nic.mac() : "") + address(nic.pciAddress())));
        }
        if ("vga".equals(domain.video())) {
            argv.addAll(List.of("-device", "VGA"));
        }
        for (QemuDomain.Graphics graphics : domain.graphics()) {
            if (graphics.type().equals("vnc")) {
                String host = bracketed(graphics.listen());
                argv.addAll(List.of("-vnc", graphics.port() < 0 ? host + ":0,to=99" : host + ":" + (graphics.port() - 5900)));
            } else {
                int port = graphics.port() < 0 ? freePort(graphics.listen()) : graphics.port();
                argv.addAll(List.of("-spice", "port=" + port + ",addr=" + graphics.listen()
                        + ",disable-ticketing=on,seamless-migration=on"));
            }
        }
        if (incoming) {
            argv.addAll(List.of("-incoming", "defer"));
        }
        if (user != null) {
            argv.addAll(List.of("-run-with", "user=" + user.name()));
        }
        return argv;
    }

    /** The binary to run: {@code <emulator>}, else the configured one; a bare name is looked up on PATH. */
    static String emulator(QemuDomain domain, String configured) throws HypervisorException {
        String name = domain.emulator() != null ? domain.emulator() : configured;
        if (name.contains("/")) {
            if (!Files.isExecutable(Path.of(name)) || Files.isDirectory(Path.of(name))) {
                throw new HypervisorException("the QEMU binary " + name + " of domain '" + domain.spec().name()
                        + "' is not an executable file");
            }
            return Path.of(name).toAbsolutePath().toString(); // the setting's may be relative: QEMU runs elsewhere
        }
        String path = System.getenv("PATH");
        for (String dir : (path == null ? "" : path).split(File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, name)) && !Files.isDirectory(Path.of(dir, name))) {
                return Path.of(dir, name).toAbsolutePath().toString(); // a PATH entry may be relative too
            }
        }
        throw new HypervisorException("the QEMU binary '" + name + "' of domain '" + domain.spec().name()
                + "' is not on the PATH (install QEMU or give <emulator>)");
    }

    /** QEMU's option syntax doubles a comma inside a value. */
    static String escape(String value) {
        return value.replace(",", ",,");
    }

    private static String address(String pci) {
        return pci == null ? "" : ",bus=pci.0,addr=" + pci;
    }

    private static String bracketed(String host) {
        return host.contains(":") ? "[" + host + "]" : host;
    }

    /** A port free now on {@code host} (SPICE has no autoport of its own). */
    private static int freePort(String host) throws HypervisorException {
        try (ServerSocket socket = new ServerSocket()) {
            socket.bind(new InetSocketAddress(InetAddress.getByName(host), 0));
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new HypervisorException("cannot find a free port for SPICE on " + host + ": " + e.getMessage(), e);
        }
    }
}
