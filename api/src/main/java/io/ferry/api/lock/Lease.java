package io.ferry.api.lock;

import org.osgi.annotation.versioning.ConsumerType;

/** A domain's leases, held by this host. */
@ConsumerType
public interface Lease {
    /** The state of the held leases, opaque: what a later acquire must present to prove continuity. */
    String state();

    /**
     * Gives the leases back, returning the state that proves, at the next {@link LockManager#acquire}, that
     * nobody else acquired and released them in between. Idempotent.
     */
    String release() throws LockException;
}
