package io.ferry.cli;

import io.ferry.protocol.xml.XmlChars;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code bin/ferry}: the command line, after virsh. {@code ferry [-c URI] COMMAND [ARGS]}. */
public final class Ferry {
    private static final Map<String, Command> COMMANDS = new LinkedHashMap<>();

    static {
        DomainCommands.register(COMMANDS);
        DomainCommands.registerState(COMMANDS);
        COMMANDS.put("migrate", new MigrateCommand());
        JobCommands.register(COMMANDS);
        DomainCommands.registerEvents(COMMANDS);
        SnapshotCommands.register(COMMANDS);
        COMMANDS.put("sections", new SectionsCommand());
        COMMANDS.put("cookie", new CookieCommand());
        COMMANDS.put("demo", new DemoCommand());
        COMMANDS.put("version", new VersionCommand());
    }

    private Ferry() {
    }

    /** The commands' names, in {@code ferry help}'s order. */
    static List<String> commandNames() {
        return List.copyOf(COMMANDS.keySet());
    }

    public static void main(String[] args) {
        System.exit(run(List.of(args), System.out, System.err));
    }

    static int run(List<String> args, PrintStream out, PrintStream err) {
        return run(args, System.getenv(), out, err);
    }

    /** @param environment where the commands look up {@code FERRY_DEFAULT_URI} */
    static int run(List<String> args, Map<String, String> environment, PrintStream out, PrintStream err) {
        List<String> rest = new ArrayList<>(args);
        String connect;
        try {
            connect = takeConnection(rest);
        } catch (CliException e) {
            err.println("error: " + e.getMessage());
            return 1;
        }
        while (!rest.isEmpty() && rest.get(0).startsWith("-")) {
            String option = rest.remove(0);
            if (option.equals("-h") || option.equals("--help")) {
                rest.clear();
                rest.add("help");
            } else {
                err.println("error: unknown option '" + option + "'");
                return 1;
            }
        }
        boolean help = !rest.isEmpty() && rest.get(0).equals("help");
        if (rest.isEmpty() || help && rest.size() == 1) {
            usage(out);
            return rest.isEmpty() ? 1 : 0;
        }
        String name = help ? rest.get(1) : rest.get(0);
        Command command = COMMANDS.get(name);
        if (command == null) {
            err.println("error: unknown command: '" + name + "' (see 'ferry help')");
            return 1;
        }
        if (help || asksForHelp(rest.subList(1, rest.size()))) {
            // as virsh's help COMMAND and COMMAND --help: the command's usage, and nothing done
            out.println("usage: ferry [-c URI] " + command.synopsis());
            out.println("(ferry help lists every command)");
            return 0;
        }
        try (Session session = new Session(connect, environment)) {
            return command.run(session, rest.subList(1, rest.size()), out);
        } catch (CliException | XmlChars.Refused e) {
            out.flush();
            err.println("error: " + TerminalText.line(e.getMessage().replaceAll("\\s*\\n\\s*", " ")));
            return 1;
        }
    }

    /** Whether a command's arguments hold {@code --help} or {@code -h} (before a {@code --}); no command has them. */
    private static boolean asksForHelp(List<String> arguments) {
        for (String argument : arguments) {
            if (argument.equals("--")) {
                return false;
            }
            if (argument.equals("--help") || argument.equals("-h")) {
                return true;
            }
        }
        return false;
    }

    /**
     * Takes {@code -c URI} (or {@code --connect URI}) out of the arguments, up to a {@code --}: the connection may stand
     * before the command or after it ({@code ferry version -c URI}, as scripts write it); no command has a {@code -c}
     * of its own. Returns the connection, or null if none is given.
     */
    private static String takeConnection(List<String> arguments) throws CliException {
        String connect = null;
        for (int i = 0; i < arguments.size() && !arguments.get(i).equals("--");) {
            String option = arguments.get(i);
            if (!option.equals("-c") && !option.equals("--connect")) {
                i++;
                continue;
            }
            if (i + 1 >= arguments.size()) {
                throw new CliException("option '" + option + "' needs a URI");
            }
            String uri = arguments.get(i + 1);
            if (connect != null && !connect.equals(uri)) {
                throw new CliException("two connections given: '" + connect + "' and '" + uri + "'");
            }
            connect = uri;
            arguments.subList(i, i + 2).clear();
        }
        return connect;
    }

    private static void usage(PrintStream out) {
        out.println("usage: ferry [-c URI] COMMAND [ARGS] (-c URI may also follow the command)");
        out.println();
        out.println("commands:");
        for (Command command : COMMANDS.values()) {
            out.println("  " + command.synopsis());
        }
        out.println();
        out.println("URI: ferry+tcp://HOST:PORT, or ferry+tls://HOST:PORT (mutual TLS) with the client's PKCS12 files in");
        out.println("  FERRY_TLS_KEYSTORE (key and certificate), FERRY_TLS_TRUSTSTORE (the CA) and FERRY_TLS_PASSWORD_FILE");
        out.println("  (first line: the stores' password); -Dferry.tls.keystore etc. in FERRY_JAVA_OPTS win over them");
    }
}
