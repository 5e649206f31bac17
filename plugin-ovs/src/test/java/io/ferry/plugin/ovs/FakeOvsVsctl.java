package io.ferry.plugin.ovs;

import io.ferry.api.host.ProcessRunner;
import io.ferry.process.BoundedProcessRunner;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.UUID;

/**
 * A stand-in for {@code ovs-vsctl}: a shell script that appends its arguments to {@code calls}, prints the
 * content of {@code find.out} for a run with any {@code find}, and fails with {@code fail.err} on stderr when that file
 * exists.
 */
final class FakeOvsVsctl {
    /** What the core offers the plug-in in a framework; one for the whole test run, as a daemon has one. */
    static final ProcessRunner PROCESSES = new BoundedProcessRunner();

    final Path dir;
    final Path program;

    FakeOvsVsctl(Path dir) throws IOException {
        this.dir = dir;
        this.program = dir.resolve("ovs-vsctl");
        Files.writeString(program, """
                #!/bin/sh
                d=$(dirname "$0")
                printf '%s\n' "$*" >> "$d/calls"
                if [ -f "$d/fail.err" ]; then cat "$d/fail.err" >&2; exit 1; fi
                for a in "$@"; do [ "$a" = find ] && [ -f "$d/find.out" ] && cat "$d/find.out" && break; done
                exit 0
                """);
        Files.setPosixFilePermissions(program, PosixFilePermissions.fromString("rwx------"));
    }

    OvsDb db() {
        return new OvsDb(PROCESSES, program.toString(), "unix:/run/test.sock");
    }

    /** What each run with a {@code find} prints: the rows it lists, {@link #row}'s. */
    void answer(String... rows) throws IOException {
        Files.writeString(dir.resolve("find.out"), String.join("\n", rows));
    }

    /**
     * Interface {@code name} as ovs-vsctl lists it, the row's _uuid made of its name.
     *
     * @param vm its external_ids:vm-uuid, or null without
     * @param portData its external_ids:PortData as printed, or null without
     */
    static String row(String name, UUID vm, String portData) {
        String ids = (portData == null ? "" : "PortData=" + portData) + (portData != null && vm != null ? ", " : "")
                + (vm == null ? "" : "vm-uuid=\"" + vm + "\"");
        return "name                : " + name + "\n_uuid               : " + uuidOf(name) + "\nexternal_ids        : {"
                + ids + "}\n";
    }

    /** The _uuid of interface {@code name}'s {@link #row}. */
    static UUID uuidOf(String name) {
        return UUID.nameUUIDFromBytes(name.getBytes(StandardCharsets.UTF_8));
    }

    void fail(String stderr) throws IOException {
        Files.writeString(dir.resolve("fail.err"), stderr);
    }

    List<String> calls() throws IOException {
        Path calls = dir.resolve("calls");
        return Files.exists(calls) ? Files.readAllLines(calls, StandardCharsets.UTF_8) : List.of();
    }
}
