package io.ferry.core.migration;

import io.ferry.core.domain.Domain;
import io.ferry.core.section.SectionSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/** The outgoing migrations this host holds, found by id (with their key) or domain, and let go when they end. */
final class OutgoingMigrations {
    private final Migrations m;
    private final Map<String, Outgoing> outgoing = new ConcurrentHashMap<>();

    OutgoingMigrations(Migrations migrations) {
        this.m = migrations;
    }

    void add(Outgoing o) {
        outgoing.put(o.id, o);
    }

    void end(Outgoing o, boolean succeeded) {
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

    Optional<Outgoing> find(String id) {
        return Optional.ofNullable(outgoing.get(id));
    }

    Optional<Outgoing> ofDomain(String domain) {
        return outgoing.values().stream().filter(o -> o.domain.name().equals(domain)).findFirst();
    }

    /** A migration recovered from the journal after a restart, taken in hand again. */
    Outgoing adopt(Journal.Entry entry, Domain domain) {
        // its job again: domjobinfo shows what domjobabort acts on while the guest waits, paused, for its settlement
        LiveJob job = entry.flags().offline() ? null : m.jobs.start(domain.name(), "Outgoing migration", 0);
        Outgoing o = new Outgoing(entry, domain, domain.current(), job, new SectionSet(List.of()), m.newWatch());
        o.memorySent = entry.flags().v2(); // protocol 2 leaves no trace of it: assume the worst
        o.performedAt = m.clock.getAsLong();
        outgoing.put(o.id, o);
        return o;
    }

    List<Outgoing> all() {
        return List.copyOf(outgoing.values());
    }
}
