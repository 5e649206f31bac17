package io.ferry.cli;

import io.ferry.protocol.MigrationDriver;
import java.io.PrintStream;

/**
 * What {@code ferry migrate} says while it drives a migration: each phase with its cookie when asked
 * ({@code --show-cookies}), and a warning always, on stderr: the domain moved but something after the commit went
 * wrong (it could not resume there, its snapshots or definition wait to be stored, a step of Confirm failed), which a
 * script reading only the exit status would otherwise never learn.
 */
record MigrateListener(CookieTranscript transcript, PrintStream err) implements MigrationDriver.Listener {
    @Override
    public void step(String phase, String host, String cookieOut) {
        if (transcript != null) {
            transcript.step(phase, host, cookieOut);
        }
    }

    @Override
    public void warning(String message) {
        err.println("warning: " + TerminalText.line(message));
    }
}
