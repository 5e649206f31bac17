package io.ferry.core;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/** What the tests' logger (logback, writing to standard error as logback-test.xml has it) logged while an action ran. */
public final class StderrLog {
    public interface Action {
        void run() throws Exception;
    }

    private StderrLog() {
    }

    public static String of(Action action) throws Exception {
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        PrintStream stderr = System.err;
        System.setErr(new PrintStream(log, true, StandardCharsets.UTF_8));
        try {
            action.run();
        } finally {
            System.setErr(stderr);
        }
        return log.toString(StandardCharsets.UTF_8);
    }
}
