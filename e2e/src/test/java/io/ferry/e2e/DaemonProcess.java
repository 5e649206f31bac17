package io.ferry.e2e;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;

import io.ferry.launcher.LocalDaemon;
import io.ferry.protocol.ControlClient;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A real {@code bin/ferryd} process (a {@link LocalDaemon}) with its own state and deploy directories under the
 * tests' work directory and an ephemeral port, and what tests ask of it through {@code bin/ferry}. It can be
 * killed ({@code SIGKILL}) and restarted on the same directories and port, as a host whose daemon crashed.
 */
final class DaemonProcess implements AutoCloseable {
    final String name;
    final Path stateDir;
    final Path deployDir;
    final Path log;
    private final LocalDaemon daemon;
    /** Set once a restart took over this daemon's directories: closing this one must not delete them. */
    private boolean restarted;

    private DaemonProcess(LocalDaemon daemon) {
        this.daemon = daemon;
        this.name = daemon.layout().name();
        this.stateDir = daemon.stateDir();
        this.deployDir = daemon.deployDir();
        this.log = daemon.logFile();
    }

    static DaemonProcess start(String name, String... extraFlags) throws IOException {
        return start(name, Map.of(), extraFlags);
    }

    /** @param env extra environment, such as {@code FERRYD_JAVA_OPTS} for the daemon's JVM */
    static DaemonProcess start(String name, Map<String, String> env, String... extraFlags) throws IOException {
        return new DaemonProcess(LocalDaemon.launch(layout(Installation.HOME, name, null, env, extraFlags), "127.0.0.1:0"));
    }

    /** A daemon of the installation at {@code home} (a modified copy of the built one, say). */
    static DaemonProcess start(Path home, String name, String... extraFlags) throws IOException {
        return new DaemonProcess(LocalDaemon.launch(layout(home, name, null, Map.of(), extraFlags), "127.0.0.1:0"));
    }

    /** A daemon whose state directory is {@code stateDir} (on a file system of the test's, say). */
    static DaemonProcess startOn(Path stateDir, String name, String... extraFlags) throws IOException {
        return new DaemonProcess(LocalDaemon.launch(layout(Installation.HOME, name, stateDir, Map.of(), extraFlags), "127.0.0.1:0"));
    }

    private static LocalDaemon.Layout layout(Path home, String name, Path stateDir, Map<String, String> env, String... flags)
            throws IOException {
        return layout(home, name, stateDir, false, env, flags);
    }

    /** @param ownStderr stderr apart from the log (the one line of a daemon that does not start) */
    private static LocalDaemon.Layout layout(Path home, String name, Path stateDir, boolean ownStderr, Map<String, String> env,
            String... flags) throws IOException {
        Path dir = Files.createDirectories(Installation.WORK.resolve(name + "-" + System.nanoTime()));
        return new LocalDaemon.Layout(home, name, stateDir != null ? stateDir : dir.resolve("state"), dir.resolve("deploy"),
                dir.resolve("ferryd.log"), ownStderr ? dir.resolve("ferryd.err") : null, List.of(flags), env);
    }

    /**
     * A daemon whose directories are in {@code dir}: QEMU guests need a short one, as the unix sockets in the state
     * directory's {@code run/UUID/} may hold only 107 bytes.
     */
    static DaemonProcess startIn(Path dir, String name, Map<String, String> env, String... extraFlags) throws IOException {
        Files.createDirectories(dir);
        return new DaemonProcess(LocalDaemon.launch(new LocalDaemon.Layout(Installation.HOME, name, dir.resolve("state"),
                dir.resolve("deploy"), dir.resolve("ferryd.log"), null, List.of(extraFlags), env), "127.0.0.1:0"));
    }

    /** What a ferryd that did not start left: its exit status, its stderr and its log (stdout). */
    record Refusal(int exit, String stderr, String log) {
        @Override
        public String toString() {
            return "exit " + exit + "\nstderr:\n" + stderr + "\nlog:\n" + log;
        }
    }

    /**
     * Runs a ferryd of the installation at {@code home} that is expected not to start (on an ephemeral loopback port
     * unless {@code flags} say otherwise) until it exits; one that keeps running fails the test.
     */
    static Refusal refused(Path home, String... flags) throws Exception {
        return refusedOn(home, null, flags);
    }

    /** {@link #refused}, on the state directory {@code stateDir} (another daemon's, say); null: one of its own. */
    static Refusal refusedOn(Path home, Path stateDir, String... flags) throws Exception {
        LocalDaemon.Layout layout = layout(home, "refused", stateDir, true, Map.of(), flags);
        LocalDaemon daemon = LocalDaemon.launch(layout, "127.0.0.1:0");
        int exit = daemon.awaitExit();
        String stderr = Files.exists(layout.stderr()) ? Files.readString(layout.stderr(), StandardCharsets.UTF_8) : "";
        return new Refusal(exit, stderr, daemon.log());
    }

