package io.ferry.cli;

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
        for (Map<String, String> s : Xml.rows(Xml.parse(session.daemonOrOffline().get("sections")), "section")) {
            table.add(s.get("feature"), s.get("element"), s.get("version"), s.get("mandatory"),
                    dashIfEmpty(s.get("bakes")), dashIfEmpty(s.get("eats")), s.get("bundle"));
        }
        table.print(out);
        return 0;
    }

    private static String dashIfEmpty(String value) {
        return value == null || value.isEmpty() ? "-" : value;
    }
}
