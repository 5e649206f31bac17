package io.ferry.core.domain;

import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.api.hypervisor.Hypervisor;
import io.ferry.api.lock.LockManager;
import io.ferry.api.snapshot.SnapshotStore;
import io.ferry.protocol.xml.HardenedXmlParser;
import io.ferry.core.daemon.Daemon;
import io.ferry.core.daemon.DaemonSettings;
import io.ferry.core.daemon.StartFailure;
import java.util.function.Supplier;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The domains of this host: definitions, life cycle and state, kept in the state directory so that a
 * restarted daemon finds every domain as it was and re-attaches to its VM. This class is the service, with the
 * drivers, lock managers and jobs; {@link DomainEntries} holds the entries, {@link DomainDefinitions} the
 * definitions, and {@link DomainLifecycle} starts, records and stops the VMs.
 */
@Component(service = DomainManager.class)
public class DomainManager {
    private static final Logger LOG = LoggerFactory.getLogger(DomainManager.class);

    private final DomainStore store;
    private final DomainXml xml;
    private final StatusXml statusXml;
    private final DomainEntries entries = new DomainEntries();
    private final Map<String, Hypervisor> hypervisors = new ConcurrentHashMap<>();
    private final Leases leases;
    private final PausedLeases pausedLeases;
    private final Reattachment reattachment;
    private final VmExits exits = new VmExits(this);
    private final DomainDefinitions definitions;
    private final DomainLifecycle lifecycle;
    private final MigratingDomains migrating;
    /** Where a transient domain's snapshot metadata goes when it does; null: kept (managers built without a store). */
    private final SnapshotStore snapshots;

    private final Map<ServiceReference<LockManager>, Supplier<LockManager>> lockManagers = new ConcurrentHashMap<>();
    private final BundleContext context;

    @Activate
    public DomainManager(BundleContext context, @Reference Daemon daemon, @Reference SnapshotStore snapshots) throws IOException {
        this(daemon.settings(), snapshots, context);
    }

    /** A manager outside a framework (tests): drivers and lock managers are added by hand; snapshots are kept. */
    public DomainManager(DaemonSettings settings) throws IOException {
        this(settings, null, null);
    }

    /** As {@link #DomainManager(DaemonSettings)}, a transient domain's snapshots going with it from {@code snapshots}. */
    public DomainManager(DaemonSettings settings, SnapshotStore snapshots) throws IOException {
        this(settings, snapshots, null);
    }

    /** @param context null outside a framework; within one, a manager that cannot load the domains tells ferryd why */
    private DomainManager(DaemonSettings settings, SnapshotStore snapshots, BundleContext context) throws IOException {
        this.context = context;
        this.snapshots = snapshots;
        try {
            HardenedXmlParser parser = new HardenedXmlParser(settings.cookieMaxBytes(), settings.cookieMaxDepth());
            this.store = new DomainStore(settings.stateDir(), settings.runDir());
            this.xml = new DomainXml(parser);
            this.statusXml = new StatusXml(parser, xml);
            this.leases = new Leases(settings);
            LockManagerRecord.require(settings.stateDir(), settings.lockManager(), store, leases);
            this.pausedLeases = new PausedLeases(this, leases);
            this.definitions = new DomainDefinitions(this, entries, store, xml);
            this.lifecycle = new DomainLifecycle(this, entries, store, statusXml, leases, exits);
            this.migrating = new MigratingDomains(entries, store, definitions, lifecycle, exits);
            this.reattachment = new Reattachment(this, xml, statusXml, exits);
            reattachment.load(entries.map());
        } catch (IOException | RuntimeException e) {
            if (context != null) {
                StartFailure.report(context, "cannot load the domains: " + e.getMessage());
            }
            throw e;
        }
    }

    /** The bundle stops (or, in tests, the daemon dies): the VMs it watched for their end are the next manager's. */
    @Deactivate
    public void close() {
        exits.close();
    }

