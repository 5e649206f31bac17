package io.ferry.cli;

import io.ferry.protocol.DaemonMessages.Accepted;
import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code ferry cookie roundtrip FILE | check --phase P [--local-hostuuid U] FILE | bake --phase P --name N
 * --uuid U}: the cookie tools, with the sections this installation ships (or, with -c, a daemon's).
 */
final class CookieCommand implements Command {
    @Override
    public String synopsis() {
        return "cookie roundtrip FILE          parse a cookie with every section and print it re-formatted\n"
                + "  cookie check --phase P [--local-hostuuid UUID] FILE   eat a cookie as phase P would\n"
                + "  cookie bake --phase P --name N --uuid UUID            bake this installation's cookie for phase P";
    }

    @Override
    public int run(Session session, List<String> args, PrintStream out) throws CliException {
        if (args.isEmpty()) {
            throw new CliException("missing cookie tool: roundtrip, check or bake");
        }
        String tool = args.get(0);
        Args rest = new Args(args.subList(1, args.size()), Set.of("--phase", "--local-hostuuid", "--name", "--uuid"), Set.of());
        Map<String, String> query = new LinkedHashMap<>();
        switch (tool) {
            case "roundtrip" -> {
                byte[] cookie = CookieFiles.read(rest.positionals(1, "FILE").get(0));
                String formatted = session.daemonOrOffline().call(d -> d.roundtrip(cookie));
                out.print(formatted);
            }
            case "check" -> {
                query.put("phase", rest.required("--phase"));
                if (rest.has("--local-hostuuid")) {
                    query.put("local-hostuuid", rest.required("--local-hostuuid"));
                }
                byte[] cookie = CookieFiles.read(rest.positionals(1, "FILE").get(0));
                Accepted accepted = session.daemonOrOffline().call(d -> d.check(query, cookie));
                out.println("cookie accepted by " + accepted.phase() + "; sections eaten: "
                        + (accepted.sections().isEmpty() ? "none" : String.join(", ", accepted.sections())));
            }
            case "bake" -> {
                rest.positionals(0, "nothing");
                String phase = rest.required("--phase");
                String name = rest.required("--name");
                String uuid = rest.required("--uuid");
                String baked = session.daemonOrOffline().call(d -> d.bake(phase, name, uuid));
                out.print(baked);
            }
            default -> throw new CliException("unknown cookie tool '" + tool + "' (roundtrip, check, bake)");
        }
        return 0;
    }
}
