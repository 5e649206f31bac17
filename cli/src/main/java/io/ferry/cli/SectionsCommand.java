package io.ferry.cli;

import io.ferry.launcher.FerryHome;
import io.ferry.launcher.SectionsIndex;
import io.ferry.protocol.ChannelException;
import io.ferry.protocol.ControlClient;
import io.ferry.protocol.DaemonClient;
import io.ferry.protocol.DaemonMessages.Section;
import io.ferry.protocol.DaemonMessages.Sections;
import io.ferry.protocol.Xml;
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
        Sections sections = session.isOffline() ? offline(session) : session.daemonOrOffline().call(DaemonClient::sections);
        for (Section s : sections.sections()) {
            table.add(s.feature(), s.element(), s.version(), s.mandatory(), dashIfEmpty(String.join(",", s.bakes())),
                    dashIfEmpty(String.join(",", s.eats())), s.bundle(),
                    (s.serving() ? "yes" : "no") + (s.why() == null ? "" : " (" + s.why() + ")"));
        }
        table.print(out);
        return 0;
    }

    /** What a private framework of this installation said last, while its bundles and settings are the same files. */
    private static Sections offline(Session session) throws CliException {
        String reply;
        try {
            reply = SectionsIndex.sections(FerryHome.fromSystemProperty(),
                    () -> session.daemonOrOffline().call(DaemonClient::sections).toXml());
        } catch (CliException e) {
            throw e;
        } catch (Exception e) {
            throw new CliException("cannot list this installation's sections: " + e.getMessage(), e);
        }
        try {
            return Sections.fromXml(Xml.of(ControlClient.parse(reply)));
        } catch (ChannelException e) {
            throw new CliException("cannot list this installation's sections: " + e.getMessage(), e);
        }
    }

    private static String dashIfEmpty(String value) {
        return value == null || value.isEmpty() ? "-" : value;
    }
}
