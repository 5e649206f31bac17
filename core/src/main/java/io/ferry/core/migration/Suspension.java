package io.ferry.core.migration;

import io.ferry.core.domain.Domain;
import io.ferry.core.section.MigrationLog;
import io.ferry.protocol.DaemonClient;
import io.ferry.protocol.DomainMessages.Done;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code ferry suspend NAME}, virsh's suspend: the guest pauses, recorded paused (user), and only its operator resumes
 * it: not a restart, not recovery, not a rollback of a migration that began with it paused. As libvirt, a domain that
 * migrates out may be suspended too (how an operator makes a busy guest converge, and what {@code ferry migrate
 * --timeout} does): its Perform holds the job while the memory moves, so the pause goes without it, in one step with
 * its record ({@code DomainManager#suspend}). The migration goes on; if it fails, its rollback restores the state from
 * before Begin and resumes a guest that ran then.
 */
final class Suspension {
    private static final Logger LOG = LoggerFactory.getLogger(Suspension.class);

    private final Migrations m;
    private final SourceSide source;
    private final DestinationSide destination;

    Suspension(Migrations migrations, SourceSide source, DestinationSide destination) {
        this.m = migrations;
        this.source = source;
        this.destination = destination;
    }

    /**
     * @param migrationId only while this migration of the domain is under way here ({@code ferry migrate --timeout}),
     *        else {@link DaemonClient#NOT_UNDER_WAY} and nothing changes; null: whatever the domain does
     */
    Done suspend(String name, String migrationId) throws Exception {
        Domain domain = m.domains.get(name);
        if (migrationId == null) {
            return suspend(domain, source.ofDomain(name));
        }
        // looked up and paused in one step with the migration's end, which marks it ending in this lock: a pause that
        // waited for its rollback to resume the guest would leave it paused (user) here for good
        return m.domains.migrating().changingRunState(domain, () -> {
            Optional<Outgoing> out = source.ofDomain(name).filter(o -> o.id.equals(migrationId) && !o.ending);
            if (out.isEmpty()) {
                return new Done(DaemonClient.NOT_UNDER_WAY, "migration " + migrationId + " of " + name
                        + " is not under way here");
            }
            return suspend(domain, out);
        });
    }

    /** @param out the domain's migration out of this host, if any: the pause goes without the job it holds */
    private Done suspend(Domain domain, Optional<Outgoing> out) throws Exception {
        String name = domain.name();
        Optional<Incoming> in = destination.ofDomain(name);
        if (in.isPresent()) {
            throw new MigrationException("Requested operation is not valid: domain " + name + " is arriving by migration "
                    + in.get().id + " and does not run here before the migration commits");
        }
        boolean paused;
        if (out.isPresent()) {
            try (var tag = MigrationLog.tag(out.get().id)) {
                paused = m.domains.suspend(domain);
                if (paused) {
                    LOG.info("domain {} suspended during its migration {} (at {}): it goes on paused", name, out.get().id,
                            out.get().step().display());
                }
            }
        } else {
            paused = m.domains.withJob(domain, "suspend", () -> m.domains.suspend(domain));
        }
        return paused ? new Done(DaemonClient.SUSPENDED, "Domain '" + name + "' suspended")
                : new Done(DaemonClient.PAUSED_ALREADY, "Domain '" + name + "' is paused already ("
                        + domain.reason().display() + ")");
    }
}
