package io.ferry.core.control;

/** A request the daemon refuses: its status (4xx) and the one-line reason the client sees. */
final class BadRequest extends Exception {
    private static final long serialVersionUID = 1L;
    final int status;

    BadRequest(int status, String message) {
        super(message);
        this.status = status;
    }
}
