package io.ferry.core.migration;

import io.ferry.api.cookie.Phase;
import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.api.hypervisor.MigrationStats;
import io.ferry.api.hypervisor.VirtualMachine;
import io.ferry.api.hypervisor.VmProcess;
import io.ferry.core.cookie.ParsedCookie;
import io.ferry.core.daemon.MigrationIds;
import io.ferry.core.domain.Domain;
import io.ferry.core.domain.DomainState;
import io.ferry.core.section.SectionSet;
import io.ferry.protocol.Messages;
import io.ferry.protocol.Messages.Fate;
import io.ferry.protocol.Messages.Finish;
import io.ferry.protocol.Messages.Finished;
import io.ferry.protocol.Messages.Prepare;
import io.ferry.protocol.Messages.Prepared;
import io.ferry.protocol.xml.XmlWriter;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.w3c.dom.Element;

/**
 * The destination's phases: Prepare (incoming VM paused, data endpoint) and Finish, in three parts: before
 * the commit (memory verified, Perform cookie eaten, leases taken; any failure drops the incoming VM), the
 * commit (the journal's COMMITTED entry: from here on the domain belongs to this host), and after it (resume,
 * snapshots, cookie, hooks), where nothing may throw into a rollback.
 */
final class DestinationSide {
    private static final Logger LOG = LoggerFactory.getLogger(DestinationSide.class);

    private final Migrations m;
    private final IncomingMemory memory;
    private final Map<String, Incoming> incoming = new ConcurrentHashMap<>();
    /** The ids of the Prepares under way, before their migration is in {@link #incoming}. */
    private final Set<String> preparing = ConcurrentHashMap.newKeySet();
    private final IncomingRecords records;

    /** The steps after the commit, which recovery repeats after a restart. */
    final CommittedArrival committed;
    /** What the domain's earlier arrivals here left to write, written before it migrates again (its Begin, its Prepare). */
    final MigratesAgain migratesAgain = this::beforeMigratingAgain;

    /** A check run, under the domain's job, before a migration of it starts here. */
    interface MigratesAgain {
        void check(Domain domain) throws MigrationException;
    }

    DestinationSide(Migrations migrations) {
        this.m = migrations;
        this.memory = new IncomingMemory(migrations);
        this.records = new IncomingRecords(migrations.journal);
        this.committed = new CommittedArrival(migrations);
    }

    /**
     * Prepares an incoming migration. Its id is reserved first: a second Prepare of the id (another domain's, say)
     * arriving while this one waits for its job would otherwise pass the checks too, and the one recorded last would
     * leave the other's incoming VM out of the journal and out of reach of Finish, paused here for good.
     */
    Prepared prepare(Prepare request) throws Exception {
        String id = request.id();
        if (!MigrationIds.isValid(id) || !preparing.add(id)) {
            throw alreadyKnown(id);
        }
        try {
            if (incoming.containsKey(id) || m.journal.find(id).isPresent()) {
                throw alreadyKnown(id);
            }
            return prepareReserved(request);
        } finally {
            preparing.remove(id);
        }
    }

    private static MigrationException alreadyKnown(String id) {
        return new MigrationException("migration id '" + id + "' is invalid or already known on this host");
    }

