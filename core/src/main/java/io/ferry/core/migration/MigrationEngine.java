package io.ferry.core.migration;

import io.ferry.api.cookie.SideStream;
import io.ferry.api.snapshot.SnapshotStore;
import io.ferry.core.cookie.CookieBakery;
import io.ferry.core.daemon.DaemonSettings;
import io.ferry.core.domain.DomainManager;
import io.ferry.core.section.MigrationLog;
import io.ferry.core.section.SectionCatalog;
import io.ferry.core.section.SectionHandle;
import io.ferry.core.section.SectionSet;
import io.ferry.api.cookie.CookieException;
import java.io.IOException;
import io.ferry.protocol.ChannelException;
import io.ferry.protocol.DaemonClient;
import io.ferry.protocol.DomainMessages;
import io.ferry.protocol.Messages;
import io.ferry.protocol.Messages.Begin;
import io.ferry.protocol.Messages.Begun;
import io.ferry.protocol.Messages.Confirm;
import io.ferry.protocol.Messages.Fate;
import io.ferry.protocol.Messages.Finish;
import io.ferry.protocol.Messages.Finished;
import io.ferry.protocol.Messages.Outcome;
import io.ferry.protocol.Messages.Perform;
import io.ferry.protocol.Messages.Performed;
import io.ferry.protocol.Messages.Prepare;
import io.ferry.protocol.Messages.Prepared;
import io.ferry.protocol.MigrationDriver;
import java.io.InputStream;
import java.net.InetAddress;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This daemon's part in migrations, without OSGi: both sides of protocol v3 (and v2), the peer-to-peer driver,
 * the answers to "what became of migration X", the operator's {@code domjobabort} and {@code resume}, and the
 * watchdog tick that settles migrations nobody drives any more. Every call is tagged with its migration id in
 * the log.
 */
public final class MigrationEngine {
    private static final Logger LOG = LoggerFactory.getLogger(MigrationEngine.class);

    private final Migrations m;
    private final SourceSide source;
    private final DestinationSide destination;
    private final Settlement settlement;
    private final SourceResume resumes;
    private final Recovery recovery;
    private final AbortById abortById;
    private final AbortByDomain abortByDomain;
    private final Suspension suspension;
    private final Set<Integer> protocols;
    private final Supplier<String> selfUri;

    /**
     * @param sections the sections registered now
     * @param clock milliseconds, for the watchdog's waits
     * @param background where settlements with peers run
     * @param protocols the protocol versions this daemon speaks
     * @param selfUri this daemon's control URI, which peers of its peer-to-peer migrations call back and its Begin
     *        names
     * @param tls the daemon's mutual TLS identity, also for the data connections; null when its channel is plain
     */
    public MigrationEngine(DaemonSettings settings, CookieBakery bakery, DomainManager domains, SectionCatalog sections,
            Journal journal, Hooks hooks, SnapshotStore snapshots, Peers peers, LongSupplier clock, Timing timing,
            Executor background, Set<Integer> protocols, Supplier<String> selfUri, SSLContext tls) {
        this.m = new Migrations(settings, bakery, domains, sections, journal, hooks, snapshots, peers, clock, timing, tls);
        this.destination = new DestinationSide(m);
        this.source = new SourceSide(m, destination.migratesAgain);
        this.settlement = new Settlement(m, source);
        this.resumes = new SourceResume(m, source, destination, settlement);
        this.recovery = new Recovery(m, source, destination, settlement, background);
        this.abortById = new AbortById(m, source, destination, settlement);
        this.abortByDomain = new AbortByDomain(m, source, destination, settlement);
        this.suspension = new Suspension(m, source, destination);
        this.protocols = Set.copyOf(protocols);
        this.selfUri = selfUri;
        recovery.load();
    }

    /**
     * The daemon stops: no step but the points of no return (a destination's commit, a source's end once its copy is
     * stopped) is recorded in the journal from now on ({@link StoppingJournal}), so that the calls still running, which
     * lose the driver and the lock manager as the core's components go, leave each migration at its last step, as a
     * crash would, for the next start to settle.
     */
    public void stopping() {
        if (m.journal.freeze()) {
            LOG.info("ferryd is stopping: the migration journal records no more steps but a destination's commit and"
                    + " a source's end once its copy is stopped");
        }
    }

    public Jobs jobs() {
        return m.jobs;
    }

    public List<Hooks.Event> events() {
        return m.hooks.events();
    }

    public Set<Integer> protocols() {
        return protocols;
    }

    public Begun begin(Begin request) throws Exception {
        requireProtocol(request.flags().v2() ? 2 : 3);
        try (var tag = MigrationLog.tag("begin:" + request.domain())) {
            // this daemon's own address, where the destination fetches the side streams: the driver's may be a name
            // only its own host resolves (localhost)
            Begun begun = source.begin(request).withSourceUri(selfUri.get());
            LOG.info("migration {} of {} begun", begun.id(), request.domain());
            return begun;
        }
    }