    @Reference(service = Hypervisor.class, cardinality = ReferenceCardinality.MULTIPLE,
            policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    void addHypervisor(Hypervisor hypervisor, Map<String, Object> properties) {
        addHypervisor(String.valueOf(properties.get(Hypervisor.TYPE)), hypervisor);
    }

    /** A driver for domains of {@code type}: their VMs left running before a restart are re-attached now. */
    public void addHypervisor(String type, Hypervisor hypervisor) {
        hypervisors.put(type, hypervisor);
        LOG.info("hypervisor driver for domain type '{}' available", type);
        reattachment.reattach(type);
    }

    void removeHypervisor(Hypervisor hypervisor, Map<String, Object> properties) {
        hypervisors.remove(String.valueOf(properties.get(Hypervisor.TYPE)), hypervisor);
    }

    @Reference(service = LockManager.class, cardinality = ReferenceCardinality.MULTIPLE,
            policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    void addLockManager(ServiceReference<LockManager> manager) {
        Supplier<LockManager> lazy = () -> context.getService(manager);
        lockManagers.put(manager, lazy);
        addLockManager(String.valueOf(manager.getProperty(LockManager.NAME)), lazy);
    }

    /** A lock manager by name: VMs waiting for it take their leases now. */
    public void addLockManager(String name, Supplier<LockManager> manager) {
        leases.addManager(name, manager);
        reattachment.retakePendingLeases();
    }

    void removeLockManager(ServiceReference<LockManager> manager) {
        Supplier<LockManager> lazy = lockManagers.remove(manager);
        if (lazy != null) {
            removeLockManager(String.valueOf(manager.getProperty(LockManager.NAME)), lazy);
        }
    }

    /** A lock manager added by {@link #addLockManager(String, Supplier)} goes (its bundle stopped or updated). */
    public void removeLockManager(String name, Supplier<LockManager> manager) {
        leases.removeManager(name, manager);
    }

    public Leases leases() {
        return leases;
    }

    /** The leases of paused VMs that stay here without them: given back at a switch-over, taken back to resume. */
    public PausedLeases pausedLeases() {
        return pausedLeases;
    }

    /** What migrations do with the domains: claim one, admit an arriving one, stage and install its definition. */
    public MigratingDomains migrating() {
        return migrating;
    }

    public DomainXml xml() {
        return xml;
    }

    public DomainStore store() {
        return store;
    }

    public List<Domain> list() {
        return entries.list();
    }

    public Domain get(String name) throws DomainException {
        return entries.get(name);
    }

    Optional<Hypervisor> driver(String type) {
        return Optional.ofNullable(hypervisors.get(type));
    }

    Map<String, Domain> entries() {
        return entries.map();
    }

    public Optional<Domain> find(String name) {
        return entries.find(name);
    }

    public Hypervisor hypervisor(String type) throws DomainException {
        Hypervisor hypervisor = hypervisors.get(type);
        if (hypervisor == null) {
            throw new DomainException("no hypervisor driver for domain type '" + type + "' is installed");
        }
        return hypervisor;
    }

    /**
     * Parses, checks with the driver and stores a persistent definition ({@code virsh define}); an interface without a
     * MAC address is given one ({@link #parseNew}). A definition that cannot be stored leaves no trace: a new domain is
     * not listed, a redefined one keeps its previous definition.
     */
    public Domain define(String definition) throws DomainException {
        return definitions.define(definition);
    }

    public DomainSpec parse(String definition) throws DomainException {
        return definitions.parse(definition, false);
    }

    /** As {@link #parse}, for a definition an operator gives to be kept: interfaces without a MAC address get one. */
    public DomainSpec parseNew(String definition) throws DomainException {
        return definitions.parse(definition, true);
    }

    /** Removes the persistent definition; an active domain goes on, transient, until it stops. */
    public void undefine(String name) throws DomainException {
        undefine(name, domain -> {
        });
    }

    /** What goes with a definition, under the domain's job. */
    public interface Undefining {
        /** Before the definition goes: it may refuse, and nothing goes. */
        void before(Domain domain) throws Exception;

        /**
         * Once the definition is gone (a failure to delete it leaves everything in place): a failure here leaves the
         * domain undefined all the same.
         */
        default void after(Domain domain) throws Exception {
        }
    }

    /** As {@link #undefine(String)}, with what goes with the definition. */
    public void undefine(String name, Undefining first) throws DomainException {
        definitions.undefine(name, first);
    }

    /**
     * Boots a defined domain. A start that fails leaves nothing behind: no VM, no lease, no status file, no run
     * directory.
     */
    public Domain start(String name) throws DomainException {
        return lifecycle.start(name);
    }

    public void destroy(String name) throws DomainException {
        lifecycle.destroy(name);
    }

    /** A unit of work that holds a domain's job lock, as libvirt's jobs do. */
    public interface Job<T> {
        T run() throws Exception;
    }

    public <T> T withJob(Domain domain, String description, Job<T> job) throws DomainException {
        return withJob(domain, description, null, job);
    }

    /**
     * Runs a job on a domain. A domain owned by a migration only takes jobs of that migration.
     *
     * @param migrationId the migration the job belongs to, or null
     */
    public <T> T withJob(Domain domain, String description, String migrationId, Job<T> job) throws DomainException {
        return domain.runJob(description, owner -> owner.equals(migrationId), job);
    }

    /**
     * {@link #withJob} if the domain's job is free now: false, having run nothing, while another job holds it (for an
     * answer that must not wait on a job that may run for minutes).
     */
    public boolean withJobIfFree(Domain domain, String description, String migrationId, Job<?> job)
            throws DomainException {
        return domain.runJobIfFree(description, owner -> owner.equals(migrationId), job);
    }

    /**
     * {@code ferry suspend}: pauses a running domain for its operator, recorded paused (user); false when it was paused
     * already. Caller holds the job, or the domain's own migration does (it takes turns with {@link MigratingDomains#changingRunState}).
     */
    public boolean suspend(Domain domain) throws IOException, DomainException {
        return lifecycle.suspend(domain);
    }

    /**
     * Records a state change of an active domain, status file first. A VM that runs holds its leases: the state
     * its paused VM kept of released ones is forgotten. Caller holds the job.
     */
    public void setState(Domain domain, DomainState state, DomainState.Reason reason) throws IOException {
        lifecycle.setState(domain, state, reason);
    }

    /**
     * Stops the VM for good and forgets the live instance, even where its status file or run directory cannot be
     * removed then (logged, left for the next start). Caller holds the job. Returns the state the release of its
     * leases returned, or null when it held none (or their release failed, which is logged).
     */
    public String deactivate(Domain domain, DomainState.Reason reason) {
        return lifecycle.deactivate(domain, reason, null);
    }

    /**
     * A transient domain's VM stopped for good (destroyed, ended, found gone at a start, an aborted arrival's): the
     * domain leaves this host, and its snapshot metadata with it, as libvirt's qemuDomainRemoveInactive discards it.
     * Left behind, it was the snapshots of the next domain given the UUID here (listed, migrated, its names taken). A
     * domain whose arrival's definition is still to be installed is not gone: it comes back defined. A failure is
     * logged and leaves them, as before.
     */
    void snapshotsGoWith(Domain domain) {
        if (snapshots == null || definitions.installsLater(domain.name())) {
            return;
        }
        try {
            snapshots.forget(domain.uuid());
        } catch (IOException | RuntimeException e) {
            LOG.error("domain {} left this host, but its snapshots here could not be removed: {}", domain.name(), e.getMessage());
        }
    }

    /** Drops an entry that has neither a persistent definition nor an active instance, and that no migration claims. */
    public void forgetIfGone(Domain domain) {
        entries.forgetIfGone(domain);
    }
}