    private Prepared prepareReserved(Prepare request) throws Exception {
        String id = request.id();
        if (request.key() == null || request.key().length() < 32) {
            throw new MigrationException("Prepare of migration " + id + " carried no valid key");
        }
        if (request.domainXml() == null) {
            throw new MigrationException("Prepare carried no domain definition");
        }
        DomainSpec spec = m.domains.parse(request.domainXml());
        Domain domain = m.domains.incoming(spec);
        return m.domains.withJob(domain, "migration prepare", () -> {
            if (m.domains.find(spec.name()).orElse(null) != domain) {
                // dropped while this Prepare waited for its job (undefined, an earlier migration's clean-up): a VM on
                // it would run unlisted, and the host would boot a second one of the domain beside it
                throw new MigrationException("operation failed: domain '" + spec.name() + "' changed while migration "
                        + id + " waited for it; migrate it again");
            }
            if (domain.isActive()) {
                throw new MigrationException("Requested operation is not valid: domain '" + spec.name() + "' is already active on this host");
            }
            beforeMigratingAgain(domain);
            m.domains.claim(domain, id);
            Incoming in = null;
            try {
                SectionSet local = m.sections.get();
                SectionSet pinned = new SectionSet(List.of());
                ParsedCookie begin = null;
                if (!request.flags().v2()) {
                    // versions first: no section parses a fragment of another major version
                    List<String> announced = request.cookie() == null ? List.of()
                            : m.bakery.codec().features(request.cookie().getBytes(StandardCharsets.UTF_8));
                    local = Negotiation.requireMandatory(announced, m.sections, request.sections(), m.timing.sectionWaitMillis());
                    pinned = Negotiation.common(local, request.sections());
                    begin = m.parse(Phase.PREPARE, request.cookie(), spec, pinned);
                }
                m.hooks.begin(spec.name(), "destination", spec.xml());
                Journal.Entry entry = new Journal.Entry(id, Journal.Role.DESTINATION, Step.PREPARED, spec.name(), spec.uuid(),
                        request.sourceUri(), request.flags(), request.key(), null, false);
                m.journal.record(entry);
                boolean offline = request.flags().offline();
                LiveJob job = offline ? null : m.jobs.start(spec.name(), "Incoming migration", 0);
                in = new Incoming(entry, domain, spec, pinned, DataChannel.newToken(), job, m.newWatch());
                if (begin != null) {
                    in.mandatory.addAll(begin.features());
                }
                incoming.put(id, in);
                String dataUri = offline ? null : startIncoming(in, request.flags().tunnelled());
                in.dataUri = dataUri;
                if (begin != null) {
                    m.eat(Phase.PREPARE, local(in), begin);
                }
                String cookie = request.flags().v2() ? null : m.bake(Phase.PREPARE, local(in), pinned).xml();
                // no token: the hypervisor's own data connection carries none, and the source sees it by that
                return new Prepared(id, dataUri, in.direct ? null : in.token, cookie, Negotiation.versions(local));
            } catch (Exception e) {
                if (in != null) {
                    abort(in, e.getMessage());
                } else {
                    m.domains.release(domain, id);
                    m.hooks.failed(spec.name(), "destination", e.getMessage());
                }
                throw e;
            }
        });
    }

    /** Creates the paused incoming VM and where its memory arrives; returns the data URI. */
    private String startIncoming(Incoming in, boolean tunnelled) throws Exception {
        VirtualMachine vm = m.domains.hypervisor(in.spec.type()).createIncoming(in.spec, m.domains.store().runDir(in.spec.uuid()));
        m.domains.activate(in.domain, in.spec, vm, DomainState.PAUSED, DomainState.Reason.MIGRATION);
        return memory.listen(in, vm, tunnelled);
    }

    /** Where the memory of a migration goes, and its token: what the source daemon asks before it sends it. */
    Messages.Endpoint endpoint(String id, String key) throws MigrationException {
        Incoming in = incoming.get(id);
        if (in == null || in.dataUri == null) {
            throw new MigrationException("no incoming migration " + id + " is waiting for its memory on this host");
        }
        if (!Migrations.keyMatches(in.key(), key)) {
            throw new MigrationException("migration " + id + " belongs to another party: the key does not match");
        }
        return new Messages.Endpoint(id, in.dataUri, in.direct ? null : in.token, // QEMU's own port takes no token
                in.spec.name(), in.spec.uuid().toString());
    }

    /** The tunnelled memory stream of a migration ({@code POST /v1/migration/ID/tunnel}). */
    void tunnel(String id, InputStream body) throws Exception {
        Incoming in = incoming.get(id);
        if (in == null || !in.flags.tunnelled()) {
            throw new MigrationException("no tunnelled incoming migration " + id + " on this host");
        }
        DataChannel.expectToken(body, in.token);
        memory.receive(in, body);
    }

    Finished finish(Finish request) throws Exception {
        Incoming in = incoming.get(request.id());
        if (in == null) {
            return records.settledFinish(request);
        }
        if (!Migrations.keyMatches(in.key(), request.key())) {
            throw new MigrationException("migration " + in.id + " belongs to another party: the key does not match");
        }
        try (DriverWatch.Call call = in.driver.enter()) {
            return m.domains.withJob(in.domain, "migration finish", in.id, () -> {
                if (!incoming.containsKey(in.id)) {
                    return records.settledFinish(request);
                }
                if (in.step().isCommitted()) {
                    // recovery has it in hand (a restart after the commit): it runs here, whatever this Finish asks
                    return new Finished(in.id, in.spec.name(), null, null);
                }
                if (request.cancelled()) {
                    String failure = in.failure;
                    abort(in, "cancelled by its driver");
                    return new Finished(in.id, null, null, failure);
                }
                if (in.step() != Step.PREPARED) {
                    throw new MigrationException("Requested operation is not valid: Finish of migration " + in.id
                            + " cannot run while it is at " + in.step().display());
                }
                in.moveInMemory(Step.FINISHING); // recovery drops a FINISHING migration as a PREPARED one: no record
                MigrationStats stats;
                try {
                    stats = beforeCommit(in, request.cookie());
                    in.moveTo(Step.COMMITTED, m.journal); // the commit point: from here on the domain belongs to this host
                } catch (Exception e) {
                    abort(in, e.getMessage());
                    throw e;
                }
                return afterCommit(in, stats);
            });
        }
    }

