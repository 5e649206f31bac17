package io.ferry.core.domain;

import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.api.lock.Lease;
import io.ferry.api.lock.LeaseRequest;
import io.ferry.api.lock.LockException;
import io.ferry.api.lock.LockManager;
import io.ferry.core.daemon.DaemonSettings;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The disk leases of this host's domains, through the configured lock manager ({@code lockManager},
 * {@code ferryd --lock-manager}): taken before a VM runs, given back when it stops or pauses for a migration's
 * switch-over.
 */
public final class Leases {
    private static final Logger LOG = LoggerFactory.getLogger(Leases.class);

    private final DaemonSettings settings;
    private final Map<String, Supplier<LockManager>> managers = new ConcurrentHashMap<>();
    private final Map<String, Lease> held = new ConcurrentHashMap<>();
    /**
     * The leases of VMs that are gone whose release failed (ZooKeeper unreachable, the lease directory unwritable): still
     * this host's in the lock manager, so they are given back later ({@link #giveBackOwed}), never forgotten.
     */
    private final Map<String, Lease> owed = new ConcurrentHashMap<>();
    /** One change of a domain's leases at a time: a late give-back must not release leases an acquire took again. */
    private final Map<String, Object> changing = new ConcurrentHashMap<>();

    public Leases(DaemonSettings settings) {
        this.settings = settings;
    }

    /** @param manager gets the manager when it is needed (a service object is got only then) */
    public void addManager(String name, Supplier<LockManager> manager) {
        managers.put(name, manager);
    }

    void removeManager(String name, Supplier<LockManager> manager) {
        managers.remove(name, manager);
    }

    /** Whether leases are off, or the configured manager is registered (it may come later than the driver). */
    public boolean ready() {
        return settings.lockManager().equals("none") || managers.containsKey(settings.lockManager());
    }

    /**
     * The configured manager, or empty when leases are off ({@code none}). Only the configured one is ever
     * instantiated: another installed manager may lack its settings.
     */
    public Optional<LockManager> manager() throws DomainException {
        String name = settings.lockManager();
        if (name.equals("none")) {
            return Optional.empty();
        }
        Supplier<LockManager> reference = managers.get(name);
        LockManager manager = reference == null ? null : reference.get();
        if (manager == null) {
            throw new DomainException("lock manager '" + name + "' is not available (is its bundle started and configured? see the log)");
        }
        return Optional.of(manager);
    }

    public String managerName() {
        return settings.lockManager();
    }

    /** Takes the domain's leases; with {@code state}, only if nobody held them since it was released. */
    public void acquire(DomainSpec spec, String state) throws DomainException {
        Optional<LockManager> manager = manager();
        if (manager.isEmpty() || held.containsKey(spec.name())) {
            return;
        }
        LeaseRequest request = new LeaseRequest(spec.name(), spec.uuid(),
                spec.disks().stream().map(DomainSpec.Disk::source).filter(Objects::nonNull).toList(),
                settings.hostname(), settings.hostUuid());
        synchronized (changing(spec.name())) {
            try {
                held.put(spec.name(), manager.get().acquire(request, state));
            } catch (LockException e) {
                throw new DomainException("Failed to acquire lock: " + e.getMessage(), e);
            }
            if (owed.remove(spec.name()) != null) { // this host's still: taken again, they are the new VM's now
                LOG.info("domain {}: the disk leases its earlier VM could not give back are held again", spec.name());
            }
        }
    }

    private Object changing(String domain) {
        return changing.computeIfAbsent(domain, name -> new Object());
    }

    boolean holds(String domain) {
        return held.containsKey(domain);
    }

    /** The state of the held leases, or null. */
    public String state(String domain) {
        Lease lease = held.get(domain);
        return lease == null ? null : lease.state();
    }

    /** Gives the leases back; returns the state to re-acquire them with, or null when none were held. */
    public String release(String domain) throws DomainException {
        Lease lease = held.remove(domain);
        if (lease == null) {
            return null;
        }
        try {
            return lease.release();
        } catch (LockException e) {
            throw new DomainException("Failed to release lock: " + e.getMessage(), e);
        }
    }

    /**
     * Gives back the leases of a VM that is gone. A release that fails leaves them owed: they are still this host's in
     * the lock manager, which no other host would take them from, so {@link #giveBackOwed} tries again.
     */
    String releaseQuietly(String domain) {
        synchronized (changing(domain)) {
            Lease lease = held.get(domain);
            try {
                return release(domain);
            } catch (DomainException e) {
                owed.put(domain, lease);
                LOG.error("domain {}: {}; its VM is gone, and this host gives them back once it can", domain, e.getMessage());
                return null;
            }
        }
    }

    /** Whether the leases of a gone VM of the domain could not be given back yet. */
    public boolean owes(String domain) {
        return owed.containsKey(domain);
    }

    /**
     * Tries again to give back the leases a gone VM of the domain could not. Returns the state their release returned,
     * or empty when none are owed (any more: given back, or taken again by this host for a new VM of the domain).
     *
     * @throws DomainException they still cannot be given back; they stay owed
     */
    public Optional<String> giveBackOwed(String domain) throws DomainException {
        synchronized (changing(domain)) {
            Lease lease = owed.get(domain);
            if (lease == null) {
                return Optional.empty();
            }
            try {
                String released = lease.release(); // idempotent: a release that took effect before answers its state
                owed.remove(domain, lease);
                LOG.info("domain {}: the disk leases its VM could not give back when it went are given back now", domain);
                return Optional.of(released);
            } catch (LockException e) {
                throw new DomainException("Failed to release lock: " + e.getMessage(), e);
            }
        }
    }

    /**
     * Gives back the leases this host may still hold for {@code spec} from before its daemon restarted (it no longer
     * knows whether it took them): they are taken, free or still this host's, and released. Returns the state the
     * release returned, or null when leases are off or another host holds them.
     */
    public String releaseAfterRestart(DomainSpec spec) {
        return releaseAfterRestart(spec, null);
    }

    /** @param heldState the state they were recorded held with: given back only if nobody held them since; null: any */
    String releaseAfterRestart(DomainSpec spec, String heldState) {
        try {
            acquire(spec, heldState);
            return release(spec.name());
        } catch (DomainException e) {
            LOG.info("domain {}: no lease of this host's to give back ({})", spec.name(), e.getMessage());
            return null;
        }
    }
}
