package io.ferry.core.migration;

/** A migration step refused or failed; the message is what the user sees. */
public class MigrationException extends Exception {
    private static final long serialVersionUID = 1L;

    public MigrationException(String message) {
        super(message);
    }

    public MigrationException(String message, Throwable cause) {
        super(message, cause);
    }
}
