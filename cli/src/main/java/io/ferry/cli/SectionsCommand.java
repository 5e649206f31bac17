package io.ferry.cli;

import io.ferry.protocol.DaemonClient;
import io.ferry.protocol.DaemonMessages.Section;
import java.io.PrintStream;
import java.util.List;
import java.util.Set;

/**
 * {@code ferry [-c URI] sections}: the installed cookie sections of a daemon, or offline of this installation; where
 * two bundles offer one feature, both are listed and the Serves column says which one migrations use and why.
 */
final class SectionsCommand implements Command {
    @Override
    public String synopsis() {
        return "sections                       list the installed cookie sections (of the daemon with -c, else of this installation)";
    }

    @Override
    public int run(Session session, List<String> args, PrintStream out) throws CliException {
        new Args(args, Set.of(), Set.of()).positionals(0, "nothing");
        Table table = new Table("Feature", "Element", "Version", "Mandatory", "Bakes", "Eats", "Bundle", "Serves");
        for (Section s : session.daemonOrOffline().call(DaemonClient::sections).sections()) {
            table.add(s.feature(), s.element(), s.version(), s.mandatory(), dashIfEmpty(String.join(",", s.bakes())),
                    dashIfEmpty(String.join(",", s.eats())), s.bundle(),
                    (s.serving() ? "yes" : "no") + (s.why() == null ? "" : " (" + s.why() + ")"));
        }
        table.print(out);
        return 0;
    }

    private static String dashIfEmpty(String value) {
        return value == null || value.isEmpty() ? "-" : value;
    }
}