    /**
     * Aborts the migration unless it committed, and says which it is; waits for a Finish under way. What a
     * source asks before it resumes or stops its copy.
     */
    Fate settle(String id, String key) throws Exception {
        Incoming in = incoming.get(id);
        if (in != null) {
            if (!Migrations.keyMatches(in.key(), key)) {
                throw new MigrationException("migration " + id + " belongs to another party: the key does not match");
            }
            m.domains.withJob(in.domain, "migration settlement", in.id, () -> {
                if (incoming.containsKey(id) && !in.step().isCommitted()) {
                    abort(in, "its source settled it before it committed");
                }
                return null;
            });
        }
        return records.fate(id, key);
    }

    /** Everything that must hold before the commit; throws (and the caller aborts) if anything does not. */
    private MigrationStats beforeCommit(Incoming in, String cookie) throws Exception {
        MigrationStats stats = in.flags.offline() ? null : IncomingMemory.await(in);
        DomainSpec definition = null;
        if (!in.flags.v2()) {
            // the source's guest is paused: no waiting on a bundle update now
            ParsedCookie performed = m.parse(Phase.FINISH, cookie, in.spec,
                    Negotiation.requirePinned(in.pinned, m.sections, EnumSet.of(Phase.FINISH), 0));
            in.mandatory.addAll(performed.features());
            // the definition is part of checking the cookie whole: refused, no section may have acted on the cookie
            Optional<Object> persistent = performed.value("persistent");
            if (persistent.isPresent()) {
                DomainSpec brought = sameDomain(in, m.domains.parse(XmlWriter.write((Element) persistent.get())));
                // as libvirt: checked always (older sources always send it), kept only if --persistent asked for it
                definition = in.flags.persistent() ? brought : null;
            }
            m.eat(Phase.FINISH, local(in), performed);
        }
        if (definition == null && (in.flags.persistent() || in.flags.offline() && in.domain.persistent() == null)) {
            definition = in.spec; // as libvirt: without a definition in the cookie, the one the domain runs
        }
        if (definition != null) { // stored before the commit, installed after it: an abort leaves the definitions as they were
            m.domains.stageIncomingDefinition(in.id, definition);
        }
        if (!in.flags.offline()) {
            m.domains.leases().acquire(in.spec, in.leaseState);
            requireResponding(in);
        }
        return stats;
    }

    /**
     * The last check before the commit: a VM whose process ended or stopped answering since its memory arrived (a
     * QEMU killed while Finish was on its way) would be committed to and resumed nowhere, the source's copy stopped
     * by Confirm. libvirt fails Finish for a guest that quit; so does this, and the source resumes its copy.
     */
    private static void requireResponding(Incoming in) throws MigrationException {
        VirtualMachine vm = in.domain.vm();
        if (vm == null || !vm.capability(VmProcess.class).map(VmProcess::responds).orElse(true)) {
            throw new MigrationException("the incoming VM of domain " + in.spec.name() + " quit or does not answer"
                    + " since its memory arrived: migration " + in.id + " is not committed");
        }
    }

    /**
     * The definition a Perform cookie brought, if it is the migrating domain's: one of another name or UUID would
     * replace another domain's definition on this host.
     */
    private static DomainSpec sameDomain(Incoming in, DomainSpec brought) throws MigrationException {
        if (!brought.name().equals(in.spec.name()) || !brought.uuid().equals(in.spec.uuid())) {
            throw new MigrationException("the persistent definition in the Perform cookie of migration " + in.id
                    + " is of domain '" + brought.name() + "' (" + brought.uuid() + "), not of the migrating domain '"
                    + in.spec.name() + "' (" + in.spec.uuid() + ")");
        }
        return brought;
    }

