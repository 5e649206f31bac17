package io.ferry.cli;

import io.ferry.cli.DomainCommands.Simple;
import java.io.PrintStream;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** virsh's snapshot metadata commands: snapshot-create-as, snapshot-list, snapshot-current, snapshot-dumpxml. */
final class SnapshotCommands {
    /** virsh prints creation times in local time as "%Y-%m-%d %H:%M:%S %z". */
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss xx");

    private SnapshotCommands() {
    }

    static void register(Map<String, Command> commands) {
        commands.put("snapshot-create-as", new Simple(
                "snapshot-create-as NAME SNAP [--description TEXT]   create a snapshot's metadata", (session, args, out) -> {
                    Args parsed = new Args(args, Set.of("--description"), Set.of());
                    List<String> names = parsed.positionals(2, "NAME SNAP");
                    Map<String, String> query = new LinkedHashMap<>();
                    query.put("name", names.get(1));
                    if (parsed.option("--description") != null) {
                        query.put("description", parsed.option("--description"));
                    }
                    var reply = Xml.of(Xml.parse(session.daemon().post(path(names.get(0)), query, new byte[0])));
                    out.println("Domain snapshot " + reply.attr("name") + " created");
                    return 0;
                }));
        commands.put("snapshot-list", new Simple(
                "snapshot-list NAME [--tree]    list a domain's snapshots", (session, args, out) -> {
                    Args parsed = new Args(args, Set.of(), Set.of("--tree"));
                    String name = parsed.positionals(1, "NAME").get(0);
                    List<Map<String, String>> snapshots = list(session, name);
                    if (parsed.has("--tree")) {
                        tree(snapshots, out);
                    } else {
                        Table table = new Table("Name", "Creation Time", "State");
                        for (Map<String, String> s : snapshots) {
                            table.add(s.get("name"), time(s.get("creationTime")), s.getOrDefault("state", "-"));
                        }
                        table.print(out);
                        out.println();
                    }
                    return 0;
                }));
        commands.put("snapshot-current", new Simple(
                "snapshot-current NAME [--name] [SNAP]   show the current snapshot (or its name), or make SNAP current",
                (session, args, out) -> {
                    Args parsed = new Args(args, Set.of(), Set.of("--name"));
                    List<String> names = parsed.positionals().size() == 2 ? parsed.positionals() : parsed.positionals(1, "NAME");
                    String name = names.get(0);
                    if (names.size() == 2) {
                        session.daemon().post(path(name) + "/" + names.get(1), Map.of("current", "yes"), new byte[0]);
                        out.println("Snapshot " + names.get(1) + " set as current");
                        return 0;
                    }
                    String current = Xml.of(Xml.parse(session.daemon().get(path(name)))).attr("current");
                    if (current == null) {
                        throw new CliException("the domain does not have a current snapshot");
                    }
                    out.print(parsed.has("--name") ? current + "\n" : withNewline(session.daemon().get(path(name) + "/" + current)));
                    return 0;
                }));
        commands.put("snapshot-dumpxml", new Simple(
                "snapshot-dumpxml NAME SNAP     show a snapshot's XML", (session, args, out) -> {
                    List<String> names = new Args(args, Set.of(), Set.of()).positionals(2, "NAME SNAP");
                    out.print(withNewline(session.daemon().get(path(names.get(0)) + "/" + names.get(1))));
                    return 0;
                }));
    }

    private static String path(String domain) {
        return "domains/" + domain + "/snapshots";
    }

    /** The domain's snapshots, sorted by name as virsh sorts them. */
    private static List<Map<String, String>> list(Session session, String name) throws CliException {
        List<Map<String, String>> snapshots = new ArrayList<>(Xml.rows(Xml.parse(session.daemon().get(path(name))), "snapshot"));
        snapshots.sort(Comparator.comparing(s -> s.get("name")));
        return snapshots;
    }

    static String time(String epochSeconds) {
        if (epochSeconds == null) {
            return "-";
        }
        try {
            return TIME.format(Instant.ofEpochSecond(Long.parseLong(epochSeconds.trim())).atZone(ZoneId.systemDefault()));
        } catch (NumberFormatException | java.time.DateTimeException e) {
            return epochSeconds;
        }
    }

    /** virsh's vshTreePrint for each root in name order; iterative, so a chain of 10,000 snapshots prints too. */
    static void tree(List<Map<String, String>> snapshots, PrintStream out) {
        Map<String, List<String>> children = new HashMap<>();
        for (Map<String, String> s : snapshots) {
            if (s.get("parent") != null) {
                children.computeIfAbsent(s.get("parent"), p -> new ArrayList<>()).add(s.get("name"));
            }
        }
        for (Map<String, String> s : snapshots) {
            if (s.get("parent") == null) {
                Deque<Node> pending = new ArrayDeque<>();
                pending.push(new Node(s.get("name"), true, true, ""));
                while (!pending.isEmpty()) {
                    Node node = pending.pop();
                    out.println(node.indent + (node.root ? "" : "+- ") + node.name);
                    String inner = node.root ? node.indent : node.indent + (node.last ? "  " : "| ");
                    List<String> mine = children.getOrDefault(node.name, List.of());
                    if (!mine.isEmpty()) {
                        out.println(inner + "  |");
                    } else if (node.last) {
                        out.println(inner);
                    }
                    for (int i = mine.size() - 1; i >= 0; i--) {
                        pending.push(new Node(mine.get(i), false, i == mine.size() - 1, inner + "  "));
                    }
                }
            }
        }
    }

    private record Node(String name, boolean root, boolean last, String indent) {
    }

    private static String withNewline(String text) {
        return text.endsWith("\n") ? text : text + "\n";
    }
}
