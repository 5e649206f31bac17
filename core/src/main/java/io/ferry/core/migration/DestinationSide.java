package io.ferry.core.migration;

import io.ferry.api.cookie.Phase;
import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.api.hypervisor.MigrationStats;
import io.ferry.api.hypervisor.VirtualMachine;
import io.ferry.core.cookie.ParsedCookie;
import io.ferry.core.domain.Domain;
import io.ferry.core.domain.DomainState;
import io.ferry.core.section.MigrationSectionContext;
import io.ferry.core.section.SectionSet;
import io.ferry.protocol.Messages.Finish;
import io.ferry.protocol.Messages.Finished;
import io.ferry.protocol.Messages.Prepare;
import io.ferry.protocol.Messages.Prepared;
import io.ferry.protocol.xml.XmlWriter;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.w3c.dom.Element;

/** The destination's phases: Prepare (incoming VM paused, data endpoint) and Finish (verify, commit, resume). */
final class DestinationSide {
    private static final Logger LOG = LoggerFactory.getLogger(DestinationSide.class);
    private static final int ACCEPT_TIMEOUT_MILLIS = 600_000;
    private static final long MEMORY_WAIT_SECONDS = 120;

    private final Migrations m;
    final Map<String, Incoming> incoming = new ConcurrentHashMap<>();

    DestinationSide(Migrations migrations) {
        this.m = migrations;
    }

    Prepared prepare(Prepare request) throws Exception {
        String id = request.id();
        if (!id.matches("[A-Za-z0-9-]{1,64}") || incoming.containsKey(id) || m.journal.find(id).isPresent()) {
            throw new MigrationException("migration id '" + id + "' is invalid or already known on this host");
        }
        if (request.domainXml() == null) {
            throw new MigrationException("Prepare carried no domain definition");
        }
        DomainSpec spec = m.domains.parse(request.domainXml());
        Domain domain = m.domains.incoming(spec);
        return m.domains.withJob(domain, "migration prepare", () -> {
            if (domain.isActive()) {
                throw new MigrationException("Requested operation is not valid: domain '" + spec.name() + "' is already active on this host");
            }
            m.domains.claim(domain, id);
            Incoming in = null;
            try {
                SectionSet local = m.registry.snapshot();
                SectionSet pinned = new SectionSet(List.of());
                ParsedCookie begin = null;
                if (!request.flags().v2()) {
                    begin = m.parse(Phase.PREPARE, request.cookie(), spec, local);
                    Negotiation.requireMandatory(begin.features(), local, request.sections());
                    pinned = Negotiation.common(local, request.sections());
                }
                m.hooks.begin(spec.name(), "destination", spec.xml());
                Journal.Entry entry = new Journal.Entry(id, Journal.Role.DESTINATION, Journal.Step.PREPARED, spec.name(),
                        spec.uuid(), request.sourceUri(), request.flags());
                m.journal.record(entry);
                boolean offline = request.flags().offline();
                LiveJob job = offline ? null : m.jobs.start(spec.name(), "Incoming migration", 0);
                in = new Incoming(id, domain, spec, request.flags(), pinned, DataChannel.newToken(), job, entry);
                incoming.put(id, in);
                String dataUri = null;
                if (!offline) {
                    VirtualMachine vm = m.domains.hypervisor(spec.type()).createIncoming(spec, m.domains.store().runDir(spec.uuid()));
                    m.domains.activate(domain, spec, vm, DomainState.PAUSED, DomainState.Reason.MIGRATION);
                    if (request.flags().tunnelled()) {
                        dataUri = "tunnel";
                    } else {
                        in.listener = DataChannel.listen(dataHost());
                        dataUri = DataChannel.uri(in.listener);
                        receiveInBackground(in);
                    }
                }
                if (begin != null) {
                    m.eat(Phase.PREPARE, local(in), begin);
                }
                String cookie = request.flags().v2() ? null : m.bake(Phase.PREPARE, local(in), pinned, Map.of()).xml();
                return new Prepared(id, dataUri, in.token, cookie, Negotiation.versions(local));
            } catch (Exception e) {
                if (in != null) {
                    abort(in, e.getMessage());
                } else {
                    m.domains.release(domain, id);
                }
                throw e;
            }
        });
    }

    private InetAddress dataHost() throws Exception {
        InetAddress listen = m.settings.listen().getAddress();
        return listen.isAnyLocalAddress() ? InetAddress.getLocalHost() : listen;
    }

    private void receiveInBackground(Incoming in) {
        Thread receiver = new Thread(() -> {
            try (ServerSocket server = in.listener) {
                server.setSoTimeout(ACCEPT_TIMEOUT_MILLIS);
                try (Socket socket = server.accept()) {
                    server.close();
                    receive(in, new BufferedInputStream(socket.getInputStream(), 256 * 1024));
                }
            } catch (Exception e) {
                in.streamEndedAt = System.currentTimeMillis();
                in.memory.completeExceptionally(e);
            }
        }, "ferry-incoming-" + in.id.substring(0, 8));
        receiver.setDaemon(true);
        receiver.start();
    }

    /** Receives the memory stream of a migration (direct connection or tunnel); completes its future. */
    void receive(Incoming in, InputStream stream) throws Exception {
        try {
            DataChannel.expectToken(stream, in.token);
            MigrationStats stats = in.domain.vm().receiveMemory(stream, in.job);
            in.job.progress(stats);
            in.streamEndedAt = System.currentTimeMillis();
            in.memory.complete(stats);
        } catch (Exception e) {
            in.streamEndedAt = System.currentTimeMillis();
            in.memory.completeExceptionally(e);
            throw e;
        }
    }

