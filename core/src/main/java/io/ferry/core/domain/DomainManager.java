package io.ferry.core.domain;

import io.ferry.api.cookie.CookieException;
import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.api.hypervisor.Hypervisor;
import io.ferry.api.hypervisor.HypervisorException;
import io.ferry.api.hypervisor.VirtualMachine;
import io.ferry.api.lock.LockManager;
import io.ferry.protocol.xml.HardenedXmlParser;
import io.ferry.core.daemon.Daemon;
import io.ferry.core.daemon.DaemonSettings;
import io.ferry.core.daemon.StartFailure;
import java.util.function.Supplier;
import java.io.IOException;
import java.util.Comparator;
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
 * restarted daemon finds every domain as it was and re-attaches to its VM.
 */
@Component(service = DomainManager.class)
public class DomainManager {
    private static final Logger LOG = LoggerFactory.getLogger(DomainManager.class);

    private final DomainStore store;
    private final DomainXml xml;
    private final StatusXml statusXml;
    private final Map<String, Domain> domains = new ConcurrentHashMap<>();
    private final Map<String, Hypervisor> hypervisors = new ConcurrentHashMap<>();
    private final Leases leases;
    private final PausedLeases pausedLeases;
    private final Reattachment reattachment;
    private final VmExits exits = new VmExits(this);

    private final Map<ServiceReference<LockManager>, Supplier<LockManager>> lockManagers = new ConcurrentHashMap<>();
    private final BundleContext context;

    @Activate
    public DomainManager(BundleContext context, @Reference Daemon daemon) throws IOException {
        this(daemon.settings(), context);
    }

    /** A manager outside a framework (tests): drivers and lock managers are added by hand. */
    public DomainManager(DaemonSettings settings) throws IOException {
        this(settings, null);
    }

    /** @param context null outside a framework; within one, a manager that cannot load the domains tells ferryd why */
    private DomainManager(DaemonSettings settings, BundleContext context) throws IOException {
        this.context = context;
        try {
            HardenedXmlParser parser = new HardenedXmlParser(settings.cookieMaxBytes(), settings.cookieMaxDepth());
            this.store = new DomainStore(settings.stateDir(), settings.runDir());
            this.xml = new DomainXml(parser);
            this.statusXml = new StatusXml(parser, xml);
            this.leases = new Leases(settings);
            this.pausedLeases = new PausedLeases(this, leases);
            this.reattachment = new Reattachment(this, xml, statusXml, exits);
            reattachment.load(domains);
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
            leases.removeManager(String.valueOf(manager.getProperty(LockManager.NAME)), lazy);
        }
    }

    public Leases leases() {
        return leases;
    }

    /** The leases of paused VMs that stay here without them: given back at a switch-over, taken back to resume. */
    public PausedLeases pausedLeases() {
        return pausedLeases;
    }

    public DomainXml xml() {
        return xml;
    }

    public DomainStore store() {
        return store;
    }

    public List<Domain> list() {
        return domains.values().stream().sorted(Comparator.comparing(Domain::name)).toList();
    }

    public Domain get(String name) throws DomainException {
        Domain domain = domains.get(name);
        if (domain == null) {
            throw DomainException.notFound(name);
        }
        return domain;
    }

    Optional<Hypervisor> driver(String type) {
        return Optional.ofNullable(hypervisors.get(type));
    }

    Map<String, Domain> entries() {
        return domains;
    }

    public Optional<Domain> find(String name) {
        return Optional.ofNullable(domains.get(name));
    }

    public Hypervisor hypervisor(String type) throws DomainException {
        Hypervisor hypervisor = hypervisors.get(type);
        if (hypervisor == null) {
            throw new DomainException("no hypervisor driver for domain type '" + type + "' is installed");
        }
        return hypervisor;
    }

    /**
     * Parses, checks with the driver and stores a persistent definition ({@code virsh define}). A definition that
     * cannot be stored leaves no trace: a new domain is not listed, a redefined one keeps its previous definition.
     */
    public Domain define(String definition) throws DomainException {
        DomainSpec spec = parse(definition);
        Domain domain = admit(spec);
        try {
            return withJob(domain, "define", () -> {
                if (domains.get(spec.name()) != domain) {
                    throw new DomainException("operation failed: domain '" + spec.name() + "' changed while this "
                            + "definition waited; define it again");
                }
                store.writeDefinition(spec.name(), spec.xml());
                domain.persistent(spec);
                discardStagedDefinitions(spec.name());
                return domain;
            });
        } catch (DomainException e) {
            forgetIfGone(domain);
            throw e;
        }
    }

