package io.ferry.e2e;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real {@code bin/ferryd} process with its own state and deploy directories and an ephemeral port. It can be
 * killed ({@code SIGKILL}) and restarted on the same directories and port, as a host whose daemon crashed.
 */
final class DaemonProcess implements AutoCloseable {
    final String name;
    final Path stateDir;
    final Path deployDir;
    final Path log;
    private final Map<String, String> env;
    private final Path home;
    private final List<String> flags;
    private final Process process;
    private String url;
    /** Set once a restart took over this daemon's directories: closing this one must not delete them. */
    private boolean restarted;

    private DaemonProcess(String name, Path stateDir, Path deployDir, Path log, Map<String, String> env, Path home,
            List<String> flags, Process process) {
        this.name = name;
        this.home = home;
        this.flags = flags;
        this.stateDir = stateDir;
        this.deployDir = deployDir;
        this.log = log;
        this.env = env;
        this.process = process;
    }

    static DaemonProcess start(String name, String... extraFlags) throws IOException {
        return start(name, Map.of(), extraFlags);
    }

    /** @param env extra environment, such as {@code FERRYD_JAVA_OPTS} for the daemon's JVM */
    static DaemonProcess start(String name, Map<String, String> env, String... extraFlags) throws IOException {
        return start(Installation.HOME, name, env, extraFlags);
    }

    /** A daemon of the installation at {@code home} (a modified copy of the built one, say). */
    static DaemonProcess start(Path home, String name, String... extraFlags) throws IOException {
        return start(home, name, Map.of(), extraFlags);
    }

    private static DaemonProcess start(Path home, String name, Map<String, String> env, String... extraFlags) throws IOException {
        return start(home, Files.createDirectories(Installation.WORK.resolve(name + "-" + System.nanoTime())), name, env,
                extraFlags);
    }

    /**
     * A daemon whose directories are in {@code dir}: QEMU guests need a short one, as the unix sockets in the state
     * directory's {@code run/UUID/} may hold only 107 bytes.
     */
    static DaemonProcess startIn(Path dir, String name, Map<String, String> env, String... extraFlags) throws IOException {
        return start(Installation.HOME, Files.createDirectories(dir), name, env, extraFlags);
    }

    private static DaemonProcess start(Path home, Path dir, String name, Map<String, String> env, String... extraFlags)
            throws IOException {
        Path deployDir = Files.createDirectories(dir.resolve("deploy"));
        return launch(home, name, dir.resolve("state"), deployDir, dir.resolve("ferryd.log"), env, "127.0.0.1:0",
                List.of(extraFlags));
    }

    private static DaemonProcess launch(Path home, String name, Path stateDir, Path deployDir, Path log,
            Map<String, String> env, String listen, List<String> extraFlags) throws IOException {
        List<String> command = new ArrayList<>(List.of(home.resolve("bin/ferryd").toString(),
                "--state-dir", stateDir.toString(), "--deploy-dir", deployDir.toString(), "--listen", listen,
                "--hostname", name));
        command.addAll(extraFlags);
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        builder.environment().putAll(env);
        return new DaemonProcess(name, stateDir, deployDir, log, env, home, extraFlags, builder.start());
    }

    /**
     * A new daemon on this one's installation, state and deploy directories, environment and port (peers'
     * journals know its URI). A daemon still running is stopped first (SIGTERM); {@code extraFlags}, when given,
     * replace the first start's.
     */
    DaemonProcess restart(String... extraFlags) throws Exception {
        URI uri = URI.create(url());
        if (process.isAlive()) {
            terminate();
        }
        Files.deleteIfExists(stateDir.resolve("control-url")); // a killed daemon leaves its file behind
        restarted = true;
        return launch(home, name, stateDir, deployDir, log, env, uri.getHost() + ":" + uri.getPort(),
                extraFlags.length == 0 ? flags : List.of(extraFlags));
    }

