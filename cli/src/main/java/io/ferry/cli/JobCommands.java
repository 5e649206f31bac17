package io.ferry.cli;

import io.ferry.protocol.ChannelException;
import io.ferry.protocol.DaemonClient;
import io.ferry.protocol.DomainMessages.Job;
import io.ferry.protocol.DomainMessages.JobStats;
import java.io.PrintStream;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * virsh's job commands: domjobinfo, domjobabort, migrate-setspeed, migrate-getspeed, migrate-setmaxdowntime,
 * migrate-getmaxdowntime.
 */
final class JobCommands {
    private static final double MIB = 1024.0 * 1024.0;

    private JobCommands() {
    }

    static void register(Map<String, Command> commands) {
        commands.put("domjobinfo", new DomainCommands.Simple(
                "domjobinfo NAME [--completed]  show the domain's migration job", (session, args, out) -> {
                    Args parsed = new Args(args, Set.of(), Set.of("--completed"));
                    String name = parsed.positionals(1, "NAME").get(0);
                    new Printer(out).print(session.daemon().call(d -> d.job(name, parsed.has("--completed"))));
                    return 0;
                }));
        commands.put("domjobabort", new DomainCommands.Simple(
                "domjobabort NAME               abort the domain's migration, saying what became of it", (session, args, out) -> {
                    String name = DomainCommands.name(args);
                    DomainCommands.printAnswer(session.daemon().call(d -> d.abortJob(name)), out);
                    return 0;
                }));
        commands.put("migrate-setspeed", new DomainCommands.Simple(
                "migrate-setspeed NAME MiB      set the migration bandwidth cap (MiB/s, 0: none)", (session, args, out) -> {
                    List<String> p = new Args(args, Set.of(), Set.of()).positionals(2, "NAME MiB");
                    session.daemon().call(d -> {
                        d.setSpeed(p.get(0), p.get(1));
                        return null;
                    });
                    return 0;
                }));
        commands.put("migrate-getspeed", getter("migrate-getspeed NAME          show the migration bandwidth cap (MiB/s, 0: none)",
                DaemonClient::speed));
        commands.put("migrate-setmaxdowntime", new DomainCommands.Simple(
                "migrate-setmaxdowntime NAME MS set the longest pause allowed at switch-over (ms, at least 1)", (session, args, out) -> {
                    List<String> p = new Args(args, Set.of(), Set.of()).positionals(2, "NAME MS");
                    if (p.get(1).strip().matches("[+]?0+")) {
                        // as virsh ("migrate: Invalid downtime"): 0 is no "none" as setspeed's is, but no pause at all, which QEMU
                        // never finds for a guest that writes memory
                        throw new CliException("invalid downtime '" + p.get(1) + "': the longest pause allowed at switch-over, in"
                                + " milliseconds, is at least 1 (0 would allow no pause at all)");
                    }
                    session.daemon().call(d -> {
                        d.setMaxDowntime(p.get(0), p.get(1));
                        return null;
                    });
                    return 0;
                }));
        commands.put("migrate-getmaxdowntime", getter("migrate-getmaxdowntime NAME    show the longest pause allowed at switch-over (ms)",
                DaemonClient::maxDowntime));
    }

    /** A setting of the domain's migrations: the daemon's value alone on a line, as virsh prints it. */
    private static Command getter(String synopsis, Setting setting) {
        return new DomainCommands.Simple(synopsis, (session, args, out) -> {
            String name = DomainCommands.name(args);
            long value = session.daemon().call(d -> setting.of(d, name));
            out.println(value);
            return 0;
        });
    }

    private interface Setting {
        long of(DaemonClient daemon, String domain) throws ChannelException;
    }

    /** Prints a job as virsh's domjobinfo does. */
    record Printer(PrintStream out) {
    void print(Job job) {
        String type = job.type();
        line(out, "Job type", switch (type) {
            case "unbounded" -> "Unbounded";
            case "completed" -> "Completed";
            case "failed" -> "Failed";
            default -> "None";
        });
        if (job.error() != null) {
            line(out, "Error message", job.error());
        }
        JobStats s = job.stats();
        if (type.equals("none") || s == null) {
            return;
        }
        if (job.operation() != null) {
            line(out, "Operation", job.operation());
        }
        line(out, "Time elapsed", s.elapsedMillis() + " ms");
        line(out, "Data processed", mib(s.processed()));
        line(out, "Data remaining", mib(s.remaining()));
        line(out, "Data total", mib(s.total()));
        line(out, "Memory processed", mib(s.processed()));
        line(out, "Memory remaining", mib(s.remaining()));
        line(out, "Memory total", mib(s.total()));
        line(out, "Memory bandwidth", String.format("%.3f MiB/s", s.bandwidth() / MIB));
        line(out, "Dirty rate", s.dirtyRate() + " pages/s");
        line(out, "Page size", s.pageSize() + " bytes");
        line(out, "Iteration", Long.toString(s.iteration()));
        line(out, type.equals("unbounded") ? "Expected downtime" : "Total downtime", s.downtimeMillis() + " ms");
        line(out, "Setup time", s.setupMillis() + " ms");
        line(out, "Memory verified", s.verified() ? "yes" : "no");
    }

    }

    private static String mib(long bytes) {
        return String.format("%.3f MiB", bytes / MIB);
    }

    /** virsh's {@code %-17s } : the value in column 19, and a space after a label as long as "Expected downtime:". */
    private static void line(PrintStream out, String label, String value) {
        out.printf("%-17s %s%n", label + ":", TerminalText.line(value));
    }
}
