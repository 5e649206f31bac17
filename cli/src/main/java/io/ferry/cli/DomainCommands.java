package io.ferry.cli;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** virsh's domain life-cycle commands: define, undefine, start, destroy, list, dominfo. */
final class DomainCommands {
    private DomainCommands() {
    }

    /** A command made of a synopsis and a body. */
    record Simple(String synopsis, Body body) implements Command {
        interface Body {
            int run(Session session, List<String> args, PrintStream out) throws CliException;
        }

        @Override
        public int run(Session session, List<String> args, PrintStream out) throws CliException {
            return body.run(session, args, out);
        }
    }

    static void register(Map<String, Command> commands) {
        commands.put("define", new Simple("define FILE                    define a domain from its XML", (session, args, out) -> {
            String file = new Args(args, Set.of(), Set.of()).positionals(1, "FILE").get(0);
            byte[] xml = CookieFiles.read(file);
            var reply = Xml.of(Xml.parse(session.daemon().post("domains", Map.of(), xml)));
            out.println("Domain '" + reply.attr("name") + "' defined from " + file);
            return 0;
        }));
        commands.put("undefine", new Simple("undefine NAME                  remove a domain's persistent definition", (session, args, out) -> {
            String name = name(args);
            session.daemon().delete("domains/" + name);
            out.println("Domain '" + name + "' has been undefined");
            return 0;
        }));
        commands.put("start", new Simple("start NAME                     start a defined domain", (session, args, out) -> {
            String name = name(args);
            session.daemon().post("domains/" + name + "/start", Map.of(), new byte[0]);
            out.println("Domain '" + name + "' started");
            return 0;
        }));
        commands.put("destroy", new Simple("destroy NAME                   stop a domain at once", (session, args, out) -> {
            String name = name(args);
            session.daemon().post("domains/" + name + "/destroy", Map.of(), new byte[0]);
            out.println("Domain '" + name + "' destroyed");
            return 0;
        }));
        commands.put("resume", new Simple("resume NAME [--force]          resume a paused domain; a migration's source only if that cannot\n"
                + "                                 make it run on two hosts (see docs/migration.md)", (session, args, out) -> {
            Args parsed = new Args(args, Set.of(), Set.of("--force"));
            String name = parsed.positionals(1, "NAME").get(0);
            var reply = Xml.of(Xml.parse(session.daemon().post("domains/" + name + "/resume",
                    parsed.has("--force") ? Map.of("force", "yes") : Map.of(), new byte[0])));
            printAnswer(reply.attr("message"), out);
            return 0;
        }));
        commands.put("list", new Simple("list [--all]                   list the running (or all) domains", (session, args, out) -> {
            Args parsed = new Args(args, Set.of(), Set.of("--all"));
            parsed.positionals(0, "nothing");
            boolean all = parsed.has("--all");
            Table table = new Table("Id", "Name", "State");
            for (Map<String, String> d : Xml.rows(Xml.parse(session.daemon().get("domains")), "domain")) {
                boolean active = !d.get("state").equals("shut off");
                if (all || active) {
                    table.add("-", d.get("name"), d.get("state"));
                }
            }
            table.print(out);
            return 0;
        }));
        commands.put("dominfo", new Simple("dominfo NAME                   show a domain's information", (session, args, out) -> {
            var d = Xml.of(Xml.parse(session.daemon().get("domains/" + name(args))));
            field(out, "Name", d.attr("name"));
            field(out, "UUID", d.attr("uuid") == null ? "-" : d.attr("uuid")); // unknown: an unreadable domain's files
            field(out, "OS Type", d.attr("type") == null ? "-" : d.attr("type"));
            field(out, "State", d.attr("state") + " (" + d.attr("reason") + ")");
            field(out, "CPU(s)", d.attr("vcpus") == null ? "-" : d.attr("vcpus"));
            field(out, "Max memory", d.attr("memory") == null ? "-" : d.attr("memory") + " KiB");
            field(out, "Persistent", d.attr("persistent"));
            if (d.attr("migration") != null) {
                field(out, "Migration", d.attr("migration"));
            }
            if (d.attr("digest") != null) {
                field(out, "Memory digest", d.attr("digest"));
            }
            if (d.attr("problem") != null) {
                field(out, "Problem", d.attr("problem"));
            }
            return 0;
        }));
    }

    static void registerEvents(Map<String, Command> commands) {
        commands.put("events", new Simple("events [--domain NAME]         list the daemon's recent migration events", (session, args, out) -> {
            Args parsed = new Args(args, Set.of("--domain"), Set.of());
            parsed.positionals(0, "nothing");
            String only = parsed.option("--domain");
            for (Map<String, String> e : Xml.rows(Xml.parse(session.daemon().get("events")), "event")) {
                if (only == null || only.equals(e.get("domain"))) {
                    out.println(java.time.Instant.ofEpochMilli(Long.parseLong(e.get("time"))) + "  event '" + e.get("type")
                            + "' for domain '" + e.get("domain") + "' (" + e.get("side") + ")");
                }
            }
            return 0;
        }));
    }

    /** An operator action's answer: its lines on stdout, its warnings on stderr. */
    static void printAnswer(String answer, PrintStream out) {
        for (String line : answer.split("\n")) {
            (line.startsWith("warning: ") ? System.err : out).println(line);
        }
    }

    static String name(List<String> args) throws CliException {
        return new Args(args, Set.of(), Set.of()).positionals(1, "NAME").get(0);
    }

    static void field(PrintStream out, String label, String value) {
        out.printf("%-16s%s%n", label + ":", value);
    }

    static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
