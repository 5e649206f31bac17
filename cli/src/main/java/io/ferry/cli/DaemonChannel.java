package io.ferry.cli;

import io.ferry.protocol.ControlClient;
import java.util.Map;

/** A daemon's control channel as commands use it: failures become one-line CLI errors. */
final class DaemonChannel {
    private final ControlClient client;

    DaemonChannel(ControlClient client) {
        this.client = client;
    }

    String uri() {
        return client.uri();
    }

    ControlClient client() {
        return client;
    }

    String get(String path) throws CliException {
        return Cli.call(() -> client.get(path));
    }

    String delete(String path) throws CliException {
        return Cli.call(() -> client.delete(path));
    }

    String post(String path, Map<String, String> query, byte[] body) throws CliException {
        return Cli.call(() -> client.post(path, query, body));
    }
}
