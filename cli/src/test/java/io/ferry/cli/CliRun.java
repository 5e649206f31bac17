package io.ferry.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/** {@code ferry ARGS} run in this JVM: its exit code and what it printed on each stream. */
record CliRun(int exit, String out, String err) {
    static CliRun ferry(List<String> args) {
        return ferry(args, System.getenv());
    }

    /** With {@code environment} instead of this JVM's. */
    static CliRun ferry(List<String> args, Map<String, String> environment) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = Ferry.run(args, environment, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new CliRun(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    static CliRun ferry(String... args) {
        return ferry(List.of(args));
    }
}
