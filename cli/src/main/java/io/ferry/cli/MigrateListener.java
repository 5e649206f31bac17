package io.ferry.cli;

import io.ferry.protocol.MigrationDriver;
import java.util.function.Consumer;

/**
 * What {@code ferry migrate} says while it drives a migration: each phase with its cookie when asked
 * ({@code --show-cookies}), and a warning always, on stderr: the domain moved but something after the commit went
 * wrong (it could not resume there, its snapshots or definition wait to be stored, a step of Confirm failed), which a
 * script reading only the exit status would otherwise never learn. Each line of its own, never a progress line's tail.
 */
record MigrateListener(CookieTranscript transcript, Consumer<String> lines) implements MigrationDriver.Listener {
    @Override
    public void step(String phase, String host, String cookieOut) {
        if (transcript != null) {
            transcript.step(phase, host, cookieOut);
        }
    }

    @Override
    public void warning(String message) {
        lines.accept("warning: " + TerminalText.line(message));
    }
}
