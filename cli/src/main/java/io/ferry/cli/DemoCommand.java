package io.ferry.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.util.List;
import java.util.Map;

/**
 * {@code ferry demo}: shows this installation's cookie machinery: the installed sections, a cookie baked by
 * them, and a libvirt-style cookie checked by each phase and re-formatted.
 */
final class DemoCommand implements Command {
    @Override
    public String synopsis() {
        return "demo                           show the installed sections and the cookie tools at work";
    }

    @Override
    public int run(Session session, List<String> args, PrintStream out) throws CliException {
        DaemonChannel client = session.daemonOrOffline();
        out.println("== Installed cookie sections");
        new SectionsCommand().run(session, List.of(), out);

        out.println();
        out.println("== A Begin cookie baked by these sections");
        out.print(client.post("cookie/bake", Map.of("phase", "begin", "name", "demo-vm",
                "uuid", "8f0b4c1e-2a53-4f6e-9d3a-5b2c7e1a9f10"), new byte[0]));

        byte[] sample = sample();
        out.println();
        out.println("== A source's cookie, as each phase would eat it");
        for (String phase : List.of("prepare", "perform", "finish", "confirm")) {
            try {
                var accepted = Xml.parse(client.post("cookie/check", Map.of("phase", phase), sample));
                out.println(phase + ": accepted, eats " + accepted.getAttribute("sections"));
            } catch (CliException refused) {
                out.println(phase + ": refused: " + refused.getMessage());
            }
        }
        out.println();
        out.println("== The same cookie re-formatted (unknown elements dropped, canonical order)");
        out.print(client.post("cookie/roundtrip", Map.of(), sample));
        return 0;
    }

    private static byte[] sample() throws CliException {
        try (InputStream in = DemoCommand.class.getResourceAsStream("sample-cookie.xml")) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new CliException("the sample cookie is missing from the CLI: " + e.getMessage());
        }
    }
}
