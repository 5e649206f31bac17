package io.ferry.driver.qemu;

import io.ferry.api.hypervisor.HypervisorException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * A VM's files in the run directory the core gives it, all gone with the VM: {@code qmp.sock}, {@code qemu.pid},
 * and the unix sockets of a memory transfer through the core's streams ({@code out.sock}, {@code qemu/in.sock}).
 * QEMU makes {@code in.sock} after it may have dropped to its user ({@link QemuUser}), so in a directory of that
 * user's, {@code qemu/}; the rest stays the daemon's, in a directory that user may enter but neither list nor change,
 * so that a QEMU a guest took over cannot put links where the daemon writes.
 */
record RunFiles(Path dir) {
    /** A unix socket's path holds at most 107 bytes (sun_path). */
    private static final int MAX_SOCKET_PATH = 107;

    RunFiles {
        dir = dir.toAbsolutePath().normalize();
    }

    Path qmp() {
        return dir.resolve("qmp.sock");
    }

    Path pidfile() {
        return dir.resolve("qemu.pid");
    }

    Path outgoing() {
        return dir.resolve("out.sock");
    }

    /** QEMU's own directory: its user's alone. */
    Path qemuDir() {
        return dir.resolve("qemu");
    }

    Path incoming() {
        return qemuDir().resolve("in.sock");
    }

    void check() throws HypervisorException {
        if (incoming().toString().getBytes(StandardCharsets.UTF_8).length > MAX_SOCKET_PATH) {
            throw new HypervisorException("the run directory " + dir + " is too long for QEMU's unix sockets (at most "
                    + (MAX_SOCKET_PATH - "/qemu/in.sock".length()) + " bytes): use a shorter state directory");
        }
    }

    /**
     * Deletes what a previous VM left and makes QEMU's directory; with a {@code user}, the run directory becomes
     * enterable by that user's group ({@code rwx--x---}: no listing) and QEMU's directory that user's ({@code rwx------}).
     */
    void prepare(QemuUser user) throws IOException, HypervisorException {
        Files.createDirectories(dir);
        delete();
        deleteQemuDir(); // made afresh: its user may have changed, and what a QEMU left there is not read
        Files.createDirectory(qemuDir(), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        if (user == null) {
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
            return;
        }
        user.checkCanReach(dir);
        user.giveGroup(dir);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx--x---"));
        user.own(qemuDir());
    }

    /** Deletes QEMU's directory and what is in it, following no link. */
    private void deleteQemuDir() throws IOException {
        if (!Files.exists(qemuDir(), LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(qemuDir())) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }

    /** Lets {@code user} (if any) connect to {@code out.sock}, which the daemon listens on; the others stay out. */
    void openOutgoingTo(QemuUser user) throws IOException {
        if (user != null) {
            user.giveGroup(outgoing());
            Files.setPosixFilePermissions(outgoing(), PosixFilePermissions.fromString("rw-rw----"));
        }
    }

    void delete() throws IOException {
        for (Path file : new Path[] {qmp(), pidfile(), outgoing(), incoming()}) {
            Files.deleteIfExists(file);
        }
    }
}
