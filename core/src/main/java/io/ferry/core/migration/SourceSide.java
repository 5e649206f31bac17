package io.ferry.core.migration;

import io.ferry.api.cookie.Phase;
import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.api.hypervisor.MigrationStats;
import io.ferry.api.hypervisor.VirtualMachine;
import io.ferry.core.builtin.JobStatistics;
import io.ferry.core.cookie.CookieBakery;
import io.ferry.core.cookie.ParsedCookie;
import io.ferry.core.domain.Domain;
import io.ferry.core.domain.DomainException;
import io.ferry.core.domain.DomainState;
import io.ferry.core.section.MigrationSectionContext;
import io.ferry.core.section.SectionSet;
import io.ferry.protocol.ControlClient;
import io.ferry.protocol.Messages.Begin;
import io.ferry.protocol.Messages.Begun;
import io.ferry.protocol.Messages.Confirm;
import io.ferry.protocol.Messages.Perform;
import io.ferry.protocol.Messages.Performed;
import java.io.BufferedOutputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The source's phases: Begin, Perform (memory out, VM paused at switch-over), Confirm (kill or resume). */
final class SourceSide {
    private static final Logger LOG = LoggerFactory.getLogger(SourceSide.class);
    private static final long MIB = 1024 * 1024;

    private final Migrations m;
    private final PeerClients peers;
    final Map<String, Outgoing> outgoing = new ConcurrentHashMap<>();

    SourceSide(Migrations migrations, PeerClients peers) {
        this.m = migrations;
        this.peers = peers;
    }

    Begun begin(Begin request) throws Exception {
        Domain domain = m.domains.get(request.domain());
        if (request.flags().tunnelled() && !request.flags().p2p()) {
            throw new MigrationException("cannot perform tunnelled migration without using peer2peer flag");
        }
        String id = UUID.randomUUID().toString();
        return m.domains.withJob(domain, "migration begin", () -> {
            boolean offline = request.flags().offline();
            if (offline && (domain.persistent() == null || !request.flags().persistent())) {
                throw new MigrationException("offline migration requires a persistent domain and --persistent");
            }
            if (!offline && !domain.isActive()) {
                throw new MigrationException("Requested operation is not valid: domain is not running");
            }
            m.domains.claim(domain, id);
            try {
                DomainSpec destination = offline ? domain.persistent() : domain.live();
                if (request.xml() != null) {
                    DomainSpec given = m.domains.parse(request.xml());
                    AbiCheck.require(destination, given);
                    destination = given;
                }
                if (request.dname() != null && !request.dname().isBlank()) {
                    destination = m.domains.xml().rename(destination, request.dname());
                }
                SectionSet sections = m.registry.snapshot();
                if (request.flags().v2() && m.domains.leases().manager().map(l -> l.usesState()).orElse(false)) {
                    throw new MigrationException("Cannot use migrate v2 protocol with lock manager " + m.domains.leases().managerName());
                }
                Journal.Entry entry = new Journal.Entry(id, Journal.Role.SOURCE, Journal.Step.BEGUN, domain.name(),
                        domain.uuid(), null, request.flags());
                LiveJob job = offline ? null : m.jobs.start(domain.name(), "Outgoing migration", request.bandwidthMiB() * MIB);
                Outgoing o = new Outgoing(id, domain, request.flags(), destination, job, sections, entry);
                try {
                    CookieBakery.Baked baked = m.bake(Phase.BEGIN, local(o), sections, Map.of());
                    if (request.flags().v2() && !baked.features().isEmpty()) {
                        throw new MigrationException("Cannot use migrate v2 protocol: cookie section " + baked.features().get(0)
                                + " is mandatory for domain " + domain.name() + " and needs the cookies of protocol v3");
                    }
                    m.hooks.begin(domain.name(), "source", destination.xml());
                    m.journal.record(entry);
                    outgoing.put(id, o);
                    return new Begun(id, destination.xml(), request.flags().v2() ? null : baked.xml(), Negotiation.versions(sections));
                } catch (Exception e) {
                    if (job != null) {
                        m.jobs.end(domain.name(), job, false);
                    }
                    m.streams.forget(id);
                    throw e;
                }
            } catch (Exception e) {
                m.domains.release(domain, id);
                throw e;
            }
        });
    }

