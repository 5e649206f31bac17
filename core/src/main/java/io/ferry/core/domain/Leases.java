package io.ferry.core.domain;

import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.api.lock.Lease;
import io.ferry.api.lock.LeaseRequest;
import io.ferry.api.lock.LockException;
import io.ferry.api.lock.LockManager;
import io.ferry.core.daemon.DaemonSettings;
import io.ferry.protocol.Xml;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The leases of this host's domains (their disks' and each domain's own), through the configured lock manager
 * ({@code lockManager}, {@code ferryd --lock-manager}): taken before a VM runs, given back when it stops or pauses for
 * a migration's switch-over.
 */
public final class Leases {
    private static final Logger LOG = LoggerFactory.getLogger(Leases.class);
    /** How much of a lock manager's refusal a message keeps. */
    private static final int MAX_REFUSAL_CHARS = 1000;

    private final DaemonSettings settings;
    private final Map<String, Supplier<LockManager>> managers = new ConcurrentHashMap<>();
    private final Map<String, Held> held = new ConcurrentHashMap<>();
    /** The leases of gone VMs whose release failed: given back later ({@link OwedLeaseGiveBack}), never forgotten. */
    private final OwedLeases owed;
    private final OwedLeaseGiveBack owedGiveBack;
    /** One change of a domain's leases at a time: a late give-back must not release leases an acquire took again. */
    private final DomainLocks changing = new DomainLocks();

    /** A domain's held leases, and what they were taken for: what a release that fails leaves owed. */
    private record Held(Handed handed, LeaseRequest request) {
    }

    /**
     * Leases as the lock manager instance that handed them out: a bundle update or a new configuration replaces it,
     * and it may close its client to the store (the ZooKeeper lock manager), so they are given back through the one
     * there now ({@link #inHand}).
     */
    record Handed(Lease lease, LockManager by) {
    }

    public Leases(DaemonSettings settings) {
        this.settings = settings;
        this.owed = new OwedLeases(settings.stateDir(), settings.hostname(), settings.hostUuid());
        this.owedGiveBack = new OwedLeaseGiveBack(this, owed);
    }

    /** The leases gone VMs of this host could not give back yet, and their give-back. */
    public OwedLeaseGiveBack owed() {
        return owedGiveBack;
    }

    /**
     * The domains whose gone VMs' leases this host owes, an earlier run's debts among them, each with the records of
     * its debts ({@code STATE/leases-owed/UUID.xml}: one per domain UUID, and a name may have had two).
     */
    Map<String, SortedSet<Path>> owingDomains() {
        return owed.all().stream().collect(Collectors.groupingBy(debt -> debt.request().domainName(),
                Collectors.mapping(debt -> owed.record(debt.request()), Collectors.toCollection(TreeSet::new))));
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
        LockManager manager = current();
        if (manager == null) {
            throw new ManagerAway(name);
        }
        return Optional.of(manager);
    }

    /** The configured manager's instance there now, or null. */
    private LockManager current() {
        Supplier<LockManager> reference = managers.get(settings.lockManager());
        return reference == null ? null : reference.get();
    }

    /**
     * The configured lock manager is not there (its bundle stopped or being updated, or its component cannot start):
     * nothing was asked of it, which says nothing of the disks ({@link #unreachable}).
     */
    public static final class ManagerAway extends DomainException {
        private static final long serialVersionUID = 1L;

        ManagerAway(String name) {
            super("lock manager '" + name + "' is not available (is its bundle started and configured? see the log)");
        }
    }

    public String managerName() {
        return settings.lockManager();
    }

