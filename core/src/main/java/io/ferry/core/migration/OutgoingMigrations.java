package io.ferry.core.migration;

import io.ferry.core.daemon.LatestIds;
import io.ferry.core.domain.Domain;
import io.ferry.core.section.SectionSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The outgoing migrations this host holds, found by id (with their key) or domain, and let go when they end; and the
 * ids an operator withdrew before their Begin registered them here, which then never begins.
 */
final class OutgoingMigrations {
    /** How many withdrawn ids are kept: each is one operator's Ctrl-C of a migration that was waiting to begin. */
    private static final int WITHDRAWN_KEPT = 1024;

    private final Migrations m;
    private final Map<String, Outgoing> outgoing = new ConcurrentHashMap<>();
    /** Ids withdrawn before their Begin registered them; looked at and added under this, atomic with add. */
    private final LatestIds withdrawn = new LatestIds(WITHDRAWN_KEPT);

    OutgoingMigrations(Migrations migrations) {
        this.m = migrations;
    }

    /** Registers a Begin's migration, unless an operator withdrew its id meanwhile ({@link #findOrWithdraw}). */
    synchronized void add(Outgoing o) throws MigrationException {
        requireNotWithdrawn(o.id, o.domain.name());
        if (outgoing.putIfAbsent(o.id, o) != null) {
            throw new MigrationException("migration id " + o.id + " is taken on this host");
        }
    }

    synchronized void requireNotWithdrawn(String id, String domain) throws MigrationException {
        if (withdrawn.contains(id)) {
            throw new MigrationException("migration " + id + " of " + domain + " was aborted by the operator (domjobabort)"
                    + " before it began");
        }
    }

    /**
     * The migration {@code id}, or, when this host holds none of that id, its withdrawal: a Begin of it that is still
     * on its way (waiting for the domain's job, say) is refused from now on. Atomic with {@link #add}: either the
     * Begin registered first and is found, or it is refused.
     */
    synchronized Optional<Outgoing> findOrWithdraw(String id) {
        Outgoing o = outgoing.get(id);
        if (o == null) {
            withdrawn.add(id);
        }
        return Optional.ofNullable(o);
    }

    /** Forgets a Begin's migration that failed after {@link #add}. */
    void remove(Outgoing o) {
        outgoing.remove(o.id, o);
    }

    void end(Outgoing o, boolean succeeded) {
        if (o.job != null) {
            m.jobs.end(o.domain.name(), o.job, succeeded);
        }
        outgoing.remove(o.id);
        m.streams.forget(o.id);
        m.domains.migrating().release(o.domain, o.id);
    }

    Local local(Outgoing o) {
        String name = o.domain.name();
        return new Local(o.id, o.key(), o.destination, Optional.ofNullable(o.domain.vm()),
                m.leases(name, () -> o.entry().leaseState() != null ? o.entry().leaseState() : m.domains.leases().state(name),
                        state -> {
                        }), o.peer(), Optional.ofNullable(o.job), Optional.ofNullable(o.persistent));
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
        LiveJob job = entry.flags().offline() ? null : m.jobs.start(domain.name(), "Outgoing migration", entry.id(), 0);
        Outgoing o = new Outgoing(entry, domain, domain.current(), null, job, new SectionSet(List.of()), m.newWatch());
        o.memorySent = entry.flags().v2(); // protocol 2 leaves no trace of it: assume the worst
        o.performedAt = m.clock.getAsLong();
        outgoing.put(o.id, o);
        return o;
    }

    List<Outgoing> all() {
        return List.copyOf(outgoing.values());
    }
}
