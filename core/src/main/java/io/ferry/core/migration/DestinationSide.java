package io.ferry.core.migration;

import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.core.domain.Domain;
import io.ferry.protocol.Messages;
import io.ferry.protocol.Messages.Fate;
import io.ferry.protocol.Messages.Finish;
import io.ferry.protocol.Messages.Finished;
import io.ferry.protocol.Messages.Prepare;
import io.ferry.protocol.Messages.Prepared;
import io.ferry.protocol.xml.HardenedXmlParser;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The destination's phases: Prepare ({@link DestinationPrepare}: incoming VM paused, data endpoint) and Finish
 * ({@link DestinationFinish}: before the commit, the commit, after it), and what a source or an operator asks of an
 * incoming migration (its endpoint, its tunnelled memory, its fate, domjobabort).
 */
final class DestinationSide {
    private static final Logger LOG = LoggerFactory.getLogger(DestinationSide.class);

    private final Migrations m;
    private final IncomingMemory memory;
    private final IncomingMigrations incoming;
    private final IncomingRecords records;
    private final DestinationPrepare preparing;
    private final DestinationFinish finishing;

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
        // what a peer's definition may name
        PeerDefinitions peerDefinitions = new PeerDefinitions(new HardenedXmlParser(migrations.settings.cookieMaxBytes(),
                migrations.settings.cookieMaxDepth()), migrations.domains);
        this.memory = new IncomingMemory(migrations);
        this.records = new IncomingRecords(migrations.journal, migrations.domains.leases(), this::definitionLost);
        this.committed = new CommittedArrival(migrations);
        this.incoming = new IncomingMigrations(migrations, records);
        this.finishing = new DestinationFinish(migrations, incoming, records, committed, peerDefinitions);
        this.preparing = new DestinationPrepare(migrations, incoming, memory, peerDefinitions, migratesAgain);
    }

    /** Prepares an incoming migration: {@link DestinationPrepare#prepare}. */
    Prepared prepare(Prepare request, String peer, InetAddress reached) throws Exception {
        return preparing.prepare(request, peer, reached);
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
        boolean dataPort = !in.direct && !in.flags.tunnelled(); // QEMU's own port takes no token; the tunnel answers
        return new Messages.Endpoint(id, in.dataUri, in.direct ? null : in.token, in.spec.name(),
                in.spec.uuid().toString(), m.journal.identity(id), CommittedArrival.bringsDefinition(in.flags),
                dataPort ? Boolean.TRUE : null);
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
     * Aborts the migration unless it committed, and says which it is. What a source asks before it resumes or stops its
     * copy, and a driver whose Finish reply was lost. A committed one is answered by its record, which the commit wrote
     * before any step after it: those (the guest's resume, storing what it brought, the end hook) hold the job, for
     * minutes at worst. One whose job another holds (its Finish before the commit, its Prepare) is under way: answered
     * so at once, busy (soon over, unlike a record it cannot read), aborting nothing, and asked again; waited for, the
     * ask failed after 30 s, as from a host gone.
     */
    Fate settle(String id, String key) throws Exception {
        Incoming in = incoming.find(id).orElse(null);
        if (in != null) {
            if (!Migrations.keyMatches(in.key(), key)) {
                throw new MigrationException("migration " + id + " belongs to another party: the key does not match");
            }
            if (in.step().isCommitted()) {
                return records.fate(id, key);
            }
            boolean settled = m.domains.withJobIfFree(in.domain, "migration settlement", in.id, () -> {
                if (incoming.holds(id) && !in.step().isCommitted()) {
                    abort(in, "its source settled it before it committed");
                }
                return null;
            });
            if (!settled) {
                LOG.debug("migration {} is answered as under way: {} holds domain {}", id, in.domain.job(),
                        in.spec.name());
                return Fate.busy(id);
            }
        }
        return records.fate(id, key);
    }

    /**
     * Whether the definition a committed arrival brought is lost here: its domain defined by no definition here, and
     * what it staged gone or unreadable (a disk's error, a file deleted; an offline arrival's domain, known by nothing
     * else after a restart). Its source must keep its own then, --undefinesource or not. FINISHED too: a restart that
     * found neither the domain nor its staging recorded it so, and a domain undefined here since is best kept there.
     */
    private boolean definitionLost(Journal.Entry entry) {
        // the staged file first: a Finish under way (this answers without its job) marks the domain defined, then
        // renames the file into place, so a file gone means a mark this sees
        return entry.step().isCommitted() && !m.domains.migrating().stagedDefinitionReadable(entry.id())
                && m.domains.find(entry.domain()).map(d -> d.persistent() == null).orElse(true);
    }

    /** Whether an uncommitted arrival's domain lived on here since: {@link IncomingMigrations#outlivedBy}. */
    boolean outlivedBy(Journal.Entry entry, Domain domain) {
        return incoming.outlivedBy(entry, domain);
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

    /**
     * {@code domjobabort} of an incoming migration; returns what was done. One of protocol 2, whose source stops its
     * copy at Perform and whose destination commits only at Finish, is refused (as libvirt refuses the domjobabort of
     * any incoming migration): this host cannot know whether the source's copy is gone, and aborted here the guest
     * would run on neither host. Its source knows. One whose abort is already under way is tried again.
     */
    String abortByOperator(Incoming in) throws Exception {
        return m.domains.withJob(in.domain, "domjobabort", in.id, () -> {
            String name = in.spec.name();
            boolean committed = !incoming.holds(in.id)
                    ? m.journal.findOrRefuse(in.id).map(e -> e.step().isCommitted()).orElse(false)
                    : in.step().isCommitted();
            if (committed) {
                throw new MigrationException("too late to abort migration " + in.id + ": it committed, " + name + " runs here");
            }
            if (in.flags.v2() && in.abortPending == null) {
                throw new MigrationException("Requested operation is not valid: migration " + in.id + " of " + name
                        + " is of protocol 2, whose source stops its copy at Perform: abort it on its source, which"
                        + " knows whether it did (aborted here, " + name + " could run on neither host)");
            }
            if (incoming.holds(in.id)) {
                abort(in, "aborted by the operator (domjobabort)");
            }
            if (incoming.holds(in.id)) {
                throw new MigrationException("cannot abort migration " + in.id + " yet: " + in.vmNotStopped
                        + "; the abort is tried again, and until it goes through the source does not resume " + name);
            }
            String left = in.outlived ? " runs here since a start after the daemon's restart, not as the migration's"
                    + " incoming VM" : " goes on at its source";
            return "Incoming migration " + in.id + " of " + name + " aborted: " + name + left;
        });
    }

    /** Whether an aborted migration still waits for its leases to be given back before it is recorded. */
    boolean abortsAwaitLeases() {
        return records.abortsAwaitLeases();
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
        DomainSpec leased = IncomingMigrations.leasedBy(entry);
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
