package io.ferry.cli;

/** A failure to report as one {@code error: …} line on stderr, exit status 1. */
public class CliException extends Exception {
    private static final long serialVersionUID = 1L;

    public CliException(String message) {
        super(message);
    }

    public CliException(String message, Throwable cause) {
        super(message, cause);
    }
}