    /** Takes the domain's leases; with {@code state}, only if nobody held them since it was released. */
    public void acquire(DomainSpec spec, String state) throws DomainException {
        Optional<LockManager> manager = manager();
        if (manager.isEmpty()) {
            return;
        }
        LeaseRequest request = request(spec);
        try (DomainLocks.Held lock = changing(spec.name())) {
            if (held.containsKey(spec.name())) { // looked at under the lock: a give-back may hold them for a moment
                return;
            }
            owedGiveBack.requireNoneOwedByAnother(request);
            try {
                Handed taken = new Handed(manager.get().acquire(request, state), manager.get());
                held.put(spec.name(), new Held(taken, request));
            } catch (LockException e) {
                // the state may be a peer's (a Perform cookie's, a destination's answer), which the refusal may quote
                throw new DomainException("Failed to acquire lock: " + Xml.oneLine(String.valueOf(e.getMessage()),
                        MAX_REFUSAL_CHARS), e);
            }
            Optional<OwedLeases.Owed> before = owed.of(spec.uuid());
            // this host's still: those taken again are the domain's new VM's now
            if (before.isPresent() && owed.takenOver(before.get(), request)) {
                LOG.info("domain {}: the disk leases its earlier VM could not give back are held again", spec.name());
            }
        }
    }

    /**
     * Why a start of the domain here would be refused by its leases now ("resource R is held by HOST (UUID) for domain
     * D"), read without taking them (a take and give-back would advance their state under a migration that released
     * them at its switch-over), or empty: none held by another host or domain, leases off, or held here. A domain
     * without disks is asked for too: its own lease says where it runs.
     */
    public Optional<String> heldElsewhere(DomainSpec spec) throws DomainException {
        if (held.containsKey(spec.name())) {
            return Optional.empty();
        }
        Optional<LockManager> manager = manager();
        if (manager.isEmpty()) {
            return Optional.empty();
        }
        try {
            return manager.get().heldElsewhere(request(spec)).map(holder -> Xml.oneLine(holder, MAX_REFUSAL_CHARS));
        } catch (LockException e) {
            throw new DomainException("cannot tell whether another host runs domain " + spec.name() + ": "
                    + Xml.oneLine(String.valueOf(e.getMessage()), MAX_REFUSAL_CHARS), e);
        }
    }

    /**
     * The disks' leases and, last, the domain's own ({@code domain:UUID}, as libvirt's sanlock driver leases the VM
     * itself): a domain without disks runs on one host at a time too, and two hosts that define the same UUID never run
     * it both. Last, so that a refusal names a disk first where the domain has one, as before.
     */
    private LeaseRequest request(DomainSpec spec) {
        List<String> resources = new ArrayList<>();
        leasedDisks(spec).stream().map(Leases::diskResources).forEach(resources::addAll);
        resources.add(LeaseRequest.domainResource(spec.uuid()));
        return new LeaseRequest(spec.name(), spec.uuid(), resources, settings.hostname(), settings.hostUuid());
    }

    /** The disks that hold leases: those with a source the guest may write (libvirt's lock managers skip read-only ones). */
    public static List<String> leasedDisks(DomainSpec spec) {
        return spec.disks().stream().filter(disk -> disk.source() != null && !disk.readOnly()).map(DomainSpec.Disk::source)
                .toList();
    }

    /**
     * A disk's leases: its file's ({@link #diskResource}), and, for a source spelt otherwise, the spelling's too, which
     * builds before normal names (87ad4d9) lease alone: without it, a host of such a build and one of this build each
     * took a free lease of their own for the same guest, and both ran it. The normal one first: a refusal names it.
     */
    private static List<String> diskResources(String source) {
        String normal = diskResource(source);
        return normal.equals(source) ? List.of(normal) : List.of(normal, source);
    }

    /**
     * A disk's lease, by its absolute path in normal form: "/d//a.img", "/d/./a.img", "/d/x/../a.img" and "/d/a.img/"
     * name one file, and leased as spelt, two domains wrote it at once. Two paths that meet through symbolic links stay
     * two leases, as with libvirt's lock managers; a source that is no absolute path is its own name.
     */
    private static String diskResource(String source) {
        if (!source.startsWith("/")) {
            return source;
        }
        try {
            return Path.of(source).normalize().toString();
        } catch (InvalidPathException e) {
            return source;
        }
    }

    /** Holds the lock of a domain's changes of leases until closed. */
    DomainLocks.Held changing(String domain) {
        return changing.lock(domain);
    }