    /** This daemon (a restart, say) expected not to start: its exit status, and its log, where its stderr went too. */
    Refusal awaitRefusal() throws Exception {
        return new Refusal(daemon.awaitExit(), "", daemon.log());
    }

    /**
     * A new daemon on this one's installation, state and deploy directories, environment and port (peers'
     * journals know its URI). A daemon still running is stopped first (SIGTERM); {@code extraFlags}, when given,
     * replace the first start's.
     */
    DaemonProcess restart(String... extraFlags) throws Exception {
        url();
        restarted = true;
        return new DaemonProcess(daemon.restart(extraFlags.length == 0 ? null : List.of(extraFlags)));
    }

    /**
     * Another daemon, with directories of its own, listening where this one (stopped) did: a host whose state
     * directory was replaced, or another host given this one's address.
     */
    DaemonProcess another(String otherName) throws Exception {
        String listen = java.net.URI.create(url()).getAuthority();
        return new DaemonProcess(LocalDaemon.launch(layout(Installation.HOME, otherName, null, Map.of()), listen));
    }

    /** The control URI, once the daemon wrote it (bounded wait). */
    String url() throws Exception {
        try {
            return daemon.awaitUri();
        } catch (IOException e) {
            throw new AssertionError(e.getMessage(), e);
        }
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
        return fields(ferryOk(args));
    }

    /** The "Label: value" lines a command printed, as label → value. */
    static Map<String, String> fields(Installation.Result printed) {
        Map<String, String> fields = new LinkedHashMap<>();
        for (String line : printed.out().split("\n")) {
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

    /** "running", "paused", "shut off"…, or null if this host says it has no such domain. */
    String state(String domain) throws Exception {
        String info = dominfoIfKnown(domain);
        if (info == null) {
            return null;
        }
        return info.lines().filter(line -> line.startsWith("State:")).map(line -> line.substring(6).trim()
                .replaceFirst(" \\(.*\\)$", "")).findFirst()
                .orElseThrow(() -> new AssertionError("no State: in dominfo " + domain + " on " + this + ":\n" + info));
    }

    /**
     * What {@code ferry dominfo NAME} printed, or null if this daemon answered that it has no such domain. Any other
     * failure (the daemon down, its answer late or garbled) fails the test: a host that does not answer may run a
     * copy of the guest (a QEMU outlives its daemon), so its silence is never "not there".
     */
    String dominfoIfKnown(String domain) throws Exception {
        Installation.Result info = ferry("dominfo", domain);
        if (info.exit() == 0) {
            return info.out();
        }
        String notFound = "error: Domain not found: no domain with matching name '" + domain + "'";
        if (info.exit() == 1 && info.err().lines().anyMatch(notFound::equals)) { // the JVM may warn on its own lines
            return null;
        }
        throw new AssertionError("ferry dominfo " + domain + " on " + this + " failed: " + info);
    }

    /** Waits until the domain is in {@code state} here (null: gone, as the daemon says; one down fails at once). */
    void awaitState(String domain, String state) throws Exception {
        Poll.until(domain + " to be " + state + " on " + this, () -> Objects.equals(state, state(domain)));
    }

    /** The daemon's own description of a domain ({@code GET /v1/domains/NAME}): state, and an active VM's graphics. */
    String domainXml(String domain) throws Exception {
        return new ControlClient(url()).get("domains/" + domain);
    }

    /** The port of the domain's graphics listener of {@code type} on this host. */
    int graphicsPort(String domain, String type) throws Exception {
        String info = domainXml(domain);
        Matcher m = Pattern.compile("<graphics [^>]*type=['\"]" + type + "['\"][^>]*>").matcher(info);
        if (!m.find()) {
            throw new AssertionError("no " + type + " graphics in " + info);
        }
        Matcher port = Pattern.compile("port=['\"](\\d+)['\"]").matcher(m.group());
        if (!port.find()) {
            throw new AssertionError("no port in " + m.group());
        }
        return Integer.parseInt(port.group(1));
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
        return daemon.log();
    }

    boolean isAlive() {
        return daemon.isAlive();
    }

    /** The daemon's process id, for what /proc says of it. */
    long pid() {
        return daemon.pid();
    }

    /** SIGTERM, as an init system stops it; returns the exit status. */
    int terminate() throws InterruptedException {
        return daemon.terminate();
    }

    /** SIGKILL, as a crash: nothing of the daemon runs any more when this returns. */
    void kill() throws InterruptedException {
        daemon.kill();
    }

    /** Stops the daemon if it still runs and deletes its state (VM memory, framework cache); the log stays. */
    @Override
    public void close() throws InterruptedException {
        if (daemon.isAlive()) {
            daemon.kill();
        }
        if (!restarted) {
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
