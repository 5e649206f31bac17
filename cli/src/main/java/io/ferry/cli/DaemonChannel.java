package io.ferry.cli;

import io.ferry.protocol.ChannelException;
import io.ferry.protocol.ControlClient;
import io.ferry.protocol.DaemonClient;

/** A daemon's control channel as commands use it: typed calls whose failures become one-line CLI errors. */
final class DaemonChannel {
    private final ControlClient client;
    private final DaemonClient daemon;
    /** Added to "cannot connect to URI: …" when the operator did not name the daemon: where its URI came from. */
    private final String unreachable;

    DaemonChannel(ControlClient client) {
        this(client, "");
    }

    DaemonChannel(ControlClient client, String unreachable) {
        this.client = client;
        this.daemon = new DaemonClient(client);
        this.unreachable = unreachable;
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
        try {
            return request.to(daemon);
        } catch (ChannelException e) {
            throw new CliException(e.getMessage() + (ControlClient.unreachable(e) ? unreachable : ""), e);
        }
    }
}
