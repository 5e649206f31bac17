package io.ferry.cli;

import java.io.PrintStream;
import java.util.List;

/** One {@code ferry} command. */
interface Command {
    /** One line for {@code ferry help}. */
    String synopsis();

    /** @return the exit status; failures are thrown as {@link CliException} */
    int run(Session session, List<String> args, PrintStream out) throws CliException;
}
