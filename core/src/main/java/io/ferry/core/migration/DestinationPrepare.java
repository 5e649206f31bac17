package io.ferry.core.migration;

import io.ferry.api.cookie.Phase;
import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.api.hypervisor.VirtualMachine;
import io.ferry.api.hypervisor.VmNotStoppedException;
import io.ferry.core.cookie.ParsedCookie;
import io.ferry.core.daemon.MigrationIds;
import io.ferry.core.domain.Domain;
import io.ferry.core.domain.DomainException;
import io.ferry.core.domain.DomainState;
import io.ferry.core.domain.Leases;
import io.ferry.core.section.SectionSet;
import io.ferry.protocol.Messages.Prepare;
import io.ferry.protocol.Messages.Prepared;
import io.ferry.protocol.MigrationFlags;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The destination's Prepare ({@link DestinationSide}): the migration's id reserved, the definition checked, the
 * incoming VM started paused and the data endpoint opened, the migration recorded PREPARED.
 */
final class DestinationPrepare {
    /**
     * The most migrations one peer daemon may have arriving here at once: each holds the domain's claim and, live, a
     * paused VM (a QEMU process), a data port and the thread that waits on it until its driver finishes it or goes
     * silent, and a peer keeps alive those it prepared. Those an operator prepares are not counted.
     */
    static final int MAX_ARRIVING_PER_PEER = 32;
    /**
     * What the journal records of a Prepare's key (a source makes 64 hex digits) and source URI: a peer padding them
     * made each of its records, kept long after an abort, as large as it liked.
     */
    static final int MAX_KEY_CHARS = 256;
    static final int MAX_SOURCE_URI_CHARS = 4096;
    private final Migrations m;
    private final IncomingMigrations incoming;
    private final IncomingMemory memory;
    /** What a peer's definition may name. */
    private final PeerDefinitions peerDefinitions;
    private final DestinationSide.MigratesAgain migratesAgain;
    /**
     * The Prepares under way, before their migration is in {@link #incoming}: their ids, and who drives each (a peer's
     * certificate subject, {@link #BY_AN_OPERATOR}).
     */
    private final Map<String, String> preparing = new HashMap<>(); // guarded by itself
    private static final String BY_AN_OPERATOR = "";

    DestinationPrepare(Migrations migrations, IncomingMigrations incoming, IncomingMemory memory,
            PeerDefinitions peerDefinitions, DestinationSide.MigratesAgain migratesAgain) {
        this.m = migrations;
        this.incoming = incoming;
        this.memory = memory;
        this.peerDefinitions = peerDefinitions;
        this.migratesAgain = migratesAgain;
    }

