package io.ferry.plugin.ovs;

import io.ferry.api.host.ProcessRunner;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

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

    /**
     * Each interface's {@code external_ids:PortData}, or null when it has none (or the interface is absent), read in
     * one run: port data is read while the guest is paused, so each run more is downtime.
     */
    Map<String, String> portData(List<String> ifaces) throws IOException {
        List<String> args = new ArrayList<>();
        for (String iface : ifaces) {
            args.addAll(List.of("--", "--if-exists", "get", "Interface", iface, "name", "external_ids:PortData"));
        }
        ProcessRunner.Result result = run(args);
        if (result.stdoutTruncated()) {
            throw new IOException("the port data of " + String.join(", ", ifaces) + " is longer than "
                    + ProcessRunner.OUTPUT_LIMIT + " bytes");
        }
        // per interface that exists, in order: a line for its name, one for the value as printed (empty without one)
        List<String> lines = result.stdout().lines().toList();
        Map<String, String> data = new LinkedHashMap<>();
        int next = 0;
        for (String iface : ifaces) {
            boolean exists = next < lines.size() && unquoted(lines.get(next)).equals(iface);
            String value = exists && next + 1 < lines.size() ? lines.get(next + 1) : "";
            data.put(iface, value.isEmpty() ? null : value);
            next += exists ? 2 : 0;
        }
        return data;
    }

    /**
     * Sets each interface's {@code external_ids:PortData} in one transaction (the guest is paused): all of them, or
     * none when an interface does not exist.
     */
    void setPortData(Map<String, String> portData) throws IOException {
        List<String> args = new ArrayList<>();
        portData.forEach((iface, data) -> args.addAll(List.of("--", "set", "Interface", iface, "external_ids:PortData=" + data)));
        run(args);
    }

    private static String unquoted(String name) {
        boolean quoted = name.length() >= 2 && name.startsWith("\"") && name.endsWith("\"");
        return quoted ? name.substring(1, name.length() - 1) : name;
    }

    /** Runs {@code ovs-vsctl --db=DB --no-wait --timeout=5 ARGS}; returns its result, or throws with its stderr. */
    private ProcessRunner.Result run(List<String> args) throws IOException {
        List<String> command = new ArrayList<>(List.of(program, "--db=" + db, "--no-wait", "--timeout=5"));
        command.addAll(args);
        String label = String.join(" ", command);
        return processes.run(label, command, null, LIMIT).requireSuccess(label);
    }
}
