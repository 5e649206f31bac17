package io.ferry.cli;

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
            var daemon = Xml.of(Xml.parse(session.daemon().get("version")));
            out.println("Running against daemon: Ferry " + daemon.attr("ferry") + " (migration protocols "
                    + daemon.attr("protocols") + ")");
        }
        return 0;
    }
}
