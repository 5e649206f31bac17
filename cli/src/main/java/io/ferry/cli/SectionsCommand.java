package io.ferry.cli;

import io.ferry.launcher.FerryHome;
import io.ferry.launcher.SectionsIndex;
import java.io.PrintStream;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** {@code ferry [-c URI] sections}: the installed cookie sections of a daemon, or offline of this installation. */
final class SectionsCommand implements Command {
    @Override
    public String synopsis() {
        return "sections                       list the installed cookie sections (of the daemon with -c, else of this installation)";
    }

    @Override
    public int run(Session session, List<String> args, PrintStream out) throws CliException {
        new Args(args, Set.of(), Set.of()).positionals(0, "nothing");
        Table table = new Table("Feature", "Element", "Version", "Mandatory", "Bakes", "Eats", "Bundle");
        String reply = session.isOffline() ? offline(session) : session.daemonOrOffline().get("sections");
        for (Map<String, String> s : Xml.rows(Xml.parse(reply), "section")) {
            table.add(s.get("feature"), s.get("element"), s.get("version"), s.get("mandatory"),
                    dashIfEmpty(s.get("bakes")), dashIfEmpty(s.get("eats")), s.get("bundle"));
        }
        table.print(out);
        return 0;
    }

    /** What a private framework of this installation said last, while its bundles and settings are the same files. */
    private static String offline(Session session) throws CliException {
        try {
            return SectionsIndex.sections(FerryHome.fromSystemProperty(), () -> session.daemonOrOffline().get("sections"));
        } catch (CliException e) {
            throw e;
        } catch (Exception e) {
            throw new CliException("cannot list this installation's sections: " + e.getMessage(), e);
        }
    }

    private static String dashIfEmpty(String value) {
        return value == null || value.isEmpty() ? "-" : value;
    }
}
