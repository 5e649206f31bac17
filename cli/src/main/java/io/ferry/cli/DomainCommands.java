package io.ferry.cli;

import io.ferry.protocol.DaemonClient;
import io.ferry.protocol.DaemonMessages;
import io.ferry.protocol.DomainMessages;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * virsh's domain life-cycle commands: define, dumpxml, undefine, start, destroy, resume, suspend, list, dominfo,
 * domstate.
 */
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
            byte[] xml = CookieFiles.read(file, "a domain definition");
            out.println("Domain '" + TerminalText.line(session.daemon().call(d -> d.define(xml)).name()) + "' defined from " + file);
            return 0;
        }));
        commands.put("dumpxml", new Simple("dumpxml NAME [--inactive]      show a domain's XML (--inactive: its stored one)",
                (session, args, out) -> {
                    Args parsed = new Args(args, Set.of(), Set.of("--inactive"));
                    String name = parsed.positionals(1, "NAME").get(0);
                    out.print(TerminalText.xmlDocument(session.daemon().call(d -> d.domainXml(name, parsed.has("--inactive")))));
                    return 0;
                }));
        commands.put("undefine", new Simple("undefine NAME [--snapshots-metadata]\n"
                + "                                 remove a domain's persistent definition (and a shut-off one's snapshots)", (session, args, out) -> {
            Args parsed = new Args(args, Set.of(), Set.of("--snapshots-metadata"));
            String name = parsed.positionals(1, "NAME").get(0);
            session.daemon().call(d -> {
                d.undefine(name, parsed.has("--snapshots-metadata"));
                return null;
            });
            out.println("Domain '" + name + "' has been undefined");
            return 0;
        }));
        commands.put("start", new Simple("start NAME                     start a defined domain", (session, args, out) -> {
            String name = name(args);
            session.daemon().call(d -> {
                d.start(name);
                return null;
            });
            out.println("Domain '" + name + "' started");
            return 0;
        }));
        commands.put("destroy", new Simple("destroy NAME                   stop a domain at once", (session, args, out) -> {
            String name = name(args);
            session.daemon().call(d -> {
                d.destroy(name);
                return null;
            });
            out.println("Domain '" + name + "' destroyed");
            return 0;
        }));
        commands.put("resume", new Simple("resume NAME [--force]          resume a paused domain; a migration's source only if that cannot\n"
                + "                                 make it run on two hosts (see docs/migration.md)", (session, args, out) -> {
            Args parsed = new Args(args, Set.of(), Set.of("--force"));
            String name = parsed.positionals(1, "NAME").get(0);
            printAnswer(session.daemon().call(d -> d.resume(name, parsed.has("--force"))), out);
            return 0;
        }));
        commands.put("suspend", new Simple("suspend NAME                   pause a running domain, until ferry resume (a restart does not resume\n"
                + "                                 it); also while it migrates out, to make it converge", (session, args, out) -> {
            String name = name(args);
            printAnswer(session.daemon().call(d -> d.suspend(name)), out);
            return 0;
        }));
        commands.put("list", new Simple("list [--all]                   list the running (or all) domains", (session, args, out) -> {
            Args parsed = new Args(args, Set.of(), Set.of("--all"));
            parsed.positionals(0, "nothing");
            boolean all = parsed.has("--all");
            Table table = new Table("Id", "Name", "State");
            for (DomainMessages.Domain d : session.daemon().call(DaemonClient::domains).domains()) {
                boolean active = !d.state().equals("shut off");
                if (all || active) {
                    table.add("-", d.name(), d.state());
                }
            }
            table.print(out);
            return 0;
        }));
        commands.put("dominfo", new Simple("dominfo NAME                   show a domain's information", (session, args, out) -> {
            String name = name(args);
            DomainMessages.Domain d = session.daemon().call(daemon -> daemon.domain(name));
            field(out, "Name", d.name());
            field(out, "UUID", d.uuid() == null ? "-" : d.uuid()); // unknown: an unreadable domain's files
            field(out, "OS Type", d.type() == null ? "-" : d.type());
            field(out, "State", d.state() + " (" + d.reason() + ")");
            field(out, "CPU(s)", d.vcpus() == null ? "-" : d.vcpus().toString());
            field(out, "Max memory", d.memoryKiB() == null ? "-" : d.memoryKiB() + " KiB");
            field(out, "Persistent", d.persistent() ? "yes" : "no");
            if (d.migration() != null) {
                field(out, "Migration", d.migration());
            }
            if (d.digest() != null) {
                field(out, "Memory digest", d.digest());
            }
            if (d.problem() != null) {
                field(out, "Problem", d.problem());
            }
            return 0;
        }));
    }

    /** virsh's domstate: the state alone, with {@code --reason} also why, as dominfo's "State:" line has it. */
    static void registerState(Map<String, Command> commands) {
        commands.put("domstate", new Simple("domstate NAME [--reason]       show a domain's state (and its reason)", (session, args, out) -> {
            Args parsed = new Args(args, Set.of(), Set.of("--reason"));
            String name = parsed.positionals(1, "NAME").get(0);
            DomainMessages.Domain d = session.daemon().call(daemon -> daemon.domain(name));
            boolean why = parsed.has("--reason") && d.reason() != null;
            out.println(TerminalText.line(why ? d.state() + " (" + d.reason() + ")" : d.state()));
            return 0;
        }));
    }

    static void registerEvents(Map<String, Command> commands) {
        commands.put("events", new Simple("events [--domain NAME]         list the daemon's recent migration events", (session, args, out) -> {
            Args parsed = new Args(args, Set.of("--domain"), Set.of());
            parsed.positionals(0, "nothing");
            String only = parsed.option("--domain");
            for (DaemonMessages.Event e : session.daemon().call(DaemonClient::events).events()) {
                if (only == null || only.equals(e.domain())) {
                    out.println(TerminalText.line(java.time.Instant.ofEpochMilli(e.time()) + "  event '" + e.type() + "' for domain '"
                            + e.domain() + "' (" + e.side() + ")" + (e.reason() == null ? "" : ": " + e.reason())));
                }
            }
            return 0;
        }));
    }

    /** An operator action's answer: its lines on stdout, its warnings on stderr. */
    static void printAnswer(String answer, PrintStream out) {
        for (String line : answer.split("\n")) {
            (line.startsWith("warning: ") ? System.err : out).println(TerminalText.line(line));
        }
    }

    static String name(List<String> args) throws CliException {
        return new Args(args, Set.of(), Set.of()).positionals(1, "NAME").get(0);
    }

    static void field(PrintStream out, String label, String value) {
        out.printf("%-16s%s%n", label + ":", TerminalText.line(value));
    }

    static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
