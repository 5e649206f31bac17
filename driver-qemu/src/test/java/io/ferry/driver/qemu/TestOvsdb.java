package io.ferry.driver.qemu;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A real ovsdb-server on a fresh Open vSwitch database: only the database runs, so every ovs-vsctl is --no-wait. */
final class TestOvsdb implements AutoCloseable {
    private static final Path SCHEMA = Path.of("/usr/share/openvswitch/vswitch.ovsschema");

    private final Path dir;
    private final Process server;

    private TestOvsdb(Path dir, Process server) {
        this.dir = dir;
        this.server = server;
    }

    /** Creates the database in {@code dir} (keep it short: a unix socket's path has at most 107 bytes) and serves it. */
    static TestOvsdb start(Path dir) throws Exception {
        assertTrue("Open vSwitch's schema " + SCHEMA + " is missing (apt-get install openvswitch-switch)",
                Files.isReadable(SCHEMA));
        run(dir, "ovsdb-tool", "create", dir.resolve("conf.db").toString(), SCHEMA.toString());
        Process server = new ProcessBuilder("ovsdb-server", dir.resolve("conf.db").toString(),
                "--remote=punix:" + dir.resolve("db.sock"), "--unixctl=" + dir.resolve("ctl"),
                "--pidfile=" + dir.resolve("pid")).redirectErrorStream(true).redirectOutput(dir.resolve("out").toFile())
                .start();
        TestOvsdb ovsdb = new TestOvsdb(dir, server);
        try {
            assertTrue("ovsdb-server listens", Guests.eventually(() -> Files.exists(dir.resolve("db.sock"))));
            ovsdb.vsctl("init");
            return ovsdb;
        } catch (Exception | AssertionError e) {
            ovsdb.close();
            throw e;
        }
    }

    /** The driver's {@code ovsdb} setting for this server. */
    String db() {
        return "unix:" + dir.resolve("db.sock");
    }

    /** Runs {@code ovs-vsctl --db=... --no-wait ARGS}, which must succeed; returns its output, stripped. */
    String vsctl(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("ovs-vsctl", "--db=" + db(), "--no-wait", "--timeout=10"));
        command.addAll(List.of(args));
        return run(dir, command.toArray(String[]::new));
    }

    private static String run(Path dir, String... command) throws Exception {
        Path out = Files.createTempFile(dir, "cmd", ".out");
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile()).start();
            assertTrue(String.join(" ", command) + " finishes", process.waitFor(30, TimeUnit.SECONDS));
            String output = Files.readString(out, StandardCharsets.UTF_8).strip();
            assertEquals(String.join(" ", command) + ": " + output, 0, process.exitValue());
            return output;
        } finally {
            Files.deleteIfExists(out);
        }
    }

    @Override
    public void close() throws InterruptedException {
        server.destroy(); // SIGTERM: ovsdb-server removes its socket and pidfile
        if (!server.waitFor(10, TimeUnit.SECONDS)) {
            server.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }
}
