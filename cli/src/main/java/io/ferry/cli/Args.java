package io.ferry.cli;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A command's arguments: {@code --flag}, {@code --option VALUE} (or {@code --option=VALUE}) and positionals; after a
 * {@code --}, positionals only.
 */
final class Args {
    private final Map<String, String> options = new HashMap<>();
    private final List<String> positionals = new ArrayList<>();

    /**
     * @param valued the options that take a value
     * @param flags the options that do not
     */
    Args(List<String> args, Set<String> valued, Set<String> flags) throws CliException {
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            if (arg.equals("--")) { // the end of the options, as for -c and --help: a domain named --x may follow
                positionals.addAll(args.subList(i + 1, args.size()));
                break;
            }
            if (!arg.startsWith("--")) {
                positionals.add(arg);
                continue;
            }
            int eq = arg.indexOf('=');
            String name = eq < 0 ? arg : arg.substring(0, eq);
            if (flags.contains(name) && eq < 0) {
                options.put(name, "");
            } else if (valued.contains(name)) {
                if (eq >= 0) {
                    options.put(name, arg.substring(eq + 1));
                } else if (i + 1 < args.size()) {
                    options.put(name, args.get(++i));
                } else {
                    throw new CliException("option " + name + " needs a value");
                }
            } else {
                throw new CliException("unknown option '" + arg + "'");
            }
        }
    }

    boolean has(String option) {
        return options.containsKey(option);
    }

    String option(String option) {
        return options.get(option);
    }

    String required(String option) throws CliException {
        String value = options.get(option);
        if (value == null || value.isEmpty()) {
            throw new CliException("missing required option " + option);
        }
        return value;
    }

    List<String> positionals() {
        return positionals;
    }

    /** Exactly {@code count} positionals, named in the error by {@code names}. */
    List<String> positionals(int count, String names) throws CliException {
        if (positionals.size() != count) {
            throw new CliException(positionals.size() < count ? "missing argument: expected " + names
                    : "unexpected argument '" + positionals.get(count) + "'");
        }
        return positionals;
    }
}
