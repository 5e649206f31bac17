package io.ferry.core.migration;

import io.ferry.api.cookie.Phase;
import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.api.hypervisor.MigrationStats;
import io.ferry.api.hypervisor.VirtualMachine;
import io.ferry.api.hypervisor.VmProcess;
import io.ferry.core.builtin.PersistentSection;
import io.ferry.core.cookie.ParsedCookie;
import io.ferry.core.domain.DomainException;
import io.ferry.core.domain.Leases;
import io.ferry.protocol.Messages.Finish;
import io.ferry.protocol.Messages.Finished;
import io.ferry.protocol.xml.XmlWriter;
import java.nio.charset.StandardCharsets;
import java.util.EnumSet;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.w3c.dom.Element;

/**
 * The destination's Finish, in three parts: before the commit (memory verified, Perform cookie eaten, leases taken;
 * any failure drops the incoming VM), the commit (the journal's COMMITTED entry: from here on the domain belongs to
 * this host), and after it (resume, snapshots, cookie, hooks), where nothing may throw into a rollback.
 */
final class DestinationFinish {
    /** The destination's log lines keep the logger they had before this class was split out of it. */
    private static final Logger LOG = LoggerFactory.getLogger(DestinationSide.class);

    /** The feature of the core's section that carries the definition kept here. */
    private static final String PERSISTENT = PersistentSection.FEATURE;

    private final Migrations m;
    private final IncomingMigrations incoming;
    private final IncomingRecords records;
    private final CommittedArrival committed;
    private final PeerDefinitions peerDefinitions;

    DestinationFinish(Migrations migrations, IncomingMigrations incoming, IncomingRecords records, CommittedArrival committed,
            PeerDefinitions peerDefinitions) {
        this.m = migrations;
        this.peerDefinitions = peerDefinitions;
        this.incoming = incoming;
        this.records = records;
        this.committed = committed;
    }

    /**
     * A Finish of a migration this host no longer has in hand. A cancelled one (its source's Perform failed, often only
     * with "Broken pipe") is told why the arrival ended here when its job says so ("aborted by the operator
     * (domjobabort)"), which the driver joins to the source's error.
     */
    private Finished settled(Finish request) throws MigrationException {
        Finished settled = records.settledFinish(request);
        if (!request.cancelled() || settled.domain() != null || settled.note() != null) {
            return settled;
        }
        return records.domainOf(request.id()).flatMap(m.jobs::lastEnded).filter(job -> request.id().equals(job.migration()))
                .map(LiveJob::error).map(why -> new Finished(request.id(), null, null, why)).orElse(settled);
    }

    Finished finish(Finish request) throws Exception {
        Incoming in = incoming.find(request.id()).orElse(null);
        if (in == null) {
            return settled(request);
        }
        if (!Migrations.keyMatches(in.key(), request.key())) {
            throw new MigrationException("migration " + in.id + " belongs to another party: the key does not match");
        }
        try (DriverWatch.Call call = in.driver.enter()) {
            return m.domains.withJob(in.domain, "migration finish", in.id, () -> {
                if (!incoming.holds(in.id)) {
                    return settled(request);
                }
                if (in.step().isCommitted()) {
                    // recovery has it in hand (a restart after the commit): it runs here, whatever this Finish asks
                    return new Finished(in.id, in.spec.name(), null, null);
                }
                if (request.cancelled()) {
                    String failure = in.failure;
                    incoming.abort(in, "cancelled by its driver");
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
                    // the commit point: from here on the domain belongs to this host
                    in.commit(m.journal, m.domains.leases().state(in.spec.name()));
                } catch (Exception e) {
                    incoming.abort(in, e.getMessage());
                    throw e;
                }
                return afterCommit(in, stats);
            });
        }
    }

    /** Everything that must hold before the commit; throws (and the caller aborts) if anything does not. */
    private MigrationStats beforeCommit(Incoming in, String cookie) throws Exception {
        MigrationStats stats = in.flags.offline() ? null : IncomingMemory.await(in);
        DomainSpec definition = null;
        if (!in.flags.v2()) {
            // the source's guest is paused: a bundle update's gap is waited for, briefly
            long wait = m.timing.pausedSectionWaitMillis();
            ParsedCookie performed = m.parse(Phase.FINISH, cookie, in.spec,
                    Negotiation.requirePinned(in.pinned, m.sections, EnumSet.of(Phase.FINISH), wait), in.id,
                    in.sourceNamesOrigins, wait);
            in.mandatory.addAll(performed.features());
            // the definition is part of checking the cookie whole: refused, no section may have acted on the cookie
            Optional<Object> persistent = performed.value(PERSISTENT);
            if (persistent.isPresent()) {
                DomainSpec brought = sameDomain(in, m.domains.parse(XmlWriter.write((Element) persistent.get())));
                peerDefinitions.check(brought, in.preparedBy); // what a peer brought, whoever relays it now
                // as libvirt: checked always (older sources always send it), kept only if --persistent asked for it
                definition = in.flags.persistent() ? brought : null;
            } else if (in.flags.persistent() && in.pinned.byFeature(PERSISTENT).isEmpty() && bringsDefinition(cookie)) {
                throw new MigrationException("the Perform cookie of migration " + in.id + " brings the definition domain "
                        + in.spec.name() + " is to keep here, but its Prepare listed no cookie section " + PERSISTENT
                        + " (does its driver pass the sections on?): unread, the one the guest runs would be kept instead");
            }
            m.eat(Phase.FINISH, incoming.local(in), performed, wait);
        }
        if (definition == null && (in.flags.persistent() || in.flags.offline() && in.domain.persistent() == null)) {
            definition = in.spec; // as libvirt: without a definition in the cookie, the one the domain runs
        }
        if (definition != null) { // stored before the commit, installed after it: an abort leaves the definitions as they were
            m.domains.migrating().stageIncomingDefinition(in.id, definition);
        }
        if (!in.flags.offline()) {
            try {
                m.domains.leases().acquire(in.spec, in.leaseState);
            } catch (DomainException e) {
                // a lock manager that is not there was asked nothing: the take did not go through
                in.leasesUnknown = Leases.unreachable(e) && !(e instanceof Leases.ManagerAway);
                throw e;
            }
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

    /** Whether a cookie carries a definition, read or not (a section this migration did not pin leaves it unread). */
    private boolean bringsDefinition(String cookie) throws Exception {
        return cookie != null
                && m.bakery.codec().carried(cookie.getBytes(StandardCharsets.UTF_8)).contains(PersistentSection.ELEMENT);
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
                // resumed above: a wait on a section's bundle update adds nothing to the guest's downtime
                cookie = m.bakeCommitted(Phase.FINISH, incoming.local(in), in.pinned).xml();
            } catch (Exception e) {
                // committed: the domain runs here whatever a section says now; Confirm does without this cookie
                LOG.warn("the Finish cookie of {} could not be baked: {}", in.id, e.getMessage());
            }
        }
        incoming.end(in, true);
        LOG.info("domain {} arrived and {} here (migration {}, memory verified: {})", in.spec.name(),
                in.flags.paused() ? "stays paused" : "runs", in.id, stats == null ? "n/a" : stats.memoryVerified());
        return new Finished(in.id, in.spec.name(), cookie, note);
    }
}
