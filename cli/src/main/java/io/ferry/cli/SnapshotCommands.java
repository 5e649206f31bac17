package io.ferry.cli;

import io.ferry.cli.DomainCommands.Simple;
import io.ferry.protocol.DaemonMessages.Snapshot;
import java.io.PrintStream;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** virsh's snapshot metadata commands: snapshot-create-as, snapshot-list, snapshot-current, snapshot-dumpxml. */
final class SnapshotCommands {
    private SnapshotCommands() {
    }

    static void register(Map<String, Command> commands) {
        commands.put("snapshot-create-as", new Simple(
                "snapshot-create-as NAME SNAP [--description TEXT]   create a snapshot's metadata", (session, args, out) -> {
                    Args parsed = new Args(args, Set.of("--description"), Set.of());
                    List<String> names = parsed.positionals(2, "NAME SNAP");
                    String made = session.daemon().call(d -> d.createSnapshot(names.get(0), names.get(1), parsed.option("--description")))
                            .name();
                    out.println("Domain snapshot " + TerminalText.line(made) + " created");
                    return 0;
                }));
        commands.put("snapshot-list", new Simple(
                "snapshot-list NAME [--tree]    list a domain's snapshots", (session, args, out) -> {
                    Args parsed = new Args(args, Set.of(), Set.of("--tree"));
                    String name = parsed.positionals(1, "NAME").get(0);
                    List<Snapshot> snapshots = list(session, name);
                    if (parsed.has("--tree")) {
                        tree(snapshots, out);
                    } else {
                        Table table = new Table("Name", "Creation Time", "State");
                        for (Snapshot s : snapshots) {
                            table.add(s.name(), time(s.creationTime()), s.state() == null ? "-" : s.state());
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
                        session.daemon().call(d -> {
                            d.setCurrentSnapshot(name, names.get(1));
                            return null;
                        });
                        out.println("Snapshot " + names.get(1) + " set as current");
                        return 0;
                    }
                    String current = session.daemon().call(d -> d.snapshots(name)).current();
                    if (current == null) {
                        throw new CliException("the domain does not have a current snapshot");
                    }
                    out.print(parsed.has("--name") ? TerminalText.line(current) + "\n"
                            : TerminalText.xmlDocument(session.daemon().call(d -> d.snapshotXml(name, current))));
                    return 0;
                }));
        commands.put("snapshot-dumpxml", new Simple(
                "snapshot-dumpxml NAME SNAP     show a snapshot's XML", (session, args, out) -> {
                    List<String> names = new Args(args, Set.of(), Set.of()).positionals(2, "NAME SNAP");
                    out.print(TerminalText.xmlDocument(session.daemon().call(d -> d.snapshotXml(names.get(0), names.get(1)))));
                    return 0;
                }));
    }

    /** The domain's snapshots, sorted by name as virsh sorts them. */
    private static List<Snapshot> list(Session session, String name) throws CliException {
        List<Snapshot> snapshots = new ArrayList<>(session.daemon().call(d -> d.snapshots(name)).snapshots());
        snapshots.sort(Comparator.comparing(Snapshot::name));
        return snapshots;
    }

    /**
     * virsh prints creation times in local time as "%Y-%m-%d %H:%M:%S %z". In a holder: the JDK's formatters would
     * cost every command's start, most of which print no time.
     */
    private static final class Times {
        static final DateTimeFormatter FORMAT = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss xx");
    }

    static String time(String epochSeconds) {
        if (epochSeconds == null) {
            return "-";
        }
        try {
            return Times.FORMAT.format(Instant.ofEpochSecond(Long.parseLong(epochSeconds.trim())).atZone(ZoneId.systemDefault()));
        } catch (NumberFormatException | java.time.DateTimeException e) {
            return epochSeconds;
        }
    }

    /** virsh's vshTreePrint for each root in name order; iterative, so a chain of 10,000 snapshots prints too. */
    static void tree(List<Snapshot> snapshots, PrintStream out) {
        Map<String, List<String>> children = new HashMap<>();
        for (Snapshot s : snapshots) {
            if (s.parent() != null) {
                children.computeIfAbsent(s.parent(), p -> new ArrayList<>()).add(s.name());
            }
        }
        for (Snapshot s : snapshots) {
            if (s.parent() == null) {
                Deque<Node> pending = new ArrayDeque<>();
                pending.push(new Node(s.name(), true, true, ""));
                while (!pending.isEmpty()) {
                    Node node = pending.pop();
                    out.println(node.indent + (node.root ? "" : "+- ") + TerminalText.line(node.name));
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
}
