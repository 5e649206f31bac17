package io.ferry.driver.qemu;

import io.ferry.api.hypervisor.HypervisorException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * A VM's files in the run directory the core gives it, all gone with the VM: {@code qmp.sock}, {@code qemu.pid}, and
 * the unix socket the source's QEMU sends its memory to through the core's stream ({@code out.sock}; the destination's
 * QEMU reads its own from a pipe, {@link IncomingFeed}). The directory stays the daemon's, which its QEMU's user
 * ({@link QemuUser}) may enter but neither list nor change, so that a QEMU a guest took over cannot put links where
 * the daemon writes.
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

    /** Refuses a run directory too long for its sockets, qmp.sock and out.sock (as long as each other). */
    void check() throws HypervisorException {
        if (outgoing().toString().getBytes(StandardCharsets.UTF_8).length > MAX_SOCKET_PATH) {
            throw new HypervisorException("the run directory " + dir + " is too long for QEMU's unix sockets (at most "
                    + (MAX_SOCKET_PATH - "/out.sock".length()) + " bytes): use a shorter state directory");
        }
    }

    /**
     * Deletes what a previous VM left; with a {@code user}, the run directory becomes enterable by that user's group
     * ({@code rwx--x---}: no listing).
     */
    void prepare(QemuUser user) throws IOException, HypervisorException {
        Files.createDirectories(dir);
        delete();
        if (user == null) {
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
            return;
        }
        user.checkCanReach(dir);
        user.giveGroup(dir);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx--x---"));
    }

    /** Lets {@code user} (if any) connect to {@code out.sock}, which the daemon listens on; the others stay out. */
    void openOutgoingTo(QemuUser user) throws IOException {
        if (user != null) {
            user.giveGroup(outgoing());
            Files.setPosixFilePermissions(outgoing(), PosixFilePermissions.fromString("rw-rw----"));
        }
    }

    void delete() throws IOException {
        for (Path file : new Path[] {qmp(), pidfile(), outgoing()}) {
            Files.deleteIfExists(file);
        }
    }
}