    /**
     * Prepares an incoming migration. Its id is reserved first: a second Prepare of the id (another domain's, say)
     * arriving while this one waits for its job would otherwise pass the checks too, and the one recorded last would
     * leave the other's incoming VM out of the journal and out of reach of Finish, paused here for good.
     *
     * @param peer the certificate subject of the peer daemon that drives it; null: an operator does
     * @param reached the address of this host the caller's connection reached; null: a caller without one
     */
    Prepared prepare(Prepare request, String peer, InetAddress reached) throws Exception {
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
            if (incoming.holds(id) || m.journal.findOrRefuse(id).isPresent()) {
                throw alreadyKnown(id);
            }
            return prepareReserved(request, peer, reached);
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

    private Prepared prepareReserved(Prepare request, String peer, InetAddress reached) throws Exception {
        String id = request.id();
        if (request.key() == null || request.key().length() < 32 || request.key().length() > MAX_KEY_CHARS) {
            throw new MigrationException("Prepare of migration " + id + " carried no valid key");
        }
        if (request.sourceUri() != null && request.sourceUri().length() > MAX_SOURCE_URI_CHARS) {
            throw new MigrationException("Prepare of migration " + id + " carried a source URI of "
                    + request.sourceUri().length() + " characters, over the " + MAX_SOURCE_URI_CHARS + " this host records");
        }
        if (request.domainXml() == null) {
            throw new MigrationException("Prepare carried no domain definition");
        }
        boolean tunnelled = request.flags().tunnelled();
        InetAddress dataHost = request.flags().offline() || tunnelled ? null
                : DataAddress.forArrival(id, m.settings.listen(), reached, request.sourceUri());
        DomainSpec spec = m.domains.parse(request.domainXml());
        peerDefinitions.check(spec, peer);
        Domain domain = m.domains.migrating().incoming(spec);
        return m.domains.withJob(domain, "migration prepare", () -> {
            try {
                requireMayArrive(domain, spec, id);
                m.domains.migrating().claim(domain, id);
            } catch (Exception e) {
                // an entry admitted for this arrival alone, no definition or VM in it: left, it stayed listed, and held
                // the name and the UUID against every define and arrival, until ferryd restarted. Under the job: a
                // Prepare waiting for it finds the entry dropped
                m.domains.forgetIfGone(domain);
                throw e;
            }
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
                    begin = m.parse(Phase.PREPARE, request.cookie(), spec, pinned, id, false, m.timing.sectionWaitMillis());
                }
                m.hooks.begin(spec.name(), "destination", spec.xml());
                Journal.Entry entry = new Journal.Entry(id, Journal.Role.DESTINATION, Step.PREPARED, spec.name(), spec.uuid(),
                        request.sourceUri(), request.flags(), request.key(), null, false, null, leasedDisks(spec, request.flags()), peer);
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
                String dataUri = offline ? null : startIncoming(in, tunnelled, dataHost);
                in.dataUri = dataUri;
                if (begin != null) {
                    m.eat(Phase.PREPARE, incoming.local(in), begin, m.timing.sectionWaitMillis());
                }
                String cookie = request.flags().v2() ? null : m.bake(Phase.PREPARE, incoming.local(in), pinned,
                        m.timing.sectionWaitMillis()).xml();
                // no token: the hypervisor's own data connection carries none, and the source sees it by that
                return new Prepared(id, dataUri, in.direct ? null : in.token, cookie, Negotiation.versions(local));
            } catch (Exception e) {
                if (in != null) {
                    incoming.abort(in, e.getMessage());
                } else {
                    m.domains.migrating().release(domain, id);
                    m.hooks.failed(spec.name(), "destination", e.getMessage());
                }
                throw e;
            }
        });
    }

    /** Refuses the arrival of a domain the host no longer lists, one active here, or one not ready to migrate again. */
    private void requireMayArrive(Domain domain, DomainSpec spec, String id) throws MigrationException {
        if (m.domains.find(spec.name()).orElse(null) != domain) {
            // dropped while this Prepare waited for its job (undefined, an earlier migration's clean-up): a VM on
            // it would run unlisted, and the host would boot a second one of the domain beside it
            throw new MigrationException("operation failed: domain '" + spec.name() + "' changed while migration "
                    + id + " waited for it; migrate it again");
        }
        if (domain.isActive()) {
            throw new MigrationException("Requested operation is not valid: domain '" + spec.name()
                    + "' is already active on this host");
        }
        migratesAgain.check(domain);
    }

    /**
     * Creates the paused incoming VM and where its memory arrives; returns the data URI. A VM that could not be made
     * leaves no run directory: the domain is not active, so the abort's stop, which removes it, does not run, and each
     * failed arrival of another guest left one for good. Unless the driver refused because a VM of the domain that it
     * does not drive runs here: the directory is that VM's (its record, pidfile and monitor), and without it the next
     * start here finds that VM only by its command line, which its guest may have rewritten, and starts a second one.
     * No leases are kept: Finish takes them.
     */
    private String startIncoming(Incoming in, boolean tunnelled, InetAddress dataHost) throws Exception {
        VirtualMachine vm;
        try {
            vm = m.domains.hypervisor(in.spec.type()).createIncoming(in.spec, m.domains.store().runDir(in.spec.uuid()));
        } catch (VmNotStoppedException running) { // the abort logs it
            throw DomainException.refusedForTheVmThatRuns(running,
                    "the run directory of domain " + in.spec.name() + " stays this host's");
        } catch (Exception e) {
            try {
                m.domains.store().deleteRunDir(in.spec.uuid()); // the domain is not active: the directory is nobody's
            } catch (IOException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
        m.domains.migrating().activate(in.domain, in.spec, vm, DomainState.PAUSED, DomainState.Reason.MIGRATION);
        return memory.listen(in, vm, tunnelled, dataHost);
    }

    /** The disks whose leases the arrival's Finish takes (none offline): what a restart gives back by. */
    private static List<String> leasedDisks(DomainSpec spec, MigrationFlags flags) {
        return flags.offline() ? List.of() : Leases.leasedDisks(spec);
    }
}
