package io.ferry.core.migration;

import io.ferry.core.domain.DomainException;

/** A migration step refused or failed; the message is what the user sees. */
public class MigrationException extends DomainException {
    private static final long serialVersionUID = 1L;

    public MigrationException(String message) {
        super(message);
    }

    public MigrationException(String message, Throwable cause) {
        super(message, cause);
    }
}
