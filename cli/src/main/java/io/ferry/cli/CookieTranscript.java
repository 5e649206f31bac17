package io.ferry.cli;

import io.ferry.protocol.MigrationDriver;
import java.io.PrintStream;
import java.util.Locale;

/** Each phase of a migration with the cookie it baked, as {@code ferry demo} and {@code ferry migrate --show-cookies} print it. */
class CookieTranscript implements MigrationDriver.Listener {
    private final PrintStream out;

    CookieTranscript(PrintStream out) {
        this.out = out;
    }

    @Override
    public void step(String phase, String host, String cookie) {
        out.println();
        out.println("== " + phase.substring(0, 1).toUpperCase(Locale.ROOT) + phase.substring(1) + " on "
                + TerminalText.line(host)
                + (cookie == null ? " (no cookie out)" : ", cookie out:"));
        if (cookie != null) {
            out.print(TerminalText.xml(cookie));
        }
    }

    @Override
    public void warning(String message) {
        out.println("warning: " + TerminalText.line(message));
    }
}
