package io.ferry.cli;

import io.ferry.launcher.FerryHome;
import io.ferry.launcher.OfflineRuntime;
import io.ferry.protocol.ControlClient;
import java.util.Map;

/**
 * The connection a command works through: the daemon named by {@code -c URI}, or, for the commands that can
 * work offline, a private framework of this installation booted for the one command.
 */
final class Session implements AutoCloseable {
    /** The daemon a command talks to without -c: the one etc/io.ferry.daemon.cfg describes. */
    static final String DEFAULT_URI = "ferry+tcp://127.0.0.1:16570";

    private final String connectUri;
    private final Map<String, String> environment;
    private OfflineRuntime offline;
    private DaemonChannel client;

    Session(String connectUri) {
        this(connectUri, System.getenv());
    }

    /** @param environment where {@code FERRY_DEFAULT_URI} is looked up */
    Session(String connectUri, Map<String, String> environment) {
        this.connectUri = connectUri;
        this.environment = environment;
    }

    /** The daemon of {@code -c}, or the installation itself booted offline. */
    DaemonChannel daemonOrOffline() throws CliException {
        if (client == null) {
            if (connectUri != null) {
                client = new DaemonChannel(Cli.call(() -> new ControlClient(connectUri)));
            } else {
                try {
                    offline = OfflineRuntime.start(FerryHome.fromSystemProperty());
                } catch (Exception e) {
                    throw new CliException("cannot start the offline runtime: " + e.getMessage(), e);
                }
                client = new DaemonChannel(Cli.call(() -> new ControlClient(offline.controlUrl())));
            }
        }
        return client;
    }

    /** The daemon of {@code -c}, else of {@code FERRY_DEFAULT_URI}, else the local default. */
    DaemonChannel daemon() throws CliException {
        if (connectUri != null) {
            return daemonOrOffline();
        }
        String named = environment.get("FERRY_DEFAULT_URI");
        String uri = named == null ? DEFAULT_URI : named;
        // a shell without the export, or a daemon not started yet: say where the URI came from and how to give another
        String unreachable = named == null
                ? " (neither -c URI nor FERRY_DEFAULT_URI given, so this host's default daemon: is ferryd running there? name"
                        + " another with -c URI or FERRY_DEFAULT_URI)"
                : " (the daemon FERRY_DEFAULT_URI names: is ferryd running there? -c URI names another)";
        return new DaemonChannel(Cli.call(() -> new ControlClient(uri)), unreachable);
    }

    boolean isOffline() {
        return connectUri == null;
    }

    @Override
    public void close() {
        if (offline != null) {
            offline.close();
        }
    }
}