    Performed perform(Perform request) throws Exception {
        Outgoing o = require(request.id());
        return m.domains.withJob(o.domain, "migration perform", o.id, () -> {
            o.entry = o.entry.withPeer(request.destUri()).at(Journal.Step.PERFORMING);
            m.journal.record(o.entry);
            if (!o.flags.v2()) {
                o.pinned = Negotiation.common(m.registry.snapshot(), request.peerSections());
                ParsedCookie prepared = m.parse(Phase.PERFORM, request.cookie(), o.destination,
                        Negotiation.current(o.pinned, m.registry.snapshot()));
                m.eat(Phase.PERFORM, local(o), prepared);
            }
            if (!o.flags.offline()) {
                MigrationStats stats = transfer(o, request);
                m.domains.setState(o.domain, DomainState.PAUSED, DomainState.Reason.MIGRATION);
                o.releasedLeases = m.domains.leases().release(o.domain.name());
                LOG.info("memory of {} sent: {} bytes in {} ms, {} rounds, downtime {} ms", o.domain.name(),
                        stats.processed(), stats.elapsedMillis(), stats.iteration(), stats.downtimeMillis());
            }
            if (o.flags.v2()) {
                // protocol 2 has no Confirm: the source goes now, whatever Finish will say
                complete(o);
                return new Performed(o.id, null);
            }
            Map<String, Object> coreData = new HashMap<>();
            if (o.job != null) {
                coreData.put(MigrationSectionContext.STATISTICS, statistics(o.job));
            }
            SectionSet sections = Negotiation.requirePinned(o.pinned, m.registry::snapshot);
            if (!o.flags.persistent()) {
                sections = new SectionSet(sections.all().stream().filter(h -> !h.descriptor().feature().equals("persistent")).toList());
            }
            CookieBakery.Baked baked = m.bake(Phase.PERFORM, local(o), sections, coreData);
            o.entry = o.entry.at(Journal.Step.PERFORMED);
            m.journal.record(o.entry);
            o.performedAt = System.currentTimeMillis();
            return new Performed(o.id, baked.xml());
        });
    }

    private MigrationStats transfer(Outgoing o, Perform request) throws Exception {
        VirtualMachine vm = o.domain.vm();
        if (vm == null) {
            throw new MigrationException("domain " + o.domain.name() + " has no running VM to migrate");
        }
        if ("tunnel".equals(request.dataUri())) {
            ControlClient.Upload upload = peers.client(request.destUri()).upload("migration/" + o.id + "/tunnel");
            try {
                DataChannel.sendToken(upload.body(), request.token());
                MigrationStats stats = vm.sendMemory(upload.body(), o.job);
                upload.finish();
                return stats;
            } catch (Exception e) {
                upload.abort();
                throw e;
            }
        }
        try (Socket socket = DataChannel.connect(request.dataUri())) {
            OutputStream out = new BufferedOutputStream(socket.getOutputStream(), 256 * 1024);
            DataChannel.sendToken(out, request.token());
            MigrationStats stats = vm.sendMemory(out, o.job);
            out.flush();
            socket.shutdownOutput();
            return stats;
        }
    }

    void confirm(Confirm request) throws Exception {
        Outgoing o = outgoing.get(request.id());
        if (o == null) {
            Optional<Journal.Entry> entry = m.journal.find(request.id());
            if (entry.isPresent() && entry.get().step().isFinal()) {
                return; // settled already (by recovery, or a repeated Confirm)
            }
            throw new MigrationException("no migration " + request.id() + " is under way on this host");
        }
        m.domains.withJob(o.domain, "migration confirm", o.id, () -> {
            if (request.cancelled()) {
                rollback(o);
            } else {
                if (request.cookie() != null) {
                    try {
                        SectionSet sections = Negotiation.current(o.pinned, m.registry.snapshot());
                        m.eat(Phase.CONFIRM, local(o), m.parse(Phase.CONFIRM, request.cookie(), o.destination, sections));
                    } catch (Exception e) {
                        // the destination committed: the domain runs there, so the source goes whatever the cookie says
                        LOG.warn("the Finish cookie of {} could not be eaten: {}", o.id, e.getMessage());
                    }
                }
                complete(o);
            }
            return null;
        });
    }

