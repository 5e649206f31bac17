package io.ferry.core.daemon;

import io.ferry.protocol.TlsFiles;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import java.util.function.UnaryOperator;

/**
 * The daemon's effective settings: a framework property ({@code ferryd}'s flags) wins over the configuration,
 * which wins over the defaults.
 *
 * @param tls the files of the control channel's mutual TLS; null: plain {@code ferry+tcp://}
 */
public record DaemonSettings(InetSocketAddress listen, String hostname, UUID hostUuid, Path stateDir,
        int cookieMaxBytes, int cookieMaxDepth, String lockManager, TlsFiles tls) {

    public static final String LISTEN = "ferry.listen";
    public static final String HOST_UUID = "ferry.host.uuid";
    public static final String HOSTNAME = "ferry.hostname";
    public static final String STATE_DIR = "ferry.state.dir";
    public static final String LOCK_MANAGER = "ferry.lock.manager";
    public static final String TLS_KEYSTORE = TlsFiles.KEYSTORE_PROPERTY;
    public static final String TLS_TRUSTSTORE = TlsFiles.TRUSTSTORE_PROPERTY;
    public static final String TLS_PASSWORD_FILE = TlsFiles.PASSWORD_FILE_PROPERTY;
    /** Set by the command line's private offline framework: its loopback channel stays plain. */
    public static final String OFFLINE = "ferry.offline";
    /** The installation's root, which relative paths of the configuration are resolved against. */
    private static final String HOME = "ferry.home";
    private static final String HOST_UUID_FILE = "host-uuid";

    /**
     * @param frameworkProperty reads a framework property, null when unset
     */
    public static DaemonSettings resolve(DaemonConfig config, UnaryOperator<String> frameworkProperty) throws IOException {
        Path stateDir = Path.of(pick(frameworkProperty.apply(STATE_DIR), config.stateDir())).toAbsolutePath();
        Files.createDirectories(stateDir);
        InetSocketAddress listen = parseListen(pick(frameworkProperty.apply(LISTEN), config.listen()));
        String hostname = pick(frameworkProperty.apply(HOSTNAME), config.hostname());
        if (hostname.isEmpty()) {
            hostname = localHostName();
        }
        String uuid = pick(frameworkProperty.apply(HOST_UUID), config.hostUuid());
        UUID hostUuid = uuid.isEmpty() ? persistentHostUuid(stateDir) : parseUuid(uuid);
        String lockManager = pick(frameworkProperty.apply(LOCK_MANAGER), config.lockManager());
        TlsFiles tls = Boolean.parseBoolean(frameworkProperty.apply(OFFLINE)) ? null : tls(config, frameworkProperty);
        return new DaemonSettings(listen, hostname, hostUuid, stateDir, config.cookieMaxBytes(), config.cookieMaxDepth(),
                lockManager.isEmpty() ? "none" : lockManager, tls);
    }

    /** All three files, or none. */
    private static TlsFiles tls(DaemonConfig config, UnaryOperator<String> frameworkProperty) {
        String home = frameworkProperty.apply(HOME);
        Path keystore = file(frameworkProperty.apply(TLS_KEYSTORE), config.tlsKeystore(), home);
        Path truststore = file(frameworkProperty.apply(TLS_TRUSTSTORE), config.tlsTruststore(), home);
        Path password = file(frameworkProperty.apply(TLS_PASSWORD_FILE), config.tlsPasswordFile(), home);
        if (keystore == null && truststore == null && password == null) {
            return null;
        }
        if (keystore == null || truststore == null || password == null) {
            throw new IllegalArgumentException("TLS needs a keystore, a trust store and a password file (tlsKeystore, "
                    + "tlsTruststore, tlsPasswordFile; ferryd --tls-keystore, --tls-truststore, --tls-password-file); set: "
                    + "keystore " + keystore + ", trust store " + truststore + ", password file " + password);
        }
        return new TlsFiles(keystore, truststore, password);
    }

    /** A framework property as given (ferryd made it absolute), else the configured path relative to the installation. */
    private static Path file(String override, String configured, String home) {
        if (override != null && !override.isBlank()) {
            return Path.of(override.trim()).toAbsolutePath();
        }
        if (configured == null || configured.isBlank()) {
            return null;
        }
        Path path = Path.of(configured.trim());
        return (home == null || home.isBlank() ? path : Path.of(home).resolve(path)).toAbsolutePath();
    }

    private static String pick(String override, String configured) {
        return override != null && !override.isBlank() ? override.trim() : configured == null ? "" : configured.trim();
    }

    /** Parses HOST:PORT ({@code [v6]:PORT} for IPv6). */
    public static InetSocketAddress parseListen(String value) {
        int colon = value.lastIndexOf(':');
        if (colon <= 0 || colon == value.length() - 1) {
            throw new IllegalArgumentException("listen address '" + value + "' is not HOST:PORT");
        }
        String host = value.substring(0, colon).replace("[", "").replace("]", "");
        try {
            int port = Integer.parseInt(value.substring(colon + 1));
            if (port < 0 || port > 65535) {
                throw new NumberFormatException();
            }
            return new InetSocketAddress(host, port);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("listen address '" + value + "' has no valid port");
        }
    }

    private static UUID parseUuid(String value) {
        try {
            return UUID.fromString(value);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("host UUID '" + value + "' is not a UUID");
        }
    }

    /** Like libvirt's host_uuid: made once, then the same for every start of this host's daemon. */
    private static UUID persistentHostUuid(Path stateDir) throws IOException {
        Path file = stateDir.resolve(HOST_UUID_FILE);
        if (Files.exists(file)) {
            return parseUuid(Files.readString(file, StandardCharsets.US_ASCII).trim());
        }
        UUID generated = UUID.randomUUID();
        AtomicFiles.write(file, (generated + "\n").getBytes(StandardCharsets.US_ASCII));
        return generated;
    }

    private static String localHostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "localhost";
        }
    }
}