    public Prepared prepare(Prepare request) throws Exception {
        return prepare(request, null);
    }

    /**
     * As {@link #prepare(Prepare)}, from its driver: an operator (null), or the certificate subject of a peer daemon (a
     * source that drives it peer to peer), which alone of the peers keeps it alive then.
     */
    public Prepared prepare(Prepare request, String peer) throws Exception {
        return prepare(request, peer, null);
    }

    /**
     * As {@link #prepare(Prepare, String)}, over a connection that reached this host at {@code reached} (null: a caller
     * without one): a daemon listening on a wildcard address names its data port by that address.
     */
    public Prepared prepare(Prepare request, String peer, InetAddress reached) throws Exception {
        requireProtocol(request.flags().v2() ? 2 : 3);
        try (var tag = MigrationLog.tag(request.id())) {
            if (source.find(request.id()).isPresent()) {
                // the destination URI names this daemon: as libvirt, say so (the cookie's check says the same)
                throw new MigrationException("Attempt to migrate guest to the same host " + m.settings.hostUuid());
            }
            return destination.prepare(request, peer, reached);
        }
    }

    public Performed perform(Perform request) throws Exception {
        try (var tag = MigrationLog.tag(request.id())) {
            return source.perform(request);
        }
    }

    public Finished finish(Finish request) throws Exception {
        try (var tag = MigrationLog.tag(request.id())) {
            return destination.finish(request);
        }
    }

    public void confirm(Confirm request) throws Exception {
        if (!request.cancelled()) {
            requireProtocol(3);
        }
        try (var tag = MigrationLog.tag(request.id())) {
            settlement.confirm(request);
        }
    }

    /** Destination: abort unless committed, and say which. */
    public Fate settle(String id, String key) throws Exception {
        try (var tag = MigrationLog.tag(id)) {
            return destination.settle(id, key).from(m.journal.identity(id));
        }
    }

    /** A driver's sign of life, on either side: an operator's, or this daemon's own (peer to peer). */
    public void keepalive(String id, String key) throws MigrationException {
        keepalive(id, key, null);
    }

    /**
     * As {@link #keepalive(String, String)}, from an operator (null) or the peer daemon of certificate subject
     * {@code peer}. Only a migration's driver keeps it alive, or an operator: a source's driver is one (Begin, Perform
     * and Confirm are theirs), a destination's is whoever prepared it. A peer that holds the key and drives nothing (the
     * destination of a source's, the source of a destination's the command line drives) would keep a migration its
     * driver left claiming the domain here, and an arriving one its paused VM and data port, for as long as it pleased.
     */
    public void keepalive(String id, String key, String peer) throws MigrationException {
        Optional<Outgoing> out = source.find(id);
        if (out.isPresent()) {
            Outgoing o = source.require(id, key);
            if (peer != null) {
                throw new MigrationException("migration " + id + " leaves this host: only its driver, an operator, keeps it"
                        + " alive here, not a peer");
            }
            o.driver.heard();
            return;
        }
        Incoming in = destination.find(id).orElseThrow(() -> new MigrationException("no migration " + id + " is under way on this host"));
        if (!Migrations.keyMatches(in.key(), key)) {
            throw new MigrationException("migration " + id + " belongs to another party: the key does not match");
        }
        if (peer != null && !peer.equals(in.preparedBy)) {
            throw new MigrationException("migration " + id + " arrives here driven by " + (in.preparedBy == null ? "an operator"
                    : "certificate subject '" + in.preparedBy + "'") + ": only its driver, or an operator, keeps it alive here");
        }
        in.driver.heard();
    }

    /**
     * Whether {@code key} may act on migration {@code id} here: it is the migration's key, or this daemon has no such
     * migration (a Prepare makes the caller its party; the engine refuses or answers "unknown" to the rest). The
     * control channel asks this for the calls of peer daemons.
     *
     * A migration in hand is judged by its key in memory: its record's read could fail (a full file table), and the
     * refusal its caller then hears is no answer of the engine's (a protocol-2 driver would take its Finish for dropped).
     *
     * @throws IOException when the record of a migration no longer in hand cannot be read now: it may be another party's
     */
    public boolean admits(String id, String key) throws IOException {
        Optional<String> inHand = destination.find(id).map(Incoming::key).or(() -> source.find(id).map(Outgoing::key));
        if (inHand.isPresent()) {
            return Migrations.keyMatches(inHand.get(), key);
        }
        return m.journal.find(id).map(entry -> Migrations.keyMatches(entry.key(), key)).orElse(true);
    }