    Finished finish(Finish request) throws Exception {
        Incoming in = incoming.get(request.id());
        if (in == null) {
            Optional<Journal.Entry> entry = m.journal.find(request.id());
            if (entry.isPresent() && entry.get().role() == Journal.Role.DESTINATION) {
                if (entry.get().step() == Journal.Step.COMMITTED) {
                    return new Finished(request.id(), entry.get().domain(), null);
                }
                if (request.cancelled()) {
                    return new Finished(request.id(), null, null);
                }
            }
            throw new MigrationException("no incoming migration " + request.id() + " on this host");
        }
        return m.domains.withJob(in.domain, "migration finish", in.id, () -> {
            if (request.cancelled()) {
                abort(in, "cancelled by the source");
                return new Finished(in.id, null, null);
            }
            in.entry = in.entry.at(Journal.Step.FINISHING);
            m.journal.record(in.entry);
            MigrationStats stats = null;
            try {
                if (!in.flags.offline()) {
                    stats = awaitMemory(in);
                }
                if (!in.flags.v2()) {
                    ParsedCookie performed = m.parse(Phase.FINISH, request.cookie(), in.spec,
                            Negotiation.requirePinned(in.pinned, m.registry::snapshot));
                    m.eat(Phase.FINISH, local(in), performed);
                    Optional<Object> definition = performed.value("persistent");
                    if (definition.isPresent()) {
                        m.domains.makePersistent(in.domain, m.domains.parse(XmlWriter.write((Element) definition.get())));
                    }
                }
                if (in.flags.offline() && in.domain.persistent() == null) {
                    m.domains.makePersistent(in.domain, in.spec);
                }
                if (!in.flags.offline()) {
                    m.domains.leases().acquire(in.spec, in.leaseState);
                }
            } catch (Exception e) {
                abort(in, e.getMessage());
                throw e;
            }
            in.entry = in.entry.at(Journal.Step.COMMITTED);
            m.journal.record(in.entry); // the commit point: from here on the domain belongs to this host
            if (!in.flags.offline()) {
                in.domain.vm().resume();
                m.domains.setState(in.domain, DomainState.RUNNING, DomainState.Reason.MIGRATED);
            }
            try { // after the resume: writing thousands of snapshot files must not lengthen the guest's downtime
                m.snapshots.commit(in.id);
            } catch (IOException e) {
                LOG.error("the snapshots of {} arrived but could not be committed: {}", in.spec.name(), e.getMessage());
            }
            Map<String, Object> coreData = new HashMap<>();
            if (in.job != null) {
                coreData.put(MigrationSectionContext.STATISTICS, SourceSide.statistics(in.job));
                m.jobs.end(in.spec.name(), in.job, true);
            }
            String cookie = null;
            if (!in.flags.v2()) {
                try {
                    cookie = m.bake(Phase.FINISH, local(in), Negotiation.current(in.pinned, m.registry.snapshot()), coreData).xml();
                } catch (Exception e) {
                    // committed: the domain runs here whatever a section says now; Confirm does without this cookie
                    LOG.warn("the Finish cookie of {} could not be baked: {}", in.id, e.getMessage());
                }
            }
            incoming.remove(in.id);
            m.domains.release(in.domain, in.id);
            m.hooks.end(in.spec.name(), "destination", in.spec.xml());
            LOG.info("domain {} arrived and runs here (migration {}, memory verified: {})", in.spec.name(), in.id,
                    stats == null ? "n/a" : stats.memoryVerified());
            return new Finished(in.id, in.spec.name(), cookie);
        });
    }

    private static MigrationStats awaitMemory(Incoming in) throws Exception {
        try {
            MigrationStats stats = in.memory.get(MEMORY_WAIT_SECONDS, TimeUnit.SECONDS);
            if (!stats.memoryVerified()) {
                throw new MigrationException("the memory of domain " + in.spec.name() + " arrived but was not verified");
            }
            return stats;
        } catch (ExecutionException e) {
            throw new MigrationException("migration of " + in.spec.name() + " failed on the destination: "
                    + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new MigrationException("the memory of domain " + in.spec.name() + " did not arrive within " + MEMORY_WAIT_SECONDS + " s");
        }
    }

    /** Drops the incoming domain: it never ran here. Caller holds the job or runs before anyone could. */
    void abort(Incoming in, String why) {
        try {
            if (in.listener != null) {
                in.listener.close();
            }
            in.memory.cancel(true);
            if (in.domain.isActive()) {
                m.domains.deactivate(in.domain, DomainState.Reason.MIGRATED);
            }
            in.entry = in.entry.at(Journal.Step.ABORTED);
            m.journal.record(in.entry);
            m.snapshots.discard(in.id);
        } catch (Exception e) {
            LOG.error("clean-up of incoming migration {} failed: {}", in.id, e.getMessage());
        } finally {
            if (in.job != null) {
                m.jobs.end(in.spec.name(), in.job, false);
            }
            incoming.remove(in.id);
            m.streams.forget(in.id);
            m.domains.release(in.domain, in.id);
            LOG.warn("incoming migration {} of {} aborted: {}", in.id, in.spec.name(), why);
        }
    }

    private Local local(Incoming in) {
        String name = in.spec.name();
        return new Local(in.id, in.spec, Optional.ofNullable(in.domain.vm()),
                m.leases(name, () -> m.domains.leases().state(name), state -> in.leaseState = state), in.entry.peer());
    }

    Optional<Incoming> find(String id) {
        return Optional.ofNullable(incoming.get(id));
    }

    List<Incoming> all() {
        return List.copyOf(incoming.values());
    }
}
