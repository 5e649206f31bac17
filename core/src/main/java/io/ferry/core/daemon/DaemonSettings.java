package io.ferry.core.daemon;

import io.ferry.protocol.TlsFiles;
import io.ferry.settings.FerrydSettings;
import io.ferry.settings.Layer;
import io.ferry.settings.SettingValues;
import io.ferry.settings.SubjectPattern;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * The daemon's settings: its configuration ({@value FerrydSettings#DAEMON}, into which ferryd put its flags over
 * {@code etc/io.ferry.daemon.cfg}) checked by {@link FerrydSettings}, with relative paths resolved against the
 * installation, plus what follows from them (a generated host UUID, the machine's host name).
 */
public final class DaemonSettings {
    private static final String HOST_UUID_FILE = "host-uuid";

    private final SettingValues values;
    private final Path stateDir;
    private final Path runDir;
    private final String hostname;
    private final UUID hostUuid;
    private final TlsFiles tls;

    private DaemonSettings(SettingValues values, Path stateDir, Path runDir, String hostname, UUID hostUuid, TlsFiles tls) {
        this.values = values;
        this.stateDir = stateDir;
        this.runDir = runDir;
        this.hostname = hostname;
        this.hostUuid = hostUuid;
        this.tls = tls;
    }

    /**
     * @param configuration the component's properties
     * @param home the installation, which relative paths are relative to; null: the working directory
     * @throws io.ferry.settings.SettingException naming the first setting at fault
     * @throws IOException when the state directory or its host UUID cannot be made
     */
    public static DaemonSettings resolve(Map<String, ?> configuration, Path home) throws IOException {
        return resolve(configuration, home, AtomicFiles.FSYNC);
    }

    static DaemonSettings resolve(Map<String, ?> configuration, Path home, AtomicFiles.DirectorySync sync) throws IOException {
        SettingValues values = FerrydSettings.resolve(FerrydSettings.DAEMON,
                List.of(Layer.configuration(FerrydSettings.DAEMON, "configuration " + FerrydSettings.DAEMON, configuration)));
        Path stateDir = AtomicFiles.createDirectories(values.path(FerrydSettings.STATE_DIR, home), sync);
        String hostname = values.get(FerrydSettings.HOSTNAME);
        UUID hostUuid = values.get(FerrydSettings.HOST_UUID);
        Path keystore = values.path(FerrydSettings.TLS_KEYSTORE, home);
        return new DaemonSettings(values, stateDir, FerrydSettings.runDir(values, home), hostname == null ? localHostName() : hostname,
                hostUuid == null ? persistentHostUuid(stateDir) : givenHostUuid(stateDir, hostUuid),
                keystore == null ? null : new TlsFiles(keystore, values.path(FerrydSettings.TLS_TRUSTSTORE, home),
                        values.path(FerrydSettings.TLS_PASSWORD_FILE, home)));
    }

    public InetSocketAddress listen() {
        return values.get(FerrydSettings.LISTEN);
    }

    public String hostname() {
        return hostname;
    }

    public UUID hostUuid() {
        return hostUuid;
    }

    public Path stateDir() {
        return stateDir;
    }

    /** Where each running VM's files are ({@code UUID/}); ferryd holds it for this daemon alone. */
    public Path runDir() {
        return runDir;
    }

    public int cookieMaxBytes() {
        return values.get(FerrydSettings.COOKIE_MAX_BYTES);
    }

    public int cookieMaxDepth() {
        return values.get(FerrydSettings.COOKIE_MAX_DEPTH);
    }

    /** {@code file}, {@code zookeeper} or {@code none}. */
    public String lockManager() {
        return values.get(FerrydSettings.LOCK_MANAGER);
    }

    /** The files of the control channel's mutual TLS; null: plain {@code ferry+tcp://}. */
    public TlsFiles tls() {
        return tls;
    }

    /** Plain TCP may serve an address off loopback (the operator said so). */
    public boolean insecureTcp() {
        return values.get(FerrydSettings.INSECURE_TCP);
    }

    /** The certificate subjects that may do everything on a TLS channel; empty: none listed. */
    public List<SubjectPattern> tlsAllowOperators() {
        List<SubjectPattern> patterns = values.get(FerrydSettings.TLS_ALLOW_OPERATORS);
        return patterns == null ? List.of() : patterns;
    }

    /** The certificate subjects of peer daemons, which may only take part in migrations; empty: none listed. */
    public List<SubjectPattern> tlsAllowPeers() {
        List<SubjectPattern> patterns = values.get(FerrydSettings.TLS_ALLOW_PEERS);
        return patterns == null ? List.of() : patterns;
    }

    /** The migration protocols this daemon speaks: 2, 3 or both. */
    public Set<Integer> protocols() {
        return values.get(FerrydSettings.PROTOCOLS);
    }

    /** How long one cookie section's call may take. */
    public Duration sectionTimeout() {
        return values.get(FerrydSettings.SECTION_TIMEOUT);
    }

    /** How long a source waits after Perform for Confirm before asking the destination itself. */
    public Duration confirmWait() {
        return values.get(FerrydSettings.CONFIRM_WAIT);
    }

    /** How long a destination waits after the memory stream ended for Finish before giving up. */
    public Duration finishWait() {
        return values.get(FerrydSettings.FINISH_WAIT);
    }

    /** How long the hook script may run. */
    public Duration hookTimeout() {
        return values.get(FerrydSettings.HOOK_TIMEOUT);
    }

    /**
     * Like libvirt's host_uuid: made once, then the same for every start of this host's daemon. The leases this host
     * holds name it (a lease file's owner, a ZooKeeper holder): made afresh for a state directory in use, it would have
     * every running guest refused its own leases at re-attach, paused for good. So only a new state directory gets one.
     */
    private static UUID persistentHostUuid(Path stateDir) throws IOException {
        Path file = stateDir.resolve(HOST_UUID_FILE);
        if (Files.exists(file)) {
            String text = keptText(file);
            UUID kept = uuidOrNull(text);
            if (kept == null) {
                throw new IOException(file + " holds '" + text + "', which is not a UUID: " + RESTORE_HOST_UUID);
            }
            return kept;
        }
        Optional<Path> inUse = stateInUse(stateDir);
        if (inUse.isPresent()) {
            throw new IOException(file + " is missing, but the state directory is in use (" + inUse.get() + "): "
                    + RESTORE_HOST_UUID);
        }
        return keep(file, UUID.randomUUID());
    }

    /**
     * A given UUID is kept in the state directory too, so that the host stays itself once it is no longer given. One
     * other than the UUID a state directory in use keeps is refused, for the reason one made anew is: the leases of
     * its guests name the kept one. A missing or unreadable one is restored from it.
     */
    private static UUID givenHostUuid(Path stateDir, UUID given) throws IOException {
        Path file = stateDir.resolve(HOST_UUID_FILE);
        UUID kept = Files.exists(file) ? uuidOrNull(keptText(file)) : null;
        if (given.equals(kept)) {
            return given;
        }
        Optional<Path> inUse = kept == null ? Optional.empty() : stateInUse(stateDir);
        if (inUse.isPresent()) {
            // an earlier build kept no given UUID: one that ran under it since has its leases under the given one
            throw new IOException("--host-uuid (hostUuid) " + given + " differs from " + kept + " in " + file
                    + ", and the state directory is in use (" + inUse.get() + "): the disk leases this host holds and"
                    + " its migrations name the UUID it ran under, and under another its guests would be refused their"
                    + " leases; if it ran under " + kept + ", give " + kept + "; if under " + given + " (a build before"
                    + " this one kept a given UUID nowhere), write " + given + " into " + file + "; to change the"
                    + " host's UUID, shut off its guests, let its migrations end, then write " + given + " into "
                    + file);
        }
        return keep(file, given);
    }

    private static String keptText(Path file) throws IOException {
        return new String(Files.readAllBytes(file), StandardCharsets.US_ASCII).trim();
    }

    private static UUID uuidOrNull(String text) {
        try {
            return UUID.fromString(text);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static UUID keep(Path file, UUID uuid) throws IOException {
        AtomicFiles.write(file, (uuid + "\n").getBytes(StandardCharsets.US_ASCII));
        return uuid;
    }

    private static final String RESTORE_HOST_UUID = "the disk leases this host holds name its UUID, and one made anew would"
            + " have its guests refused them; write the host's UUID into it (the ownerUuid of a lease file this host holds,"
            + " or its ZooKeeper holders, name it) or give it with --host-uuid (hostUuid)";

    /** A file the daemon keeps for a domain or a migration, if the state directory has one. */
    private static Optional<Path> stateInUse(Path stateDir) throws IOException {
        for (String kept : List.of("domains", "status", "incoming", "migrations", "leases-owed")) {
            Path dir = stateDir.resolve(kept);
            if (Files.isDirectory(dir)) {
                try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*.xml")) {
                    Iterator<Path> first = files.iterator();
                    if (first.hasNext()) {
                        return Optional.of(first.next());
                    }
                }
            }
        }
        return Optional.empty();
    }

    private static String localHostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "localhost";
        }
    }
}
