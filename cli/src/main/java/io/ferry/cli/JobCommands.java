package io.ferry.cli;

import java.io.PrintStream;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** virsh's job commands: domjobinfo, domjobabort, migrate-setspeed, migrate-setmaxdowntime. */
final class JobCommands {
    private static final double MIB = 1024.0 * 1024.0;

    private JobCommands() {
    }

    static void register(Map<String, Command> commands) {
        commands.put("domjobinfo", new DomainCommands.Simple(
                "domjobinfo NAME [--completed]  show the domain's migration job", (session, args, out) -> {
                    Args parsed = new Args(args, Set.of(), Set.of("--completed"));
                    String name = parsed.positionals(1, "NAME").get(0);
                    Map<String, String> query = parsed.has("--completed") ? Map.of("completed", "yes") : Map.of();
                    String path = "domains/" + name + "/job" + (query.isEmpty() ? "" : "?completed=yes");
                    new Printer(out).print(Xml.of(Xml.parse(session.daemon().get(path))));
                    return 0;
                }));
        commands.put("domjobabort", new DomainCommands.Simple(
                "domjobabort NAME               abort the domain's migration, saying what became of it", (session, args, out) -> {
                    var reply = Xml.of(Xml.parse(session.daemon().post("domains/" + DomainCommands.name(args) + "/job/abort",
                            Map.of(), new byte[0])));
                    DomainCommands.printAnswer(reply.attr("message"), out);
                    return 0;
                }));
        commands.put("migrate-setspeed", new DomainCommands.Simple(
                "migrate-setspeed NAME MiB      set the migration bandwidth cap (MiB/s, 0: none)", (session, args, out) -> {
                    List<String> p = new Args(args, Set.of(), Set.of()).positionals(2, "NAME MiB");
                    session.daemon().post("domains/" + p.get(0) + "/job/speed", Map.of("mib", p.get(1)), new byte[0]);
                    return 0;
                }));
        commands.put("migrate-setmaxdowntime", new DomainCommands.Simple(
                "migrate-setmaxdowntime NAME MS set the longest pause allowed at switch-over", (session, args, out) -> {
                    List<String> p = new Args(args, Set.of(), Set.of()).positionals(2, "NAME MS");
                    session.daemon().post("domains/" + p.get(0) + "/job/maxdowntime", Map.of("ms", p.get(1)), new byte[0]);
                    return 0;
                }));
    }

    /** Prints a job as virsh's domjobinfo does. */
    record Printer(PrintStream out) {
    void print(io.ferry.protocol.Xml job) {
        String type = job.attr("type");
        line(out, "Job type", switch (type) {
            case "unbounded" -> "Unbounded";
            case "completed" -> "Completed";
            default -> "None";
        });
        if (type.equals("none")) {
            return;
        }
        if (job.attr("operation") != null) {
            line(out, "Operation", job.attr("operation"));
        }
        line(out, "Time elapsed", job.attr("elapsed") + " ms");
        line(out, "Data processed", mib(job.attr("processed")));
        line(out, "Data remaining", mib(job.attr("remaining")));
        line(out, "Data total", mib(job.attr("total")));
        line(out, "Memory processed", mib(job.attr("processed")));
        line(out, "Memory remaining", mib(job.attr("remaining")));
        line(out, "Memory total", mib(job.attr("total")));
        line(out, "Memory bandwidth", String.format("%.3f MiB/s", Long.parseLong(job.attr("bandwidth")) / MIB));
        line(out, "Dirty rate", job.attr("dirty-rate") + " pages/s");
        line(out, "Page size", job.attr("page-size") + " bytes");
        line(out, "Iteration", job.attr("iteration"));
        line(out, type.equals("completed") ? "Total downtime" : "Expected downtime", job.attr("downtime") + " ms");
        line(out, "Setup time", job.attr("setup") + " ms");
        line(out, "Memory verified", job.attr("verified"));
    }

    }

    private static String mib(String bytes) {
        return String.format("%.3f MiB", Long.parseLong(bytes) / MIB);
    }

    private static void line(PrintStream out, String label, String value) {
        out.printf("%-18s%s%n", label + ":", value);
    }
}