    /**
     * The operator's word on domain {@code name} is newer than a definition an arrival committed here left staged
     * (it could not be stored): that one must not replace it at the next start, nor at the domain's next Begin. The
     * domain is in no migration (the caller holds its job), so no staged definition of it is still to be committed.
     */
    private void discardStagedDefinitions(String name) throws IOException {
        for (DomainStore.StoredFile staged : store.stagedDefinitions()) {
            String stagedName;
            try {
                stagedName = xml.parse(staged.read()).name();
            } catch (CookieException | IOException e) {
                continue; // not this host's to judge: an unreadable one stays for the operator to mend
            }
            if (stagedName.equals(name)) {
                store.discardStagedDefinitionDurably(staged.name());
                LOG.warn("domain {}: the definition migration {} brought and could not store is discarded, the domain"
                        + " being defined or undefined since", name, staged.name());
            }
        }
    }

    public DomainSpec parse(String definition) throws DomainException {
        try {
            DomainSpec spec = xml.parse(definition);
            hypervisor(spec.type()).validate(spec);
            return spec;
        } catch (CookieException | HypervisorException e) {
            throw new DomainException(e.getMessage(), e);
        }
    }

    /** Removes the persistent definition; an active domain goes on, transient, until it stops. */
    public void undefine(String name) throws DomainException {
        undefine(name, domain -> {
        });
    }

    /** What goes with a definition, under the domain's job, before it goes (it may refuse, and nothing goes). */
    public interface Undefining {
        void before(Domain domain) throws Exception;
    }

    /** As {@link #undefine(String)}, {@code first} run before the definition goes. */
    public void undefine(String name, Undefining first) throws DomainException {
        Domain domain = get(name);
        withJob(domain, "undefine", () -> {
            if (domain.persistent() == null) {
                throw new DomainException("Requested operation is not valid: cannot undefine transient domain");
            }
            first.before(domain);
            store.deleteDefinition(name);
            domain.persistent(null);
            discardStagedDefinitions(name);
            forgetIfGone(domain);
            return null;
        });
    }

    /**
     * Boots a defined domain. A start that fails leaves nothing behind: no VM, no lease, no status file, no run
     * directory.
     */
    public Domain start(String name) throws DomainException {
        Domain domain = get(name);
        return withJob(domain, "start", () -> {
            if (domain.isActive()) {
                throw new DomainException("Requested operation is not valid: domain is already running");
            }
            DomainSpec spec = domain.persistent();
            Optional<Domain> sharing = otherWithUuid(spec);
            if (sharing.isPresent()) { // possible only in a state directory from before define refused it
                throw sameUuid(sharing.get());
            }
            Hypervisor hypervisor = hypervisor(spec.type());
            leases.acquire(spec, null);
            VirtualMachine vm = null;
            try {
                vm = hypervisor.boot(spec, store.runDir(spec.uuid()));
                activate(domain, spec, vm, DomainState.RUNNING, DomainState.Reason.BOOTED);
            } catch (Throwable e) {
                undoStart(domain, vm, e);
                throw e;
            }
            LOG.info("domain {} started", name);
            return domain;
        });
    }

    /** After a failed start: the status was not written (its write is the last step, and atomic); the rest goes. */
    private void undoStart(Domain domain, VirtualMachine vm, Throwable failure) {
        domain.live(null, null);
        try {
            if (vm != null) {
                vm.destroy();
            }
        } catch (RuntimeException e) {
            failure.addSuppressed(e);
            LOG.error("domain {}: cannot destroy the VM of a failed start: {}", domain.name(), e.toString());
        }
        try {
            store.deleteRunDir(domain.uuid());
        } catch (IOException e) {
            failure.addSuppressed(e);
            LOG.error("domain {}: cannot remove the run directory of a failed start: {}", domain.name(), e.toString());
        }
        leases.releaseQuietly(domain.name());
    }

