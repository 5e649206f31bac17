package io.ferry.api.lock;

import java.util.Optional;
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

    /**
     * The leases this host held with {@code heldState} (what {@link Lease#state} said while they were held) before its
     * daemon restarted, as a lease to give back. Its {@link Lease#release} gives them back if they are still this
     * host's; if a release of this host's already went through (its answer lost with the store, before the restart), it
     * hands on that release's state; refused (a {@link LockException} without a cause) if another host held them since.
     * The default takes them with {@code heldState}, which a release that went through has made stale: a manager that
     * can tell its own release from another host's use should override it.
     *
     * @since 1.2
     */
    default Lease held(LeaseRequest request, String heldState) throws LockException {
        return acquire(request, heldState);
    }

    /**
     * Why {@link #acquire} of free leases would be refused now, as its refusal words it ("resource R is held by HOST
     * ..."), or empty when no lease of the request is held by another host or another domain; reads only, and changes
     * no lease nor its state. What may be done to a domain's definition while its VM runs on another host (snapshot
     * metadata that would come back with it) is refused on this answer. The default knows of no holder: a manager that
     * can read its leases without taking them should override it.
     *
     * @throws LockException the manager cannot reach or read its store
     * @since 1.3
     */
    default Optional<String> heldElsewhere(LeaseRequest request) throws LockException {
        return Optional.empty();
    }

    /** Whether leases carry state across release and acquire; such a manager rules out migration protocol 2. */
    boolean usesState();
}
