package io.ferry.cli;

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
                out.print(session.daemonOrOffline().post("cookie/roundtrip", query, cookie));
            }
            case "check" -> {
                query.put("phase", rest.required("--phase"));
                if (rest.has("--local-hostuuid")) {
                    query.put("local-hostuuid", rest.required("--local-hostuuid"));
                }
                byte[] cookie = CookieFiles.read(rest.positionals(1, "FILE").get(0));
                var accepted = Xml.parse(session.daemonOrOffline().post("cookie/check", query, cookie));
                String sections = accepted.getAttribute("sections");
                out.println("cookie accepted by " + accepted.getAttribute("phase") + "; sections eaten: "
                        + (sections.isEmpty() ? "none" : sections.replace(",", ", ")));
            }
            case "bake" -> {
                rest.positionals(0, "nothing");
                query.put("phase", rest.required("--phase"));
                query.put("name", rest.required("--name"));
                query.put("uuid", rest.required("--uuid"));
                out.print(session.daemonOrOffline().post("cookie/bake", query, new byte[0]));
            }
            default -> throw new CliException("unknown cookie tool '" + tool + "' (roundtrip, check, bake)");
        }
        return 0;
    }
}