    /** The domain runs on the destination now: the source's copy goes. Caller holds the job. */
    void complete(Outgoing o) throws Exception {
        if (o.job != null && !o.flags.v2()) {
            // Finish succeeded, which it only does once the destination verified the memory digest
            MigrationStats s = o.job.stats();
            o.job.progress(new MigrationStats(s.elapsedMillis(), s.total(), s.processed(), s.remaining(), s.bandwidth(),
                    s.dirtyRate(), s.iteration(), s.downtimeMillis(), s.setupMillis(), s.pageSize(), true));
        }
        if (o.domain.isActive() && !o.flags.offline()) {
            m.domains.deactivate(o.domain, DomainState.Reason.MIGRATED);
        }
        if (o.flags.undefineSource() && o.domain.persistent() != null) {
            m.domains.dropPersistent(o.domain);
        }
        o.entry = o.entry.at(Journal.Step.CONFIRMED);
        m.journal.record(o.entry);
        end(o, true);
        m.hooks.end(o.domain.name(), "source", o.destination.xml());
        LOG.info("domain {} migrated away (migration {})", o.domain.name(), o.id);
    }

    /** The migration failed: the domain goes on here, resumed if the migration paused it. Caller holds the job. */
    void rollback(Outgoing o) throws Exception {
        VirtualMachine vm = o.domain.vm();
        if (vm != null && o.domain.state() == DomainState.PAUSED && o.domain.reason() == DomainState.Reason.MIGRATION) {
            try {
                m.domains.leases().acquire(o.domain.live(), o.releasedLeases);
                vm.resume();
                m.domains.setState(o.domain, DomainState.RUNNING, DomainState.Reason.MIGRATION_CANCELED);
                LOG.info("domain {} resumed on the source", o.domain.name());
            } catch (DomainException e) {
                // someone took the leases since the switch-over: running here could mean running twice
                LOG.error("domain {} stays paused: {}", o.domain.name(), e.getMessage());
            }
        }
        o.entry = o.entry.at(Journal.Step.ABORTED);
        m.journal.record(o.entry);
        end(o, false);
    }

    private void end(Outgoing o, boolean succeeded) {
        if (o.job != null) {
            m.jobs.end(o.domain.name(), o.job, succeeded);
        }
        outgoing.remove(o.id);
        m.streams.forget(o.id);
        m.domains.release(o.domain, o.id);
    }

    private Local local(Outgoing o) {
        String name = o.domain.name();
        return new Local(o.id, o.destination, Optional.ofNullable(o.domain.vm()),
                m.leases(name, () -> o.releasedLeases != null ? o.releasedLeases : m.domains.leases().state(name), state -> {
                }), o.entry.peer());
    }

    private Outgoing require(String id) throws MigrationException {
        Outgoing o = outgoing.get(id);
        if (o == null) {
            throw new MigrationException("no migration " + id + " is under way on this host");
        }
        return o;
    }

    static JobStatistics statistics(LiveJob job) {
        MigrationStats s = job.stats();
        Map<String, Long> fields = new HashMap<>();
        fields.put("started", job.started());
        fields.put("stopped", System.currentTimeMillis());
        fields.put("sent", System.currentTimeMillis());
        fields.put("time_elapsed", s.elapsedMillis());
        fields.put("downtime", s.downtimeMillis());
        fields.put("setup_time", s.setupMillis());
        fields.put("memory_total", s.total());
        fields.put("memory_processed", s.processed());
        fields.put("memory_remaining", s.remaining());
        fields.put("memory_bps", s.bandwidth());
        fields.put("memory_dirty_rate", s.dirtyRate());
        fields.put("memory_iteration", s.iteration());
        fields.put("memory_page_size", s.pageSize());
        return new JobStatistics(fields);
    }

    List<Outgoing> all() {
        return List.copyOf(outgoing.values());
    }
}
