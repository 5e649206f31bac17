package io.ferry.core.daemon;

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
 */
public record DaemonSettings(InetSocketAddress listen, String hostname, UUID hostUuid, Path stateDir,
        int cookieMaxBytes, int cookieMaxDepth, String lockManager) {

    public static final String LISTEN = "ferry.listen";
    public static final String HOST_UUID = "ferry.host.uuid";
    public static final String HOSTNAME = "ferry.hostname";
    public static final String STATE_DIR = "ferry.state.dir";
    public static final String LOCK_MANAGER = "ferry.lock.manager";
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
        return new DaemonSettings(listen, hostname, hostUuid, stateDir, config.cookieMaxBytes(), config.cookieMaxDepth(),
                lockManager.isEmpty() ? "none" : lockManager);
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