    /**
     * What became of migration {@code id} here. A source whose completion stopped its copy and could not record
     * CONFIRMED yet says committed: a protocol-2 driver whose Perform reply was lost finishes on that word.
     */
    public Fate fate(String id) {
        if (source.find(id).filter(o -> o.stoppedHere).isPresent()) {
            return new Fate(id, Outcome.COMMITTED).from(m.journal.identity(id));
        }
        Optional<Journal.Entry> entry;
        try {
            entry = m.journal.find(id);
        } catch (IOException e) {
            LOG.error("{}: it is answered as in progress", e.getMessage());
            return new Fate(id, Outcome.IN_PROGRESS).from(m.journal.identity(id));
        }
        if (entry.isEmpty()) {
            // a damaged record may have been the commit point: "no record" would have its source resume its copy
            return new Fate(id, m.journal.damaged(id) ? Outcome.IN_PROGRESS : Outcome.UNKNOWN).from(m.journal.identity(id));
        }
        Step step = entry.get().step();
        return new Fate(id, step.isCommitted() || step == Step.CONFIRMED ? Outcome.COMMITTED
                : step == Step.ABORTED ? Outcome.ABORTED : Outcome.IN_PROGRESS).from(m.journal.identity(id));
    }

    /** Destination: where the memory of migration {@code id} goes, for the source that presents its key. */
    public Messages.Endpoint endpoint(String id, String key) throws Exception {
        try (var tag = MigrationLog.tag(id)) {
            return destination.endpoint(id, key);
        }
    }

    /** Receives a tunnelled memory stream for an incoming migration. */
    public void tunnel(String id, InputStream body) throws Exception {
        try (var tag = MigrationLog.tag(id)) {
            destination.tunnel(id, body);
        }
    }

    /**
     * The side stream a source section offered for migration {@code id}, for the holder of its key; or null. The
     * writer runs as the section's calls do: on a section worker, with a time limit, its section held meanwhile.
     */
    public SideStream.Writer sideStream(String id, String key, String feature) {
        SideStreams.Offer offer = m.streams.offered(id, key, feature);
        if (offer == null) {
            return null;
        }
        return out -> {
            SectionHandle handle = m.sections.get().byFeature(feature)
                    .orElseThrow(() -> new IOException("cookie section " + feature + " is no longer registered"));
            try (var tag = MigrationLog.tag(id)) {
                // the old registration's writer is its bundle's code, whose classes go once the framework refreshes it
                SideStream.Writer writer = offer.by() == null || offer.by() == handle ? offer.writer()
                        : source.reoffer(id, key, handle);
                handle.stream(id, writer, out);
            } catch (CookieException | MigrationException e) {
                throw new IOException(e.getMessage(), e);
            }
        };
    }

    /** Peer-to-peer: this daemon, the source, drives the whole migration against the destination daemon. */
    public Finished migrate(Messages.Migrate request, MigrationDriver.Listener listener) throws ChannelException {
        return new MigrationDriver(listener).run(new LocalPeer(this, selfUri.get()), m.peers.peer(request.destUri()), request);
    }

    /** {@code domjobabort}: stops the domain's migration, if it still can; returns what was done. */
    public String abortJob(String domainName) throws Exception {
        return abortByDomain.abort(domainName);
    }

    /**
     * {@code domjobabort} of migration {@code id} of the domain only (the Ctrl-C of the {@code ferry migrate} that began
     * it), or its withdrawal when it has not begun ({@link AbortById}).
     *
     * @return {@link DaemonClient#ABORTED} or {@link DaemonClient#WITHDRAWN}, with what was done
     */
    public DomainMessages.Done abortMigration(String domainName, String id) throws Exception {
        try (var tag = MigrationLog.tag(id)) {
            return abortById.abort(domainName, id);
        }
    }

    /** {@code ferry resume NAME}: a paused domain runs again, if that cannot make it run on two hosts. */
    public String resume(String domainName, boolean force) throws Exception {
        return resumes.resume(domainName, force);
    }

    /**
     * {@code ferry suspend NAME} ({@link Suspension}): also of a domain that migrates out, whose migration goes on.
     *
     * @param migrationId only while this migration of the domain is under way here ({@code ferry migrate --timeout});
     *        null: whatever the domain does
     */
    public DomainMessages.Done suspend(String domainName, String migrationId) throws Exception {
        return suspension.suspend(domainName, migrationId);
    }

    /** The incoming migration {@code id} while this host has it in hand (the engine's tests wait on its memory). */
    Optional<Incoming> incoming(String id) {
        return destination.find(id);
    }

    /**
     * The watchdog: settles what no driver will (called every second). It throws nothing, not even an Error: a
     * scheduled task that throws is never run again, and what the watchdog settles would wait for a restart.
     */
    public void tick() {
        try {
            recovery.tick();
        } catch (Throwable e) {
            if (e instanceof Error) {
                LOG.error("migration watchdog: {}", e.toString(), e);
            } else {
                LOG.error("migration watchdog: {}", e.toString());
            }
        }
    }

    private void requireProtocol(int version) throws MigrationException {
        if (!protocols.contains(version)) {
            throw new MigrationException("this daemon does not speak migration protocol " + version);
        }
    }
}
