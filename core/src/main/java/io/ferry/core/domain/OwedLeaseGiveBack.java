package io.ferry.core.domain;

import io.ferry.api.lock.LeaseRequest;
import io.ferry.api.lock.LockException;
import io.ferry.api.lock.LockManager;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The give-back of the leases gone VMs owe ({@link OwedLeases}: their release failed, as the lock manager could not
 * reach or write its store): tried again, under the domain's change of leases ({@link Leases}), until it goes through
 * or another host is found to have held them since.
 */
public final class OwedLeaseGiveBack {
    private static final Logger LOG = LoggerFactory.getLogger(Leases.class);

    private final Leases leases;
    private final OwedLeases owed;

    OwedLeaseGiveBack(Leases leases, OwedLeases owed) {
        this.leases = leases;
        this.owed = owed;
    }

    /**
     * A disk whose lease another domain of this host (another UUID: one undefined since, whose name this one may have)
     * still owes: taken now, the lock manager could hand it over as this host's, and the give-back of the debt would
     * then release the lease of a VM that runs. Refused until it is given back (tried every second).
     */
    void requireNoneOwedByAnother(LeaseRequest request) throws DomainException {
        for (OwedLeases.Owed o : owed.all()) {
            if (o.request().domainUuid().equals(request.domainUuid())) {
                continue;
            }
            for (String disk : o.request().resources()) {
                if (request.resources().contains(disk)) {
                    throw new DomainException("Failed to acquire lock: the lease of disk " + disk + " is still owed by"
                            + " domain " + o.request().domainName() + " (" + o.request().domainUuid() + ") of this host, whose"
                            + " VM is gone and could not give it back: try again once it is given back (tried every second)");
                }
            }
        }
    }

    /** Whether the leases of a gone VM of the domain (by its UUID) could not be given back yet. */
    public boolean owes(UUID domain) {
        return owed.of(domain).isPresent();
    }

    /** The aborted migrations whose sources wait for owed leases. */
    public Set<String> owedForMigrations() {
        Set<String> migrations = new HashSet<>();
        owed.all().stream().filter(o -> o.migration() != null).forEach(o -> migrations.add(o.migration()));
        return migrations;
    }

    /**
     * Tries again to give back the leases a gone VM of the domain could not. Returns the state their release returned,
     * or empty when none are owed any more: given back, taken again by this host for a new VM of the domain, or refused,
     * as another host held them since. After a restart they are given back as this host held them ({@link
     * LockManager#held}): a release that went through before it, its answer lost, hands on its state.
     *
     * @throws DomainException they still cannot be given back (the lock manager cannot reach its store); they stay owed
     */
    public Optional<String> giveBackOwed(UUID uuid) throws DomainException {
        OwedLeases.Owed first = owed.of(uuid).orElse(null);
        if (first == null) {
            return Optional.empty();
        }
        String domain = first.request().domainName();
        try (DomainLocks.Held lock = leases.changing(domain)) {
            OwedLeases.Owed o = owed.of(uuid).orElse(null);
            if (o == null) {
                return Optional.empty();
            }
            if (leases.manager().isEmpty()) { // leases are off now: nothing holds them for anyone
                owed.remove(o);
                LOG.info("domain {}: the disk leases its VM could not give back are given up, as leases are off (they"
                        + " stay held in the store of the lock manager before)", domain);
                return Optional.empty();
            }
            try {
                // after a restart, or handed out by a lock manager replaced since: as this host held them (its release
                // may have gone through)
                Leases.Handed handed = leases.inHand(o.handed(), o.request(), o.heldState());
                if (handed != o.handed()) {
                    o = o.withLease(handed);
                    owed.put(o);
                }
                // idempotent: a release that took effect before answers its state
                String released = handed.lease().release();
                owed.remove(o);
                LOG.info("domain {}: the disk leases its VM could not give back when it went are given back now", domain);
                return Optional.of(released);
            } catch (LockException e) {
                if (Leases.unreachable(e)) {
                    throw new DomainException("Failed to release lock: " + e.getMessage(), e);
                }
                owed.remove(o);
                LOG.warn("domain {}: the disk leases its VM could not give back are no longer this host's: {}", domain,
                        e.getMessage());
                return Optional.empty();
            }
        }
    }

    /** Whether any gone VM's leases could not be given back yet. */
    public boolean owesAny() {
        return !owed.all().isEmpty();
    }

    /**
     * Tries again to give back every owed lease no migration waits for: those, the migration engine gives back, to
     * answer their source with the state.
     *
     * @param awaited whether the migration of this id waits for its leases (its record is still there)
     */
    public void giveBackOwed(Predicate<String> awaited) {
        for (OwedLeases.Owed o : owed.all()) {
            if (o.migration() == null || !awaited.test(o.migration())) {
                try {
                    giveBackOwed(o.request().domainUuid());
                } catch (DomainException e) {
                    LOG.debug("domain {}: its owed disk leases still cannot be given back: {}", o.request().domainName(),
                            e.getMessage());
                }
            }
        }
    }
}
