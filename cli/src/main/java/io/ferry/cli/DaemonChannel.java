package io.ferry.cli;

import io.ferry.protocol.ChannelException;
import io.ferry.protocol.ControlClient;
import io.ferry.protocol.DaemonClient;

/** A daemon's control channel as commands use it: typed calls whose failures become one-line CLI errors. */
final class DaemonChannel {
    private final ControlClient client;
    private final DaemonClient daemon;

    DaemonChannel(ControlClient client) {
        this.client = client;
        this.daemon = new DaemonClient(client);
        ControlClient.warmUp();
    }

    String uri() {
        return client.uri();
    }

    ControlClient client() {
        return client;
    }

    /** A call of the daemon. */
    interface Request<T> {
        T to(DaemonClient daemon) throws ChannelException;
    }

    <T> T call(Request<T> request) throws CliException {
        return Cli.call(() -> request.to(daemon));
    }
}
