package io.ferry.plugin.ovs;

import io.ferry.api.host.ProcessRunner;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * This host's OVSDB, through {@code ovs-vsctl} as libvirt talks to it (virnetdevopenvswitch.c). Every call
 * uses {@code --no-wait}: only the database is touched, so no kernel module or ovs-vswitchd is needed.
 * Values are carried as ovs-vsctl prints them (OVSDB syntax, quoted when needed) and handed back verbatim.
 */
final class OvsDb {
    private static final Duration LIMIT = Duration.ofSeconds(10);

    private final ProcessRunner processes;
    private final String program;
    private final String db;

    /** @param db {@code unix:PATH} (anything ovs-vsctl's {@code --db} takes) */
    OvsDb(ProcessRunner processes, String program, String db) {
        this.processes = processes;
        this.program = program;
        this.db = db;
    }

    OvsDb(ProcessRunner processes, String db) {
        this(processes, "ovs-vsctl", db);
    }

    String db() {
        return db;
    }

    /** The interface's {@code external_ids:PortData}, or null when it has none (or the interface is absent). */
    String portData(String iface) throws IOException {
        ProcessRunner.Result result = run("--if-exists", "get", "Interface", iface, "external_ids:PortData");
        if (result.stdoutTruncated()) {
            throw new IOException("the port data of " + iface + " is longer than " + ProcessRunner.OUTPUT_LIMIT + " bytes");
        }
        String out = result.stdout();
        if (out.endsWith("\n")) { // the line end, as libvirt strips it; the value itself is left as printed
            out = out.substring(0, out.length() - 1);
        }
        return out.isEmpty() ? null : out;
    }

    /** Sets the interface's {@code external_ids:PortData}; fails if the interface does not exist. */
    void setPortData(String iface, String portData) throws IOException {
        run("set", "Interface", iface, "external_ids:PortData=" + portData);
    }

    /** Runs {@code ovs-vsctl --db=DB --no-wait --timeout=5 ARGS}; returns its result, or throws with its stderr. */
    private ProcessRunner.Result run(String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(program, "--db=" + db, "--no-wait", "--timeout=5"));
        command.addAll(List.of(args));
        String label = String.join(" ", command);
        return processes.run(label, command, null, LIMIT).requireSuccess(label);
    }
}
