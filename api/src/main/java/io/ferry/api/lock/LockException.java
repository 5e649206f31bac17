package io.ferry.api.lock;

/** A lease that cannot be taken or given back; the message names the resource and, when known, its holder. */
public class LockException extends Exception {
    private static final long serialVersionUID = 1L;

    public LockException(String message) {
        super(message);
    }

    public LockException(String message, Throwable cause) {
        super(message, cause);
    }
}
