package io.ferry.cli;

import io.ferry.protocol.DaemonClient.DomainFile;
import io.ferry.protocol.DaemonMessages.Checked;
import io.ferry.protocol.DaemonMessages.CheckedSection;
import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * {@code ferry cookie roundtrip FILE | check --phase P [--local-hostuuid U] [--domain-xml DOMAIN] FILE | bake --phase P
 * (--name N --uuid U | --domain-xml DOMAIN)}: the cookie tools, with the sections this installation ships (or, with -c,
 * a daemon's). Check and bake run the sections as a migration would, acting on nothing on the host.
 */
final class CookieCommand implements Command {
    @Override
    public String synopsis() {
        return "cookie roundtrip FILE          parse a cookie with every section and print it re-formatted\n"
                + "  cookie check --phase P [--local-hostuuid UUID] [--domain-xml DOMAIN] FILE   eat a cookie as phase P would\n"
                + "  cookie bake --phase P --name N --uuid UUID [--domain-xml DOMAIN]   bake this installation's cookie for phase P\n"
                + "                                 (check and bake act on nothing; with a domain, name and UUID default to its own)";
    }

    @Override
    public int run(Session session, List<String> args, PrintStream out) throws CliException {
        if (args.isEmpty()) {
            throw new CliException("missing cookie tool: roundtrip, check or bake");
        }
        String tool = args.get(0);
        Args rest = new Args(args.subList(1, args.size()), Set.of("--phase", "--local-hostuuid", "--name", "--uuid", "--domain-xml"),
                Set.of());
        Map<String, String> query = new LinkedHashMap<>();
        switch (tool) {
            case "roundtrip" -> {
                byte[] cookie = CookieFiles.read(rest.positionals(1, "FILE").get(0), "a migration cookie");
                String formatted = session.daemonOrOffline().call(d -> d.roundtrip(cookie));
                out.print(TerminalText.xml(formatted));
            }
            case "check" -> {
                query.put("phase", rest.required("--phase"));
                if (rest.has("--local-hostuuid")) {
                    query.put("local-hostuuid", rest.required("--local-hostuuid"));
                }
                byte[] cookie = CookieFiles.read(rest.positionals(1, "FILE").get(0), "a migration cookie");
                DomainFile domain = domain(rest);
                Checked checked = session.daemonOrOffline().call(d -> d.check(query, domain, cookie));
                report(checked).forEach(line -> out.println(TerminalText.line(line)));
                if (checked.refusal() != null) {
                    throw new CliException(checked.refusal());
                }
                out.println("cookie accepted by " + checked.phase() + "; sections eaten: "
                        + (checked.eaten().isEmpty() ? "none" : TerminalText.line(String.join(", ", checked.eaten()))));
            }
            case "bake" -> {
                rest.positionals(0, "nothing");
                String phase = rest.required("--phase");
                DomainFile domain = domain(rest);
                // with a domain, its name and UUID unless given (the daemon refuses values that conflict with it)
                String name = domain == null || rest.has("--name") ? rest.required("--name") : null;
                String uuid = domain == null || rest.has("--uuid") ? rest.required("--uuid") : null;
                String baked = session.daemonOrOffline().call(d -> d.bake(phase, name, uuid, domain));
                out.print(TerminalText.xml(baked));
            }
            default -> throw new CliException("unknown cookie tool '" + tool + "' (roundtrip, check, bake)");
        }
        return 0;
    }

    /** The domain definition of {@code --domain-xml}, or null. */
    private static DomainFile domain(Args args) throws CliException {
        if (!args.has("--domain-xml")) {
            return null;
        }
        String file = args.required("--domain-xml");
        return new DomainFile(file, CookieFiles.read(file, "a domain definition"));
    }

    /** One line per section: eaten, failed with its message, or not eaten and why; then what it would have done. */
    static List<String> report(Checked checked) {
        return checked.sections().stream().map(s -> s.name() + ": " + switch (s.outcome()) {
            case CheckedSection.EATEN -> "eaten";
            case CheckedSection.FAILED -> "failed: " + s.detail();
            case CheckedSection.SKIPPED -> "failed, optional (a migration goes on without it): " + s.detail();
            default -> "not eaten (" + s.detail() + ")";
        } + s.notes().stream().map(note -> "; " + note).collect(Collectors.joining())).toList();
    }
}
