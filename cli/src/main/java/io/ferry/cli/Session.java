package io.ferry.cli;

import io.ferry.launcher.FerryHome;
import io.ferry.launcher.OfflineRuntime;
import io.ferry.protocol.ControlClient;

/**
 * The connection a command works through: the daemon named by {@code -c URI}, or, for the commands that can
 * work offline, a private framework of this installation booted for the one command.
 */
final class Session implements AutoCloseable {
    /** The daemon a command talks to without -c: the one etc/io.ferry.daemon.cfg describes. */
    static final String DEFAULT_URI = "ferry+tcp://127.0.0.1:16570";

    private final String connectUri;
    private OfflineRuntime offline;
    private DaemonChannel client;

    Session(String connectUri) {
        this.connectUri = connectUri;
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
        String uri = System.getenv().getOrDefault("FERRY_DEFAULT_URI", DEFAULT_URI);
        return new DaemonChannel(Cli.call(() -> new ControlClient(uri)));
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