    public void destroy(String name) throws DomainException {
        Domain domain = get(name);
        withJob(domain, "destroy", () -> {
            if (!domain.isActive()) {
                throw new DomainException("Requested operation is not valid: domain is not running");
            }
            deactivate(domain, DomainState.Reason.DESTROYED);
            LOG.info("domain {} destroyed", name);
            return null;
        });
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

    /** Gives a migration the domain until {@link #release}; refused while another migration has it. Caller holds the job. */
    public void claim(Domain domain, String migrationId) throws DomainException {
        if (domain.migration() != null && !domain.migration().equals(migrationId)) {
            throw new DomainException("Requested operation is not valid: domain " + domain.name()
                    + " is already being migrated (migration " + domain.migration() + ")");
        }
        domain.migration(migrationId);
    }

    public void release(Domain domain, String migrationId) {
        if (migrationId.equals(domain.migration())) {
            domain.migration(null);
        }
        forgetIfGone(domain);
        exits.migrationEnded(domain);
    }

    /** Records a VM as this domain's active instance, watched for its end. Caller holds the job. */
    public void activate(Domain domain, DomainSpec spec, VirtualMachine vm, DomainState state, DomainState.Reason reason)
            throws IOException {
        domain.live(spec, vm);
        setState(domain, state, reason);
        exits.watch(domain, vm);
    }

    /**
     * Records a state change of an active domain, status file first. A VM that runs holds its leases: the state
     * its paused VM kept of released ones is forgotten. Caller holds the job.
     */
    public void setState(Domain domain, DomainState state, DomainState.Reason reason) throws IOException {
        ReleasedLeases released = state == DomainState.RUNNING ? null : domain.releasedLeases();
        store.writeStatus(domain.name(), statusXml.write(domain.live(), state, reason, released));
        domain.state(state, reason);
        domain.releasedLeases(released);
    }

    /**
     * Stops the VM for good and forgets the live instance. Caller holds the job. Returns the state the release of
     * its leases returned, or null when it held none (or their release failed, which is logged).
     */
    public String deactivate(Domain domain, DomainState.Reason reason) throws IOException {
        VirtualMachine vm = domain.vm();
        if (vm != null) {
            vm.destroy();
        }
        String released = leases.releaseQuietly(domain.name());
        store.deleteStatus(domain.name());
        store.deleteRunDir(domain.uuid());
        domain.live(null, null);
        domain.releasedLeases(null);
        domain.state(DomainState.SHUTOFF, reason);
        forgetIfGone(domain);
        return released;
    }

    /** Stores a definition as persistent (migrate --persistent, offline migration). Caller holds the job. */
    public void makePersistent(Domain domain, DomainSpec spec) throws IOException {
        store.writeDefinition(spec.name(), spec.xml());
        domain.persistent(spec);
    }

    /**
     * Keeps the persistent definition an incoming migration brings (migrate --persistent, offline migration) aside
     * until it commits: a migration that aborts must leave this host's definitions as they were.
     */
    public void stageIncomingDefinition(String migrationId, DomainSpec spec) throws IOException {
        store.stageDefinition(migrationId, spec.xml());
    }

    /**
     * After the commit: the definition migration {@code migrationId} staged, if any, becomes the domain's persistent
     * one (its entry made if an offline migration's was lost with a restart). Caller holds the job, or recovery runs.
     */
    public void installIncomingDefinition(String migrationId) throws IOException, DomainException {
        Optional<DomainStore.StoredFile> staged = store.stagedDefinition(migrationId);
        if (staged.isEmpty()) {
            return;
        }
        DomainSpec spec;
        try {
            spec = xml.parse(staged.get().read());
        } catch (CookieException e) {
            throw new DomainException("the definition migration " + migrationId + " brought is unreadable: " + e.getMessage(), e);
        }
        Domain domain = admit(spec);
        store.installStagedDefinition(migrationId, spec.name());
        domain.persistent(spec);
    }

    public void discardIncomingDefinition(String migrationId) throws IOException {
        store.discardStagedDefinition(migrationId);
    }

    /** Removes the persistent definition (migrate --undefinesource). Caller holds the job. */
    public void dropPersistent(Domain domain) throws IOException {
        store.deleteDefinition(domain.name());
        domain.persistent(null);
    }

    /** The domain entry for an incoming domain, created if new; refused if its name or UUID belongs to another. */
    public Domain incoming(DomainSpec spec) throws DomainException {
        return admit(spec);
    }

    /**
     * The entry of the domain {@code spec} defines, created if new. As libvirt's domain list, refused when the
     * name belongs to another UUID or the UUID to another name: a UUID names a VM's run directory and its
     * snapshots, which two domains must never share.
     */
    private Domain admit(DomainSpec spec) throws DomainException {
        synchronized (domains) {
            Domain existing = domains.get(spec.name());
            if (existing != null && existing.problem() != null) {
                throw DomainException.unreadable(existing);
            }
            if (existing != null && !spec.uuid().equals(existing.uuid())) {
                throw new DomainException("operation failed: domain '" + spec.name() + "' already exists with uuid "
                        + existing.uuid());
            }
            Optional<Domain> sharing = otherWithUuid(spec);
            if (sharing.isPresent()) {
                throw sameUuid(sharing.get());
            }
            return domains.computeIfAbsent(spec.name(), n -> new Domain(n, spec.uuid()));
        }
    }

    private Optional<Domain> otherWithUuid(DomainSpec spec) {
        return domains.values().stream()
                .filter(d -> !d.name().equals(spec.name()) && spec.uuid().equals(d.uuid())).findFirst();
    }

    private static DomainException sameUuid(Domain other) {
        return new DomainException("operation failed: domain '" + other.name() + "' is already defined with uuid " + other.uuid());
    }

    /** Drops an entry that has neither a persistent definition nor an active instance. */
    public void forgetIfGone(Domain domain) {
        if (domain.persistent() == null && !domain.isActive()) {
            domains.remove(domain.name(), domain);
        }
    }

}
