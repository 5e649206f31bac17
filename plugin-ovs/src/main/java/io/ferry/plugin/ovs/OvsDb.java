package io.ferry.plugin.ovs;

import io.ferry.api.host.ProcessRunner;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * This host's OVSDB, through {@code ovs-vsctl} as libvirt talks to it (virnetdevopenvswitch.c). Every call
 * uses {@code --no-wait}: only the database is touched, so no kernel module or ovs-vswitchd is needed.
 * Values are carried as ovs-vsctl prints them (OVSDB syntax, quoted when needed) and handed back as they are, in
 * ASCII alone ({@link OvsdbSyntax#ascii}).
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
     * Each interface's {@code external_ids:PortData}, or null when it has none, or is absent or not the VM's; read in
     * one run: port data is read while the guest is paused, so each run more is downtime.
     */
    Map<String, String> portData(UUID vm, List<String> ifaces) throws IOException {
        Map<String, Row> rows = rows(ifaces);
        Map<String, String> data = new LinkedHashMap<>();
        for (String iface : ifaces) {
            Row row = rows.get(iface);
            data.put(iface, row != null && row.isOf(vm) ? row.portData() : null);
        }
        return data;
    }

    /**
     * Sets each interface's {@code external_ids:PortData} in one transaction (the guest is paused): all of them, or
     * none when an interface is absent or not the VM's. Each is set by its row's _uuid, which names no other row.
     */
    void setPortData(UUID vm, Map<String, String> portData) throws IOException {
        Map<String, Row> rows = rows(List.copyOf(portData.keySet()));
        List<String> args = new ArrayList<>();
        for (Map.Entry<String, String> write : portData.entrySet()) {
            String iface = write.getKey();
            Row row = rows.get(iface);
            if (row == null) {
                throw new IOException("no interface " + iface + " in " + db);
            }
            if (!row.isOf(vm)) {
                throw new IOException("interface " + iface + " is not the VM's: " + (row.vmUuid() == null
                        ? "it has no external_ids:vm-uuid" : "its external_ids:vm-uuid is " + row.vmUuid()));
            }
            args.addAll(List.of("--", "set", "Interface", row.uuid(),
                    "external_ids:PortData=" + OvsdbSyntax.ascii(write.getValue())));
        }
        run(args); // a row removed since it was found is no row: ovs-vsctl fails the whole transaction
    }

    /**
     * An interface's row.
     *
     * @param vmUuid its {@code external_ids:vm-uuid}, or null without
     * @param portData its {@code external_ids:PortData} as printed, or null without
     */
    private record Row(String uuid, String vmUuid, String portData) {
        boolean isOf(UUID vm) {
            return vm.toString().equals(vmUuid);
        }
    }

    /**
     * The rows of those of {@code ifaces} that exist, by name, read in one run. Each is found by its name with
     * {@code find}: a record name given to {@code get} or {@code set} that no row has is taken for a prefix of a row's
     * _uuid (4 hex digits or more), and would name another row.
     */
    private Map<String, Row> rows(List<String> ifaces) throws IOException {
        List<String> args = new ArrayList<>();
        for (String iface : ifaces) {
            args.addAll(List.of("--", "--columns=name,_uuid,external_ids", "find", "Interface",
                    "name=" + OvsdbSyntax.quoted(iface)));
        }
        ProcessRunner.Result result = run(args);
        if (result.stdoutTruncated()) {
            throw new IOException("the port data of " + String.join(", ", ifaces) + " is longer than "
                    + ProcessRunner.OUTPUT_LIMIT + " bytes");
        }
        // each row found, as listed: a line "COLUMN : VALUE" for each of its columns in that order, blank lines between
        Map<String, Row> rows = new HashMap<>();
        String name = null;
        String uuid = null;
        for (String line : result.stdout().lines().toList()) {
            int colon = line.indexOf(':');
            String value = colon < 0 ? "" : line.substring(colon + 1).strip();
            switch (colon < 0 ? "" : line.substring(0, colon).strip()) {
                case "name" -> name = OvsdbSyntax.string(value);
                case "_uuid" -> uuid = value;
                case "external_ids" -> {
                    Map<String, String> ids = OvsdbSyntax.map(value);
                    String vmUuid = ids.get("vm-uuid");
                    if (ifaces.contains(name)) {
                        rows.put(name, new Row(uuid, vmUuid == null ? null : OvsdbSyntax.string(vmUuid),
                                ids.get("PortData")));
                    }
                }
                default -> {
                    // a blank line between rows
                }
            }
        }
        return rows;
    }

    /** Runs {@code ovs-vsctl --db=DB --no-wait --timeout=5 ARGS}; returns its result, or throws with its stderr. */
    private ProcessRunner.Result run(List<String> args) throws IOException {
        List<String> command = new ArrayList<>(List.of(program, "--db=" + db, "--no-wait", "--timeout=5"));
        command.addAll(args);
        String label = String.join(" ", command);
        return processes.run(label, command, null, LIMIT).requireSuccess(label);
    }
}
