package io.ferry.core.migration;

import io.ferry.core.domain.Domain;
import io.ferry.core.domain.DomainState;
import io.ferry.core.section.SectionSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The incoming migrations this host holds, and how one leaves them: dropped ({@link #abort}) or let go ({@link #end}). */
final class IncomingMigrations {
    /** The destination's log lines keep the logger they had before this class was split out of it. */
    private static final Logger LOG = LoggerFactory.getLogger(DestinationSide.class);

    private final Migrations m;
    private final IncomingRecords records;
    private final Map<String, Incoming> incoming = new ConcurrentHashMap<>();

    IncomingMigrations(Migrations migrations, IncomingRecords records) {
        this.m = migrations;
        this.records = records;
    }

    void add(Incoming in) {
        incoming.put(in.id, in);
    }

    boolean holds(String id) {
        return incoming.containsKey(id);
    }

    /**
     * Drops the incoming domain: it never ran here. Caller holds the job (or runs before anyone could), and
     * the migration is not committed.
     */
    void abort(Incoming in, String why) {
        try {
            DataChannel.closeQuietly(in.listener);
            in.memory.cancel(true);
            String released = in.domain.isActive()
                    ? m.domains.migrating().deactivate(in.domain, DomainState.Reason.MIGRATED, in.id) : null;
            if (in.recovered && !in.flags.offline()) {
                released = m.domains.leases().releaseAfterRestart(in.spec, in.id);
            }
            if (m.domains.leases().owed().owes(in.spec.uuid())) {
                records.abortedOwingLeases(in);
            } else {
                records.aborted(in, released);
            }
            m.domains.migrating().discardIncomingDefinition(in.id);
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

    void end(Incoming in, boolean succeeded) {
        if (in.job != null) {
            m.jobs.end(in.spec.name(), in.job, succeeded);
        }
        incoming.remove(in.id);
        m.streams.forget(in.id);
        m.domains.migrating().release(in.domain, in.id);
    }

    Local local(Incoming in) {
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
