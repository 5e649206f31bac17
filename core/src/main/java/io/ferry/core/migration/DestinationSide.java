package io.ferry.core.migration;

import io.ferry.api.cookie.Phase;
import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.api.hypervisor.VirtualMachine;
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
import io.ferry.protocol.MigrationFlags;
import io.ferry.protocol.xml.HardenedXmlParser;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The destination's phases: Prepare (incoming VM paused, data endpoint) and Finish ({@link DestinationFinish}: before
 * the commit, the commit, after it), and what a source or an operator asks of an incoming migration (its endpoint, its
 * tunnelled memory, its fate, domjobabort).
 */
final class DestinationSide {
    /**
     * The most migrations one peer daemon may have arriving here at once: each holds the domain's claim and, live, a
     * paused VM (a QEMU process), a data port and the thread that waits on it until its driver finishes it or goes
     * silent, and a peer keeps alive those it prepared. Those an operator prepares are not counted.
     */
    static final int MAX_ARRIVING_PER_PEER = 32;
    private final Migrations m;
    private final IncomingMemory memory;
    private final IncomingMigrations incoming;
    /**
     * The Prepares under way, before their migration is in {@link #incoming}: their ids, and who drives each (a peer's
     * certificate subject, {@link #BY_AN_OPERATOR}).
     */
    private final Map<String, String> preparing = new HashMap<>(); // guarded by itself
    private static final String BY_AN_OPERATOR = "";
    private final IncomingRecords records;
    private final DestinationFinish finishing;
    /** What a peer's definition may name. */
    private final PeerDefinitions peerDefinitions;

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
        this.peerDefinitions = new PeerDefinitions(new HardenedXmlParser(migrations.settings.cookieMaxBytes(),
                migrations.settings.cookieMaxDepth()), migrations.domains);
        this.memory = new IncomingMemory(migrations);
        this.records = new IncomingRecords(migrations.journal, migrations.domains.leases(), this::definitionLost);
        this.committed = new CommittedArrival(migrations);
        this.incoming = new IncomingMigrations(migrations, records);
        this.finishing = new DestinationFinish(migrations, incoming, records, committed, peerDefinitions);
    }

    /**
     * Prepares an incoming migration. Its id is reserved first: a second Prepare of the id (another domain's, say)
     * arriving while this one waits for its job would otherwise pass the checks too, and the one recorded last would
     * leave the other's incoming VM out of the journal and out of reach of Finish, paused here for good.
     */
    /** @param peer the certificate subject of the peer daemon that drives it; null: an operator does */
    Prepared prepare(Prepare request, String peer) throws Exception {
        String id = request.id();
        synchronized (preparing) {
            if (!MigrationIds.isValid(id) || preparing.containsKey(id)) {
                throw alreadyKnown(id);
            }
            if (peer != null) {
                requireRoomFor(peer, id);
            }
            preparing.put(id, peer == null ? BY_AN_OPERATOR : peer);
        }
        try {
            if (incoming.holds(id) || m.journal.find(id).isPresent()) {
                throw alreadyKnown(id);
            }
            return prepareReserved(request, peer);
        } finally {
            synchronized (preparing) {
                preparing.remove(id);
            }
        }
    }

    /** Refuses a Prepare of {@code peer} that would take it past {@link #MAX_ARRIVING_PER_PEER}. Caller holds preparing. */
    private void requireRoomFor(String peer, String id) throws MigrationException {
        long arriving = incoming.all().stream().filter(in -> peer.equals(in.preparedBy)).count()
                + preparing.values().stream().filter(peer::equals).count(); // one in both for a moment: counted twice, refused sooner
        if (arriving >= MAX_ARRIVING_PER_PEER) {
            throw new MigrationException("certificate subject '" + peer + "' has " + arriving + " migrations arriving here, the"
                    + " most one peer may have at once: migration " + id + " refused");
        }
    }

    private static MigrationException alreadyKnown(String id) {
        return new MigrationException("migration id '" + id + "' is invalid or already known on this host");
    }

    private Prepared prepareReserved(Prepare request, String peer) throws Exception {
        String id = request.id();
        if (request.key() == null || request.key().length() < 32) {
            throw new MigrationException("Prepare of migration " + id + " carried no valid key");
        }
        if (request.domainXml() == null) {
            throw new MigrationException("Prepare carried no domain definition");
        }
        DomainSpec spec = m.domains.parse(request.domainXml());
        peerDefinitions.check(spec, peer);
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
                    begin = m.parse(Phase.PREPARE, request.cookie(), spec, pinned, id, false);
                }
                m.hooks.begin(spec.name(), "destination", spec.xml());
                Journal.Entry entry = new Journal.Entry(id, Journal.Role.DESTINATION, Step.PREPARED, spec.name(), spec.uuid(),
                        request.sourceUri(), request.flags(), request.key(), null, false, null, leasedDisks(spec, request.flags()));
                m.journal.record(entry);
                boolean offline = request.flags().offline();
                LiveJob job = offline ? null : m.jobs.start(spec.name(), "Incoming migration", id, 0);
                in = new Incoming(entry, domain, spec, pinned, DataChannel.newToken(), job, m.newWatch());
                in.preparedBy = peer;
                if (begin != null) {
                    in.mandatory.addAll(begin.features());
                    in.sourceNamesOrigins = begin.header().origin() != null;
                }
                incoming.add(in);
                String dataUri = offline ? null : startIncoming(in, request.flags().tunnelled());
                in.dataUri = dataUri;
                if (begin != null) {
                    m.eat(Phase.PREPARE, incoming.local(in), begin);
                }
                String cookie = request.flags().v2() ? null : m.bake(Phase.PREPARE, incoming.local(in), pinned).xml();
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
        Incoming in = incoming.find(id).orElse(null);
        if (in == null || in.dataUri == null) {
            throw new MigrationException("no incoming migration " + id + " is waiting for its memory on this host");
        }
        if (!Migrations.keyMatches(in.key(), key)) {
            throw new MigrationException("migration " + id + " belongs to another party: the key does not match");
        }
        return new Messages.Endpoint(id, in.dataUri, in.direct ? null : in.token, // QEMU's own port takes no token
                in.spec.name(), in.spec.uuid().toString(), m.journal.identity(id));
    }

    /** The tunnelled memory stream of a migration ({@code POST /v1/migration/ID/tunnel}). */
    void tunnel(String id, InputStream body) throws Exception {
        Incoming in = incoming.find(id).orElse(null);
        if (in == null || !in.flags.tunnelled()) {
            throw new MigrationException("no tunnelled incoming migration " + id + " on this host");
        }
        DataChannel.expectToken(body, in.token);
        memory.receive(in, body);
    }

    Finished finish(Finish request) throws Exception {
        return finishing.finish(request);
    }

    /**
     * Aborts the migration unless it committed, and says which it is; waits for a Finish under way. What a
     * source asks before it resumes or stops its copy.
     */
    Fate settle(String id, String key) throws Exception {
        Incoming in = incoming.find(id).orElse(null);
        if (in != null) {
            if (!Migrations.keyMatches(in.key(), key)) {
                throw new MigrationException("migration " + id + " belongs to another party: the key does not match");
            }
            m.domains.withJob(in.domain, "migration settlement", in.id, () -> {
                if (incoming.holds(id) && !in.step().isCommitted()) {
                    abort(in, "its source settled it before it committed");
                }
                return null;
            });
        }
        return records.fate(id, key);
    }

    /** The disks whose leases the arrival's Finish takes (none offline): what a restart gives back by. */
    private static List<String> leasedDisks(DomainSpec spec, MigrationFlags flags) {
        return flags.offline() ? List.of() : spec.disks().stream().map(DomainSpec.Disk::source).filter(Objects::nonNull).toList();
    }

    /**
     * Whether the definition a committed arrival brought is lost here: the migration still COMMITTED (not stored yet),
     * its domain defined by no definition here, and what it staged gone or unreadable (a disk's error; an offline
     * arrival's domain, known by nothing else after a restart). Its source must keep its own then, --undefinesource or not.
     */
    private boolean definitionLost(Journal.Entry entry) {
        return entry.step() == Step.COMMITTED && m.domains.find(entry.domain()).map(d -> d.persistent() == null).orElse(true)
                && !m.domains.stagedDefinitionReadable(entry.id());
    }

    /** Drops the incoming domain, not committed: {@link IncomingMigrations#abort}. */
    void abort(Incoming in, String why) {
        incoming.abort(in, why);
    }

    /**
     * What an earlier arrival of the domain could not write (its definition, snapshots or end; an abort's record) is
     * written first; the migration is refused while it cannot be.
     */
    private void beforeMigratingAgain(Domain domain) throws MigrationException {
        committed.requireStored(domain);
        records.requireAbortsRecorded(domain.name(), domain.uuid());
    }

    /** {@code domjobabort} of an incoming migration; returns what was done. */
    String abortByOperator(Incoming in) throws Exception {
        return m.domains.withJob(in.domain, "domjobabort", in.id, () -> {
            String name = in.spec.name();
            boolean committed = !incoming.holds(in.id)
                    ? m.journal.find(in.id).map(e -> e.step().isCommitted()).orElse(false) : in.step().isCommitted();
            if (committed) {
                throw new MigrationException("too late to abort migration " + in.id + ": it committed, " + name + " runs here");
            }
            if (incoming.holds(in.id)) {
                abort(in, "aborted by the operator (domjobabort)");
            }
            return "Incoming migration " + in.id + " of " + name + " aborted: " + name + " goes on at its source";
        });
    }

    /** Gives back, if it can now, the leases aborted migrations could not give back when they ended. */
    void giveBackOwedLeases() {
        records.giveBackOwedLeases();
    }

    /** After a restart: the aborted migrations whose leases this host still owes, as its lease records say. */
    void adoptOwedLeases() {
        records.adoptOwedLeases();
    }

    /**
     * After a restart: an uncommitted arrival whose domain this host no longer knows gives back the leases its Finish
     * may have taken, by the disks its record names ({@link IncomingRecords#abortedGone}).
     */
    void abortedGone(Journal.Entry entry) throws IOException {
        DomainSpec leased = new DomainSpec(entry.domain(), entry.uuid(), "", 0, 0,
                entry.disks().stream().map(disk -> new DomainSpec.Disk(disk, null)).toList(), List.of(), List.of(), "");
        records.abortedGone(entry, () -> m.domains.leases().releaseAfterRestart(leased, entry.id()));
    }

    /** Lets go of a migration recovery settled. */
    void forget(Incoming in) {
        incoming.end(in, true);
    }

    Optional<Incoming> find(String id) {
        return incoming.find(id);
    }

    Optional<Incoming> ofDomain(String domain) {
        return incoming.ofDomain(domain);
    }

    /** A migration recovered from the journal after a restart, taken in hand again. */
    Incoming adopt(Journal.Entry entry, Domain domain) {
        return incoming.adopt(entry, domain);
    }

    List<Incoming> all() {
        return incoming.all();
    }
}
