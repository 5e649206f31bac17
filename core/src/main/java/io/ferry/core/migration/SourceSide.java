package io.ferry.core.migration;

import io.ferry.api.cookie.Phase;
import io.ferry.api.hypervisor.DiskStorage;
import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.api.hypervisor.MigrationStats;
import io.ferry.api.hypervisor.VirtualMachine;
import io.ferry.core.cookie.CookieBakery;
import io.ferry.core.cookie.ParsedCookie;
import io.ferry.core.domain.Domain;
import io.ferry.core.domain.DomainState;
import io.ferry.core.section.SectionSet;
import io.ferry.protocol.Messages.Begin;
import io.ferry.protocol.Messages.Begun;
import io.ferry.protocol.Messages.Perform;
import io.ferry.protocol.Messages.Performed;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The source's phases: Begin (claims the domain), Perform (memory out, VM paused at switch-over, leases
 * released), and the two ends, {@link #complete} (the destination committed: the copy here goes) and
 * {@link #rollback} (it did not: the domain goes on here). Which end, once a Perform cookie has left, only the
 * destination can say: {@link Settlement} asks it.
 */
final class SourceSide {
    private static final Logger LOG = LoggerFactory.getLogger(SourceSide.class);
    private static final long MIB = 1024 * 1024;
    /** The feature of the section that carries a domain's snapshots (plugin-snapshots). */
    private static final String SNAPSHOTS_FEATURE = "snapshots";
    /** What is left of a migration on its source once Perform began. */
    private static final Set<Phase> SOURCE_PHASES_LEFT = EnumSet.of(Phase.PERFORM, Phase.CONFIRM);
    /** How long Confirm waits for graphics clients to reach the destination before the copy here goes. */
    private static final long GRAPHICS_WAIT_MILLIS = 3_000;

    private final Migrations m;
    private final OutgoingMemory memory;
    private final Map<String, Outgoing> outgoing = new ConcurrentHashMap<>();
    /** What the domains' arrivals here could not write yet, written before they migrate on. */
    private final DestinationSide.MigratesAgain arrivals;

    SourceSide(Migrations migrations, DestinationSide.MigratesAgain arrivals) {
        this.m = migrations;
        this.memory = new OutgoingMemory(migrations);
        this.arrivals = arrivals;
    }

    Begun begin(Begin request) throws Exception {
        Domain domain = m.domains.get(request.domain());
        if (request.flags().tunnelled() && !request.flags().p2p()) {
            throw new MigrationException("cannot perform tunnelled migration without using peer2peer flag");
        }
        String id = UUID.randomUUID().toString();
        String key = DataChannel.newToken();
        return m.domains.withJob(domain, "migration begin", () -> {
            arrivals.check(domain); // first: the definition it brought, its snapshots and its records go along
            boolean offline = request.flags().offline();
            if (offline && (domain.persistent() == null || !request.flags().persistent())) {
                throw new MigrationException("offline migration requires a persistent domain and --persistent");
            }
            if (!offline && !domain.isActive()) {
                throw new MigrationException("Requested operation is not valid: domain is not running");
            }
            m.domains.claim(domain, id);
            // the job first: a Begin refused from here on shows as a failed job (domjobinfo --completed), with its error
            LiveJob job = offline ? null : m.jobs.start(domain.name(), "Outgoing migration", request.bandwidthMiB() * MIB);
            try {
                if (!offline && !request.flags().unsafe()) {
                    requireSharedStorage(domain);
                }
                DomainSpec destination = destinationSpec(domain, request);
                SectionSet sections = awaitSections(domain, destination);
                requireSnapshotsCarried(domain, sections);
                if (request.flags().v2() && m.domains.leases().manager().map(l -> l.usesState()).orElse(false)) {
                    throw new MigrationException("Cannot use migrate v2 protocol with lock manager " + m.domains.leases().managerName());
                }
                boolean running = domain.vm() != null && domain.vm().isRunning();
                // --unsafe was Begin's alone: the journal keeps the flags as they were before it
                Journal.Entry entry = new Journal.Entry(id, Journal.Role.SOURCE, Step.BEGUN, domain.name(), domain.uuid(), null,
                        request.flags().withoutUnsafe(), key, null, running);
                Outgoing o = new Outgoing(entry, domain, destination, job, sections, m.newWatch());
                CookieBakery.Baked baked = m.bake(Phase.BEGIN, local(o), sections);
                if (request.flags().v2() && !baked.features().isEmpty()) {
                    throw new MigrationException("Cannot use migrate v2 protocol: cookie section " + baked.features().get(0)
                            + " is mandatory for domain " + domain.name() + " and needs the cookies of protocol v3");
                }
                m.hooks.begin(domain.name(), "source", destination.xml());
                m.mandatory.add(domain.uuid(), baked.features());
                o.mandatoryAtBegin = List.copyOf(baked.features());
                m.journal.record(entry);
                outgoing.put(id, o);
                return new Begun(id, key, destination.xml(), request.flags().v2() ? null : baked.xml(), Negotiation.versions(sections));
            } catch (Exception e) {
                if (job != null) {
                    job.failed(e.getMessage());
                    m.jobs.end(domain.name(), job, false);
                }
                m.streams.forget(id);
                m.domains.release(domain, id);
                m.hooks.failed(domain.name(), "source", e.getMessage()); // ferry events shows a refused Begin too
                throw e;
            }
        });
    }

    /**
     * The sections to bake Begin's cookie with, once those the domain may need are all here: the ones it needed
     * last time (or its definition names), and any that may be mandatory and just left (a bundle being updated:
     * its new registration is waited for; one gone for good refuses Begins for the wait, then is forgotten).
     */
    private SectionSet awaitSections(Domain domain, DomainSpec destination) throws Exception {
        long wait = m.timing.sectionWaitMillis();
        Set<String> needed = m.mandatory.of(destination);
        SectionSet sections = Negotiation.awaitFeatures(needed, m.sections, wait, feature -> "cookie section " + feature
                + " is mandatory for domain " + domain.name() + " (its definition or its last migration says so), but no"
                + " bundle on this host offers it");
        Set<String> departed = m.sections.departedWithin(wait);
        return departed.isEmpty() ? sections : Negotiation.awaitFeatures(departed, m.sections, wait, feature -> "cookie section "
                + feature + " left this host moments ago (its bundle being updated?) and has not come back; domain "
                + domain.name() + " may need it, so it does not migrate without it: try again once it is back");
    }

    /**
     * A domain with snapshots here migrates only with the section that carries them: without it they would stay
     * behind (orphaned by --undefinesource) while the migration succeeds. libvirt refuses such a migration too.
     */
    private void requireSnapshotsCarried(Domain domain, SectionSet sections) throws Exception {
        if (sections.byFeature(SNAPSHOTS_FEATURE).isEmpty()) {
            int count = m.snapshots.list(domain.uuid()).size();
            if (count > 0) {
                throw new MigrationException("Requested operation is not valid: cannot migrate domain " + domain.name()
                        + " with " + count + " snapshots: no cookie section on this host carries them (is the bundle of"
                        + " section " + SNAPSHOTS_FEATURE + " installed and started?)");
            }
        }
    }

    /**
     * A live migration moves memory only: the destination opens each disk at the same path, so a writable disk on
     * storage only this host has would leave the guest's writes here behind (the guest goes on with another disk
     * there). Refused unless the caller asked for {@code --unsafe}, with libvirt's words (qemuMigrationSrcIsSafe,
     * VIR_ERR_MIGRATE_UNSAFE), naming each such disk; a VM without {@link DiskStorage} (the embedded hypervisor's) has
     * no disks of the host.
     */
    private static void requireSharedStorage(Domain domain) throws Exception {
        Optional<DiskStorage> storage = Optional.ofNullable(domain.vm()).flatMap(vm -> vm.capability(DiskStorage.class));
        if (storage.isEmpty()) {
            return;
        }
        List<DiskStorage.Unshared> unshared = storage.get().unsharedDisks();
        if (!unshared.isEmpty()) {
            throw new MigrationException("Unsafe migration: Migration without shared storage is unsafe ("
                    + unshared.stream().map(d -> "disk " + d.source() + " is on " + d.storage()).collect(Collectors.joining(", "))
                    + ")");
        }
    }

    private DomainSpec destinationSpec(Domain domain, Begin request) throws Exception {
        DomainSpec destination = request.flags().offline() ? domain.persistent() : domain.live();
        if (request.xml() != null) {
            DomainSpec given = m.domains.parse(request.xml());
            AbiCheck.require(destination, given);
            destination = given;
        }
        if (request.dname() != null && !request.dname().isBlank()) {
            destination = m.domains.xml().rename(destination, request.dname());
        }
        return destination;
    }

    /**
     * Sends the memory and pauses the domain at switch-over. A failure rolls the migration back here at once:
     * without the Perform cookie (protocol 3) the destination cannot commit.
     */
    Performed perform(Perform request) throws Exception {
        Outgoing o = require(request.id(), request.key());
        try (DriverWatch.Call call = o.driver.enter()) {
            return m.domains.withJob(o.domain, "migration perform", o.id, () -> {
                if (o.step() != Step.BEGUN) {
                    throw outOfOrder("Perform", o);
                }
                o.moveTo(Step.PERFORMING, m.journal, e -> e.withPeer(request.destUri()));
                try {
                    return performInJob(o, request);
                } catch (Exception e) {
                    LOG.warn("Perform of {} failed: {}", o.domain.name(), e.getMessage());
                    if (o.mayRollBackAlone()) {
                        rollback(o, "Perform failed: " + e.getMessage());
                    }
                    throw e;
                }
            });
        }
    }

    private Performed performInJob(Outgoing o, Perform request) throws Exception {
        if (!o.flags.v2()) {
            // what Begin baked with, as far as the destination has it: a section that left since must come back
            o.pinned = Negotiation.common(o.pinned, request.peerSections());
            requireMandatoryKept(o);
            ParsedCookie prepared = m.parse(Phase.PERFORM, request.cookie(), o.destination,
                    Negotiation.requirePinned(o.pinned, m.sections, SOURCE_PHASES_LEFT, m.timing.sectionWaitMillis()));
            m.eat(Phase.PERFORM, local(o), prepared);
        }
        if (!o.flags.offline()) {
            MigrationStats stats = memory.send(o, request);
            o.memorySent = true;
            String released = m.domains.pausedLeases().release(o.domain, DomainState.Reason.MIGRATION);
            o.record(m.journal, e -> e.withLeaseState(released));
            LOG.info("memory of {} sent: {} bytes in {} ms, {} rounds, downtime {} ms", o.domain.name(),
                    stats.processed(), stats.elapsedMillis(), stats.iteration(), stats.downtimeMillis());
        }
        if (o.flags.v2()) {
            // protocol 2 has no Confirm: the source goes now, whatever Finish will say
            complete(o, null, null);
            return new Performed(o.id, null);
        }
        // the guest is paused: no waiting on a bundle update now
        SectionSet sections = Negotiation.requirePinned(o.pinned, m.sections, SOURCE_PHASES_LEFT, 0);
        if (!o.flags.persistent()) {
            sections = new SectionSet(sections.all().stream().filter(h -> !h.descriptor().feature().equals("persistent")).toList());
        }
        CookieBakery.Baked baked = m.bake(Phase.PERFORM, local(o), sections);
        o.moveTo(Step.PERFORMED, m.journal);
        o.performedAt = m.clock.getAsLong();
        return new Performed(o.id, baked.xml());
    }

    /**
     * The sections Begin's cookie carried as mandatory stay in the migration: the destination accepted them at Prepare,
     * so a Perform whose peer sections lack one was given them wrong, and its cookie must not go without it (without
     * lockstate, say, the destination would take the leases fresh, with no proof nobody held them since).
     */
    private static void requireMandatoryKept(Outgoing o) throws MigrationException {
        for (String feature : o.mandatoryAtBegin) {
            if (o.pinned.byFeature(feature).isEmpty()) {
                throw new MigrationException("cookie section " + feature + " is mandatory for domain " + o.domain.name()
                        + " (migration " + o.id + " began with it), but the destination's sections given to Perform lack it");
            }
        }
    }

    /**
     * The domain runs on the destination now: the copy here goes. Caller holds the job and has the destination's
     * word that it committed (or runs protocol 2). Each step is safe to repeat after a crash.
     *
     * @param destinationKeepsDefinition whether the destination keeps the definition the migration brought, as it
     *        says when it settles; null when it did not say
     */
    void complete(Outgoing o, String finishCookie, Boolean destinationKeepsDefinition) throws Exception {
        if (finishCookie != null) {
            try {
                SectionSet sections = Negotiation.current(o.pinned, m.sections.get());
                m.eat(Phase.CONFIRM, local(o), m.parse(Phase.CONFIRM, finishCookie, o.destination, sections));
            } catch (Exception e) {
                // the destination committed: the domain runs there, so the source goes whatever the cookie says
                LOG.warn("the Finish cookie of {} could not be eaten: {}", o.id, e.getMessage());
            }
        }
        VirtualMachine vm = o.domain.vm();
        if (o.job != null && !o.flags.v2() && vm != null && vm.hasMemoryDigest()) {
            // the destination committed, which it only does once it verified the memory's digest; a VM without one
            // (QEMU) has only its hypervisor's word that the stream loaded: its memory stays "not verified"
            MigrationStats s = o.job.stats();
            o.job.progress(new MigrationStats(s.elapsedMillis(), s.total(), s.processed(), s.remaining(), s.bandwidth(),
                    s.dirtyRate(), s.iteration(), s.downtimeMillis(), s.setupMillis(), s.pageSize(), true));
        }
        if (vm != null && o.domain.isActive() && !o.flags.offline()
                && !vm.awaitGraphicsClientsMigrated(GRAPHICS_WAIT_MILLIS)) {
            LOG.warn("the graphics clients of {} did not report their move to the destination within {} ms", o.domain.name(),
                    GRAPHICS_WAIT_MILLIS);
        }
        if (o.domain.isActive() && !o.flags.offline()) {
            m.domains.deactivate(o.domain, DomainState.Reason.MIGRATED);
        }
        if (o.flags.undefineSource() && o.domain.persistent() != null) {
            if (o.flags.persistent() && Boolean.FALSE.equals(destinationKeepsDefinition)) {
                // its driver prepared the destination without --persistent: undefined, the definition would be nowhere
                LOG.warn("domain {} keeps its definition here despite --undefinesource: the destination of migration {}"
                        + " was prepared without --persistent and keeps none", o.domain.name(), o.id);
            } else {
                m.domains.dropPersistent(o.domain);
            }
        }
        o.moveTo(Step.CONFIRMED, m.journal);
        end(o, true);
        m.hooks.end(o.domain.name(), "source", o.destination.xml());
        LOG.info("domain {} migrated away (migration {})", o.domain.name(), o.id);
    }

    /**
     * The migration did not happen: the domain goes on here, resumed if the migration paused it and nobody took
     * its leases meanwhile. Caller holds the job, and the destination cannot commit any more.
     */
    void rollback(Outgoing o, String why) throws Exception {
        rollback(o, why, null);
    }

    /**
     * @param destinationLeases the lease state the destination's release returned when it took the leases at Finish
     *        and gave them back as it aborted (the switch-over's is stale then); null when it held none
     */
    void rollback(Outgoing o, String why, String destinationLeases) throws Exception {
        VirtualMachine vm = o.domain.vm();
        if (vm != null && o.entry().wasRunning() && !vm.isRunning()) {
            try {
                m.domains.pausedLeases().takeBack(o.domain, destinationLeases != null ? destinationLeases : o.entry().leaseState());
                vm.resume();
                m.domains.setState(o.domain, DomainState.RUNNING, DomainState.Reason.MIGRATION_CANCELED);
                LOG.info("domain {} resumed on the source", o.domain.name());
            } catch (Exception e) {
                // someone took the leases since the switch-over: running here could mean running twice, or over disks
                // another host wrote; the domain keeps the state they were released with, and a resume presents it
                LOG.error("domain {} stays paused: {}", o.domain.name(), e.getMessage());
            }
        } else if (vm != null && vm.isRunning() && o.domain.state() != DomainState.RUNNING) {
            m.domains.setState(o.domain, DomainState.RUNNING, DomainState.Reason.MIGRATION_CANCELED);
        }
        o.moveTo(Step.ABORTED, m.journal);
        if (o.job != null) {
            o.job.failed(why);
        }
        end(o, false);
        m.hooks.failed(o.domain.name(), "source", why);
        LOG.warn("migration {} of {} failed and was rolled back: {}", o.id, o.domain.name(), why);
    }

    private void end(Outgoing o, boolean succeeded) {
        if (o.job != null) {
            m.jobs.end(o.domain.name(), o.job, succeeded);
        }
        outgoing.remove(o.id);
        m.streams.forget(o.id);
        m.domains.release(o.domain, o.id);
    }

    Local local(Outgoing o) {
        String name = o.domain.name();
        return new Local(o.id, o.key(), o.destination, Optional.ofNullable(o.domain.vm()),
                m.leases(name, () -> o.entry().leaseState() != null ? o.entry().leaseState() : m.domains.leases().state(name),
                        state -> {
                        }), o.peer(), Optional.ofNullable(o.job));
    }

    /** The migration, if the caller presents its key; refused otherwise. */
    Outgoing require(String id, String key) throws MigrationException {
        Outgoing o = outgoing.get(id);
        if (o == null) {
            throw new MigrationException("no migration " + id + " is under way on this host");
        }
        if (!Migrations.keyMatches(o.key(), key)) {
            throw new MigrationException("migration " + id + " belongs to another party: the key does not match");
        }
        return o;
    }

    static MigrationException outOfOrder(String phase, Outgoing o) {
        return new MigrationException("Requested operation is not valid: " + phase + " of migration " + o.id
                + " cannot run while it is at " + o.step().display());
    }

    Optional<Outgoing> find(String id) {
        return Optional.ofNullable(outgoing.get(id));
    }

    Optional<Outgoing> ofDomain(String domain) {
        return outgoing.values().stream().filter(o -> o.domain.name().equals(domain)).findFirst();
    }

    /** A migration recovered from the journal after a restart, taken in hand again. */
    Outgoing adopt(Journal.Entry entry, Domain domain) {
        Outgoing o = new Outgoing(entry, domain, domain.current(), null, new SectionSet(List.of()), m.newWatch());
        o.memorySent = entry.flags().v2(); // protocol 2 leaves no trace of it: assume the worst
        o.performedAt = m.clock.getAsLong();
        outgoing.put(o.id, o);
        return o;
    }

    List<Outgoing> all() {
        return List.copyOf(outgoing.values());
    }
}
