package io.ferry.e2e;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A real {@code ovsdb-server} with a fresh Open vSwitch database, standing in for one host's switch: only the
 * database runs (no kernel module, no ovs-vswitchd), so every {@code ovs-vsctl} call uses {@code --no-wait}.
 */
final class OvsdbServer implements AutoCloseable {
    private static final Path SCHEMA = Path.of("/usr/share/openvswitch/vswitch.ovsschema");

    final Path dir;
    final Path socket;
    private final Process process;

    private OvsdbServer(Path dir, Path socket, Process process) {
        this.dir = dir;
        this.socket = socket;
        this.process = process;
    }

    /** The program's path on PATH or in the usual sbin/bin directories, if installed. */
    static Optional<String> find(String program) {
        List<String> dirs = new ArrayList<>(List.of(System.getenv().getOrDefault("PATH", "").split(":")));
        dirs.addAll(List.of("/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin"));
        return dirs.stream().filter(d -> !d.isEmpty()).map(d -> Path.of(d, program))
                .filter(Files::isExecutable).map(Path::toString).findFirst();
    }

    static boolean available() {
        return find("ovsdb-server").isPresent() && find("ovsdb-tool").isPresent() && find("ovs-vsctl").isPresent()
                && Files.isReadable(SCHEMA);
    }

    /** Creates the database in a new directory under the test's work dir and serves it on a unix socket. */
    static OvsdbServer start(String name) throws Exception {
        // short path: a unix socket's path is limited to 107 bytes
        Path dir = Files.createDirectories(Installation.WORK.resolve("ovs-" + name + "-" + System.nanoTime() % 100000));
        Path db = dir.resolve("conf.db");
        Path socket = dir.resolve("db.sock");
        run(List.of(find("ovsdb-tool").orElseThrow(), "create", db.toString(), SCHEMA.toString()));
        Process process = new ProcessBuilder(find("ovsdb-server").orElseThrow(), db.toString(),
                "--remote=punix:" + socket, "--unixctl=" + dir.resolve("ctl"), "--pidfile=" + dir.resolve("pid"),
                "--log-file=" + dir.resolve("ovsdb-server.log"))
                .redirectErrorStream(true).redirectOutput(dir.resolve("ovsdb-server.out").toFile()).start();
        OvsdbServer server = new OvsdbServer(dir, socket, process);
        try {
            Poll.until("ovsdb-server to listen on " + socket, () -> Files.exists(socket) || !process.isAlive());
            if (!process.isAlive()) {
                throw new AssertionError("ovsdb-server exited: " + Files.readString(dir.resolve("ovsdb-server.out")));
            }
            server.vsctl("init");
            return server;
        } catch (Exception | AssertionError e) {
            server.close();
            throw e;
        }
    }

    /** ferryd's {@code --ovsdb} value for this server. */
    String db() {
        return "unix:" + socket;
    }

    /** Runs {@code ovs-vsctl --db=... --no-wait ARGS}; returns stdout without its final line end. */
    String vsctl(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(find("ovs-vsctl").orElseThrow(), "--db=" + db(), "--no-wait",
                "--timeout=10"));
        command.addAll(List.of(args));
        return run(command).replaceFirst("\n$", "");
    }

    private static String run(List<String> command) throws Exception {
        Path out = Files.createTempFile(Installation.WORK, "ovs", ".out");
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile()).start();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError(String.join(" ", command) + " did not finish");
            }
            String output = Files.readString(out, StandardCharsets.UTF_8);
            if (process.exitValue() != 0) {
                throw new AssertionError(String.join(" ", command) + " failed: " + output);
            }
            return output;
        } finally {
            Files.deleteIfExists(out);
        }
    }

    /** SIGSTOP: the server keeps its socket but answers nobody (a hung OVSDB); {@link #thaw} lets it go on. */
    void freeze() throws Exception {
        signal("STOP");
    }

    void thaw() throws Exception {
        signal("CONT");
    }

    private void signal(String signal) throws Exception {
        run(List.of("kill", "-" + signal, Long.toString(process.pid())));
    }

    @Override
    public void close() throws IOException, InterruptedException {
        process.destroy(); // SIGTERM: ovsdb-server removes its socket and pidfile
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        }
    }
}
