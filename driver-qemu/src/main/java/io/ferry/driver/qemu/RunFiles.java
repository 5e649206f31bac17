package io.ferry.driver.qemu;

import io.ferry.api.hypervisor.HypervisorException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A VM's files in the run directory the core gives it, all gone with the VM: {@code qmp.sock}, {@code qemu.pid},
 * and the unix sockets of a memory transfer through the core's streams ({@code out.sock}, {@code in.sock}).
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

    Path incoming() {
        return dir.resolve("in.sock");
    }

    void check() throws HypervisorException {
        if (qmp().toString().getBytes(StandardCharsets.UTF_8).length > MAX_SOCKET_PATH) {
            throw new HypervisorException("the run directory " + dir + " is too long for QEMU's unix sockets (at most "
                    + (MAX_SOCKET_PATH - "/qmp.sock".length()) + " bytes): use a shorter state directory");
        }
    }

    void delete() throws IOException {
        for (Path file : new Path[] {qmp(), pidfile(), outgoing(), incoming()}) {
            Files.deleteIfExists(file);
        }
    }
}