    /** The control URI, once the daemon wrote it (bounded wait). */
    String url() throws Exception {
        if (url == null) {
            Path file = stateDir.resolve("control-url");
            Poll.until("ferryd to publish its control URI (log: " + log + ")", () -> Files.exists(file) || !process.isAlive());
            if (!process.isAlive()) {
                throw new AssertionError("ferryd exited with " + process.exitValue() + ":\n" + log());
            }
            url = Files.readString(file, StandardCharsets.US_ASCII).trim();
        }
        return url;
    }

    /** {@code bin/ferry -c URI ARGS} against this daemon. */
    Installation.Result ferry(String... args) throws Exception {
        return Installation.ferry(connected(args));
    }

    /** {@link #ferry}, which must exit 0. */
    Installation.Result ferryOk(String... args) throws Exception {
        return Installation.ferryOk(connected(args));
    }

    /** {@code bin/ferry -c URI ARGS} against this daemon, left running. */
    Installation.Running ferryInBackground(String... args) throws Exception {
        return Installation.launch(connected(args));
    }

    private String[] connected(String... args) throws Exception {
        List<String> all = new ArrayList<>(List.of("-c", url()));
        all.addAll(List.of(args));
        return all.toArray(String[]::new);
    }

    /** {@code ferry define}, which must say so. */
    void define(SimDomain domain) throws Exception {
        Path file = domain.file();
        assertEquals("Domain '" + domain.name() + "' defined from " + file + "\n", ferryOk("define", file.toString()).out());
    }

    /** Defines and starts {@code domain}; returns its memory digest once running. */
    String boot(SimDomain domain) throws Exception {
        define(domain);
        ferryOk("start", domain.name());
        return digest(domain.name());
    }

    /** {@code ferry dominfo NAME} as label → value ("State" → "running (booted)"). */
    Map<String, String> dominfo(String domain) throws Exception {
        return fields("dominfo", domain);
    }

    /** What a command that prints "Label: value" lines ({@code dominfo}, {@code domjobinfo}) printed, as label → value. */
    Map<String, String> fields(String... args) throws Exception {
        Map<String, String> fields = new LinkedHashMap<>();
        for (String line : ferryOk(args).out().split("\n")) {
            int colon = line.indexOf(':');
            if (colon > 0) {
                fields.put(line.substring(0, colon), line.substring(colon + 1).trim());
            }
        }
        return fields;
    }

    /** The memory digest of an active domain, from {@code dominfo}. */
    String digest(String domain) throws Exception {
        String digest = dominfo(domain).get("Memory digest");
        assertNotNull(domain + " on " + name + " has no memory digest: is it active?", digest);
        return digest;
    }

    /** The domain's state as {@code list --all} shows it ("running", "shut off", …), empty when not listed. */
    Optional<String> listedState(String domain) throws Exception {
        for (String line : ferryOk("list", "--all").out().split("\n")) {
            String[] cells = line.trim().split("\\s{2,}");
            if (cells.length == 3 && cells[1].equals(domain)) {
                return Optional.of(cells[2]);
            }
        }
        return Optional.empty();
    }

    String log() throws IOException {
        return Files.readString(log, StandardCharsets.UTF_8);
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** SIGTERM, as an init system stops it; returns the exit status. */
    int terminate() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("ferryd did not stop within 60 s of SIGTERM");
        }
        return process.exitValue();
    }

    /** SIGKILL, as a crash: nothing of the daemon runs any more when this returns. */
    void kill() throws InterruptedException {
        if (!process.destroyForcibly().waitFor(30, TimeUnit.SECONDS)) {
            throw new AssertionError("ferryd did not die within 30 s of SIGKILL");
        }
    }

    /** Stops the daemon if it still runs and deletes its state (VM memory, framework cache); the log stays. */
    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        }
        if (!process.isAlive() && !restarted) {
            try (Stream<Path> paths = Files.walk(stateDir)) {
                paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
            } catch (IOException e) {
                // a state directory left behind under target/ is harmless
            }
        }
    }

    @Override
    public String toString() {
        return name + " (log: " + log + ")";
    }
}
