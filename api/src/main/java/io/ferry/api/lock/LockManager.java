package io.ferry.api.lock;

import org.osgi.annotation.versioning.ConsumerType;

/** A lock manager, registered with the service property {@link #NAME} (e.g. {@code file}, {@code zookeeper}). */
@ConsumerType
public interface LockManager {
    /** Service property: the manager's name, as the lockstate cookie section carries it (String). */
    String NAME = "ferry.lock.manager";

    /**
     * Takes every lease of the request for this host.
     *
     * @param state null to take free leases (boot); the state a {@link Lease#release} returned, to take them
     *        back only if nobody held them in between (migration, resume)
     * @throws LockException naming the holder when another host holds a lease, or the resource whose state
     *         does not match
     */
    Lease acquire(LeaseRequest request, String state) throws LockException;

    /** Whether leases carry state across release and acquire; such a manager rules out migration protocol 2. */
    boolean usesState();
}
