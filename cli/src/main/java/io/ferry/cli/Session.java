package io.ferry.cli;

import io.ferry.launcher.FerryHome;
import io.ferry.launcher.OfflineRuntime;
import io.ferry.protocol.ControlClient;

/**
 * The connection a command works through: the daemon named by {@code -c URI}, or, for the commands that can
 * work offline, a private framework of this installation booted for the one command.
 */
final class Session implements AutoCloseable {
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