    /** How many domains have a lock of their changes of leases now (held or waited for): what a long-running daemon keeps. */
    int domainsChanging() {
        return changing.size();
    }

    boolean holds(String domain) {
        return held.containsKey(domain);
    }

    /** The state of the held leases, or null. */
    public String state(String domain) {
        Held leases = held.get(domain);
        return leases == null ? null : leases.handed().lease().state();
    }

    /**
     * Lets go of the domain's leases without giving them back: they stay this host's in the lock manager, for a VM of
     * the domain that runs undriven, as a restarted daemon finds the leases it held. In hand while the domain is shut
     * off, they would stand for its next start's, which would then take none for the disks it is defined with then.
     */
    void leaveHeld(String domain) {
        try (DomainLocks.Held lock = changing(domain)) {
            held.remove(domain);
        }
    }

    /** Gives the leases back; returns the state to re-acquire them with, or null when none were held. */
    public String release(String domain) throws DomainException {
        Held leases = held.remove(domain);
        if (leases == null) {
            return null;
        }
        try {
            return inHand(leases.handed(), leases.request(), leases.handed().lease().state()).lease().release();
        } catch (LockException e) {
            throw new DomainException("Failed to release lock: " + e.getMessage(), e);
        }
    }

    /**
     * Held leases to give back: as {@code handed}, by the lock manager instance there now (or by the one that handed
     * them out while none is there: it may still give them back). Handed out by an instance replaced since (its bundle
     * updated or reconfigured: it may have closed its client to the store, and a give-back through it would fail for
     * good), or not in hand (null: after a restart), they are as the one there now finds them held with {@code
     * heldState} ({@link LockManager#held}).
     */
    Handed inHand(Handed handed, LeaseRequest request, String heldState) throws DomainException, LockException {
        LockManager current = current();
        if (handed != null && (current == null || current == handed.by())) {
            return handed;
        }
        if (current == null) {
            throw new ManagerAway(settings.lockManager());
        }
        return new Handed(current.held(request, heldState), current);
    }

    /**
     * Gives back leases this host held with {@code heldState} and no longer has in hand (their release was not
     * confirmed): returns the state their release returned, or the one a release of this host's that went through
     * unanswered returned ({@link LockManager#held}); null when leases are off.
     *
     * @throws DomainException refused (another host held them since), or the lock manager cannot reach its store
     */
    public String giveBackAsHeld(DomainSpec spec, String heldState) throws DomainException {
        Optional<LockManager> manager = manager();
        if (manager.isEmpty()) {
            return null;
        }
        try (DomainLocks.Held lock = changing(spec.name())) {
            try {
                return manager.get().held(request(spec), heldState).release();
            } catch (LockException e) {
                throw new DomainException("Failed to release lock: " + e.getMessage(), e);
            }
        }
    }

    /**
     * Gives back the leases of a VM that is gone ({@code migration}: the aborted migration whose source waits for them,
     * or null). A release that fails because the lock manager cannot reach or write its store leaves them owed: they
     * are still this host's there, where no other host takes them, so {@link OwedLeaseGiveBack#giveBackOwed} tries
     * again, after a restart too.
     */
    String releaseQuietly(String domain, String migration) {
        try (DomainLocks.Held lock = changing(domain)) {
            Held leases = held.get(domain);
            String heldState = leases == null ? null : leases.handed().lease().state();
            try {
                return release(domain);
            } catch (DomainException e) {
                if (leases != null && unreachable(e)) {
                    owed.put(new OwedLeases.Owed(leases.request(), heldState, leases.handed(), migration));
                    LOG.error("domain {}: {}; its VM is gone, and this host gives them back once it can", domain, e.getMessage());
                } else {
                    LOG.error("domain {}: {}", domain, e.getMessage());
                }
                return null;
            }
        }
    }

