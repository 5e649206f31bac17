package io.ferry.api.lock;

/**
 * A lease that cannot be taken or given back; the message names the resource and, when known, its holder. A manager
 * that could not reach or write its lease store gives that failure as the cause; a refusal (another host holds the
 * lease, or held it since a state) has none. The core tries again later to give back leases whose release failed with a
 * cause: they are still this host's in the store.
 */
public class LockException extends Exception {
    private static final long serialVersionUID = 1L;

    public LockException(String message) {
        super(message);
    }

    public LockException(String message, Throwable cause) {
        super(message, cause);
    }
}
