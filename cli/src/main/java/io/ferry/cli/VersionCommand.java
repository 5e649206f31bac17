package io.ferry.cli;

import io.ferry.protocol.DaemonClient;
import io.ferry.protocol.DaemonMessages.Version;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.util.List;
import java.util.Properties;
import java.util.Set;

/** {@code ferry version}. */
final class VersionCommand implements Command {
    static String version() {
        Properties properties = new Properties();
        try (InputStream in = VersionCommand.class.getResourceAsStream("version.properties")) {
            properties.load(in);
        } catch (IOException | NullPointerException e) {
            return "unknown";
        }
        return properties.getProperty("version", "unknown");
    }

    @Override
    public String synopsis() {
        return "version                        print Ferry's version (and the daemon's, with -c)";
    }

    @Override
    public int run(Session session, List<String> args, PrintStream out) throws CliException {
        new Args(args, Set.of(), Set.of()).positionals(0, "nothing");
        out.println("Compiled against library: Ferry " + version());
        if (!session.isOffline()) {
            Version daemon = session.daemon().call(DaemonClient::version);
            out.println("Running against daemon: Ferry " + TerminalText.line(daemon.ferry()) + " (migration protocols "
                    + String.join(",", daemon.protocols().stream().map(String::valueOf).toList()) + ")");
        }
        return 0;
    }
}