    /**
     * Whether a failure (or the failure it wraps) says nothing of the disks: the lock manager is not there ({@link
     * ManagerAway}), or could not reach or write its store (it gives that failure as the cause, {@link LockException}).
     * Not its refusal: a refusal (another host holds the leases, or held them since) says something of the disks and
     * leaves nothing of this host's to give back.
     */
    public static boolean unreachable(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof ManagerAway) {
                return true;
            }
            if (t instanceof LockException refused) {
                return refused.getCause() != null;
            }
        }
        return false;
    }

    /**
     * Gives back the leases this host may still hold for {@code spec} from before its daemon restarted (it no longer
     * knows whether it took them): they are taken, free or still this host's, and released. Returns the state the
     * release returned, or null when leases are off or another host holds them.
     */
    public String releaseAfterRestart(DomainSpec spec, String migration) {
        return releaseAfterRestart(spec, null, migration);
    }

    /**
     * Gives back what this host held, before its daemon restarted, for a VM found gone then: as {@link
     * #releaseAfterRestart}, with the state they were recorded held with, unless a VM of the domain started here since
     * (once the lock manager came, before this ran) and holds them: they are its now. Given back, its VM ran on with
     * its leases free, which another host's start of the domain could then take.
     */
    String giveBackForVmGone(DomainSpec spec, String heldState) {
        try (DomainLocks.Held lock = changing(spec.name())) {
            if (held.containsKey(spec.name())) {
                LOG.info("domain {}: started again before its earlier VM's leases were given back: they are its new VM's",
                        spec.name());
                return null;
            }
            return releaseAfterRestart(spec, heldState, null);
        }
    }

    /**
     * @param heldState the state they were recorded held with: given back only if nobody held them since; null: any
     * @param migration the aborted migration whose source waits for them, or null
     */
    private String releaseAfterRestart(DomainSpec spec, String heldState, String migration) {
        // held from the take to the release: a start of the name in between found them held and took none of its own
        try (DomainLocks.Held lock = changing(spec.name())) {
            Held another = held.get(spec.name());
            if (another != null && !another.request().domainUuid().equals(spec.uuid())) {
                return releaseBeside(another.request(), spec, heldState, migration);
            }
            try {
                acquire(spec, heldState);
            } catch (DomainException e) {
                owedIfUnreachable(request(spec), heldState, null, migration, e);
                return null;
            }
            return releaseQuietly(spec.name(), migration);
        }
    }

    /**
     * {@link #releaseAfterRestart} while another domain of the name (another UUID, defined and started here since)
     * holds its leases here: taken and released apart from them, leaving out the resources it holds (a disk both name
     * stays with its VM). Through the name's held leases, its were released and the ones asked for kept.
     */
    private String releaseBeside(LeaseRequest another, DomainSpec spec, String heldState, String migration) {
        LeaseRequest all = request(spec);
        List<String> notItsOwn = all.resources().stream().filter(resource -> !another.resources().contains(resource))
                .toList();
        LeaseRequest apart = new LeaseRequest(all.domainName(), all.domainUuid(), notItsOwn, all.owner(),
                all.ownerUuid());
        Handed taken = null;
        try {
            Optional<LockManager> manager = manager();
            if (manager.isEmpty()) {
                return null;
            }
            taken = new Handed(manager.get().acquire(apart, heldState), manager.get());
            return taken.lease().release();
        } catch (LockException | DomainException e) {
            owedIfUnreachable(apart, heldState, taken, migration, e); // taken: its release failed
            return null;
        }
    }

    /** A give-back that failed: owed while the lock manager could not answer (this host may hold them), else none. */
    private void owedIfUnreachable(LeaseRequest request, String heldState, Handed taken, String migration,
            Exception e) {
        if (unreachable(e)) { // this host may hold them: tried again until the lock manager answers
            owed.put(new OwedLeases.Owed(request, heldState, taken, migration));
            LOG.error("domain {}: its VM is gone, and this host gives back what leases it may hold once it can: {}",
                    request.domainName(), e.getMessage());
        } else {
            LOG.info("domain {}: no lease of this host's to give back ({})", request.domainName(), e.getMessage());
        }
    }
}