    /**
     * After the commit: the domain runs here whatever happens now. Each step's trouble is logged and reported
     * in the reply's note, never thrown.
     */
    private Finished afterCommit(Incoming in, MigrationStats stats) {
        String note = committed.complete(in);
        String cookie = null;
        if (!in.flags.v2()) {
            try {
                cookie = m.bake(Phase.FINISH, local(in), Negotiation.current(in.pinned, m.sections.get())).xml();
            } catch (Exception e) {
                // committed: the domain runs here whatever a section says now; Confirm does without this cookie
                LOG.warn("the Finish cookie of {} could not be baked: {}", in.id, e.getMessage());
            }
        }
        m.mandatory.replace(in.spec.uuid(), in.mandatory);
        end(in, true);
        LOG.info("domain {} arrived and runs here (migration {}, memory verified: {})", in.spec.name(), in.id,
                stats == null ? "n/a" : stats.memoryVerified());
        return new Finished(in.id, in.spec.name(), cookie, note);
    }

    /**
     * Drops the incoming domain: it never ran here. Caller holds the job (or runs before anyone could), and
     * the migration is not committed.
     */
    void abort(Incoming in, String why) {
        try {
            DataChannel.closeQuietly(in.listener);
            in.memory.cancel(true);
            String released = in.domain.isActive() ? m.domains.deactivate(in.domain, DomainState.Reason.MIGRATED) : null;
            if (in.recovered && !in.flags.offline()) {
                released = m.domains.leases().releaseAfterRestart(in.spec);
            }
            records.aborted(in, released);
            m.domains.discardIncomingDefinition(in.id);
            m.snapshots.discard(in.id);
        } catch (Exception e) {
            LOG.error("clean-up of incoming migration {} failed: {}", in.id, e.getMessage());
        } finally {
            if (in.job != null) {
                in.job.failed(why);
            }
            end(in, false);
            m.hooks.failed(in.spec.name(), "destination", why);
            LOG.warn("incoming migration {} of {} failed and was dropped: {}", in.id, in.spec.name(), why);
        }
    }

    /**
     * What an earlier arrival of the domain could not write (its definition, snapshots or end; an abort's record) is
     * written first; the migration is refused while it cannot be.
     */
    private void beforeMigratingAgain(Domain domain) throws MigrationException {
        committed.requireStored(domain);
        records.requireAbortsRecorded(domain.name());
    }

    /** {@code domjobabort} of an incoming migration; returns what was done. */
    String abortByOperator(Incoming in) throws Exception {
        return m.domains.withJob(in.domain, "domjobabort", in.id, () -> {
            String name = in.spec.name();
            boolean committed = !incoming.containsKey(in.id)
                    ? m.journal.find(in.id).map(e -> e.step().isCommitted()).orElse(false) : in.step().isCommitted();
            if (committed) {
                throw new MigrationException("too late to abort migration " + in.id + ": it committed, " + name + " runs here");
            }
            if (incoming.containsKey(in.id)) {
                abort(in, "aborted by the operator (domjobabort)");
            }
            return "Incoming migration " + in.id + " of " + name + " aborted: " + name + " goes on at its source";
        });
    }

    /** Lets go of a migration recovery settled. */
    void forget(Incoming in) {
        end(in, true);
    }

    private void end(Incoming in, boolean succeeded) {
        if (in.job != null) {
            m.jobs.end(in.spec.name(), in.job, succeeded);
        }
        incoming.remove(in.id);
        m.streams.forget(in.id);
        m.domains.release(in.domain, in.id);
    }

    private Local local(Incoming in) {
        String name = in.spec.name();
        return new Local(in.id, in.key(), in.spec, Optional.ofNullable(in.domain.vm()),
                m.leases(name, () -> m.domains.leases().state(name), state -> in.leaseState = state), in.entry().peer(),
                Optional.ofNullable(in.job));
    }

    Optional<Incoming> find(String id) {
        return Optional.ofNullable(incoming.get(id));
    }

    Optional<Incoming> ofDomain(String domain) {
        return incoming.values().stream().filter(in -> in.spec.name().equals(domain)).findFirst();
    }

    /** A migration recovered from the journal after a restart, taken in hand again. */
    Incoming adopt(Journal.Entry entry, Domain domain) {
        Incoming in = new Incoming(entry, domain, domain.current(), new SectionSet(List.of()), "", null, m.newWatch());
        in.recovered = true;
        incoming.put(in.id, in);
        return in;
    }

    List<Incoming> all() {
        return List.copyOf(incoming.values());
    }
}
