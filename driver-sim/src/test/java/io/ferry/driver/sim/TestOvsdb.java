package io.ferry.driver.sim;

import static org.junit.Assert.assertTrue;

import io.ferry.api.host.ProcessRunner;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A real ovsdb-server on a fresh Open vSwitch database: only the database runs, so every ovs-vsctl is --no-wait. */
final class TestOvsdb implements AutoCloseable {
    private static final Path SCHEMA = Path.of("/usr/share/openvswitch/vswitch.ovsschema");

    private final ProcessRunner processes;
    private final Path socket;
    private final Process server;

    private TestOvsdb(ProcessRunner processes, Path socket, Process server) {
        this.processes = processes;
        this.socket = socket;
        this.server = server;
    }

    /** Creates the database in {@code dir} (keep it short: a unix socket's path has at most 107 bytes) and serves it. */
    static TestOvsdb start(ProcessRunner processes, Path dir) throws Exception {
        assertTrue("Open vSwitch's schema " + SCHEMA + " is missing (apt-get install openvswitch-switch)",
                Files.isReadable(SCHEMA));
        String db = dir.resolve("conf.db").toString();
        run(processes, List.of("ovsdb-tool", "create", db, SCHEMA.toString()));
        Process server = new ProcessBuilder("ovsdb-server", db, "--remote=punix:" + dir.resolve("db.sock"),
                "--unixctl=" + dir.resolve("ctl"), "--pidfile=" + dir.resolve("pid"))
                .redirectErrorStream(true).redirectOutput(dir.resolve("out").toFile()).start();
        TestOvsdb ovsdb = new TestOvsdb(processes, dir.resolve("db.sock"), server);
        try {
            assertTrue("ovsdb-server listens", Sim.eventually(() -> Files.exists(ovsdb.socket)));
            ovsdb.vsctl("init");
            return ovsdb;
        } catch (Exception | AssertionError e) {
            ovsdb.close();
            throw e;
        }
    }

    /** The daemon's {@code ovsdb} setting for this server. */
    String db() {
        return "unix:" + socket;
    }

    /** Runs {@code ovs-vsctl --db=... --no-wait ARGS}, which must succeed; returns its output, stripped. */
    String vsctl(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("ovs-vsctl", "--db=" + db(), "--no-wait", "--timeout=10"));
        command.addAll(List.of(args));
        return run(processes, command);
    }

    private static String run(ProcessRunner processes, List<String> command) throws Exception {
        String label = String.join(" ", command);
        return processes.run(label, command, null, Duration.ofSeconds(30)).requireSuccess(label).stdout().strip();
    }

    @Override
    public void close() throws InterruptedException {
        server.destroy(); // SIGTERM: ovsdb-server removes its socket and pidfile
        if (!server.waitFor(10, TimeUnit.SECONDS)) {
            server.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }
}
