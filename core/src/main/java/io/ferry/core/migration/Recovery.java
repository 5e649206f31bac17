package io.ferry.core.migration;

import io.ferry.core.domain.Domain;
import io.ferry.core.domain.DomainState;
import io.ferry.core.section.MigrationLog;
import io.ferry.core.section.SectionSet;
import io.ferry.protocol.Messages.Outcome;
import io.ferry.protocol.HttpPeer;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Settles migrations that nobody will drive to their end, by the failure matrix: before the destination
 * committed, the domain goes on at the source; after, it goes on at the destination; never both. Runs at start
 * for what the journal left unfinished, and every tick for migrations whose driver went away.
 */
final class Recovery {
    private static final Logger LOG = LoggerFactory.getLogger(Recovery.class);
    /** How long a destination waits for a memory stream that never came. */
    static final long STREAM_WAIT_MILLIS = 600_000;

    private final Migrations m;
    private final SourceSide source;
    private final DestinationSide destination;
    private final PeerClients peers;
    private final List<Journal.Entry> pending = new CopyOnWriteArrayList<>();
    private final long confirmWaitMillis;
    private final long finishWaitMillis;

    Recovery(Migrations migrations, SourceSide source, DestinationSide destination, PeerClients peers,
            long confirmWaitSeconds, long finishWaitSeconds) {
        this.confirmWaitMillis = confirmWaitSeconds * 1000;
        this.finishWaitMillis = finishWaitSeconds * 1000;
        this.m = migrations;
        this.source = source;
        this.destination = destination;
        this.peers = peers;
    }

    /** Takes the journal's unfinished migrations; their domains are claimed at once so nothing else starts them. */
    void load() {
        try {
            for (Journal.Entry entry : m.journal.unfinished()) {
                Optional<Domain> domain = m.domains.find(entry.domain());
                if (domain.isEmpty()) {
                    abortGone(entry);
                    continue;
                }
                m.domains.claim(domain.get(), entry.id());
                pending.add(entry);
                LOG.info("migration {} of {} was left at {}: settling it", entry.id(), entry.domain(), entry.step());
            }
        } catch (Exception e) {
            LOG.error("cannot read the migration journal: {}", e.getMessage());
        }
    }

    void tick() {
        try {
            for (Journal.Entry entry : pending) {
                try (var tag = MigrationLog.tag(entry.id())) {
                    if (settleAfterRestart(entry)) {
                        pending.remove(entry);
                    }
                }
            }
            resumeCommitted();
            long now = System.currentTimeMillis();
            for (Outgoing o : source.all()) {
                if (o.performedAt > 0 && now - o.performedAt > confirmWaitMillis) {
                    try (var tag = MigrationLog.tag(o.id)) {
                        askDestination(o);
                    }
                }
            }
            for (Incoming in : destination.all()) {
                boolean streamGone = in.streamEndedAt > 0 && now - in.streamEndedAt > finishWaitMillis;
                boolean neverCame = in.streamEndedAt == 0 && now - in.preparedAt > STREAM_WAIT_MILLIS;
                if ((streamGone || neverCame) && in.entry.step() == Journal.Step.PREPARED) {
                    try (var tag = MigrationLog.tag(in.id)) {
                        m.domains.withJob(in.domain, "migration clean-up", in.id, () -> {
                            if (in.entry.step() == Journal.Step.PREPARED) {
                                destination.abort(in, "no Finish came");
                            }
                            return null;
                        });
                    }
                }
            }
        } catch (Exception e) {
            LOG.error("migration watchdog: {}", e.getMessage());
        }
    }

    /** @return true once the entry is settled */
    private boolean settleAfterRestart(Journal.Entry entry) throws Exception {
        Domain domain = m.domains.find(entry.domain()).orElse(null);
        if (domain == null) {
            abortGone(entry);
            return true;
        }
        if (domain.isActive() && domain.vm() == null) {
            return false; // its driver has not re-attached the VM yet
        }
        Outgoing o = new Outgoing(entry.id(), domain, entry.flags(), domain.current(), null, new SectionSet(List.of()), entry);
        if (entry.role() == Journal.Role.SOURCE) {
            source.outgoing.put(o.id, o);
            if (entry.step() == Journal.Step.PERFORMED) {
                o.performedAt = 1; // only the destination knows: ask it now
                return true;
            }
            // Perform never answered: the destination cannot have committed
            m.domains.withJob(domain, "migration recovery", entry.id(), () -> {
                source.rollback(o);
                return null;
            });
            return true;
        }
        Incoming in = new Incoming(entry.id(), domain, domain.current(), entry.flags(), new SectionSet(List.of()), "", null, entry);
        m.domains.withJob(domain, "migration recovery", entry.id(), () -> {
            destination.abort(in, "the daemon restarted before the migration was committed");
            return null;
        });
        return true;
    }

    /**
     * Settles a migration whose domain this host no longer knows (an offline one's incoming domain lives in memory
     * until Finish): aborted, and whatever it staged goes with it.
     */
    private void abortGone(Journal.Entry entry) throws Exception {
        m.journal.record(entry.at(Journal.Step.ABORTED));
        if (entry.role() == Journal.Role.DESTINATION) {
            m.snapshots.discard(entry.id());
        }
    }

    private void askDestination(Outgoing o) {
        Outcome outcome;
        try {
            outcome = new HttpPeer(peers.client(o.entry.peer())).fate(o.id).outcome();
        } catch (Exception e) {
            LOG.warn("cannot ask {} about migration {} yet: {}; {} stays paused", o.entry.peer(), o.id, e.getMessage(),
                    o.domain.name());
            return;
        }
        if (outcome == Outcome.IN_PROGRESS) {
            return;
        }
        try {
            m.domains.withJob(o.domain, "migration recovery", o.id, () -> {
                if (outcome == Outcome.COMMITTED) {
                    LOG.info("the destination runs {}: completing the migration here", o.domain.name());
                    source.complete(o);
                } else {
                    LOG.info("the destination did not commit {} ({}): resuming it here", o.domain.name(), outcome);
                    source.rollback(o);
                }
                return null;
            });
        } catch (Exception e) {
            LOG.error("settling migration {} failed: {}", o.id, e.getMessage());
        }
    }

    /**
     * A domain paused for a migration that no migration owns any more was committed here just before a restart
     * (the journal said COMMITTED, the resume had not happened): it belongs to this host, so it runs.
     */
    private void resumeCommitted() throws Exception {
        for (Domain domain : m.domains.list()) {
            if (domain.state() == DomainState.PAUSED && domain.reason() == DomainState.Reason.MIGRATION
                    && domain.migration() == null && domain.vm() != null) {
                m.domains.withJob(domain, "migration recovery", () -> {
                    if (domain.state() == DomainState.PAUSED && domain.migration() == null) {
                        domain.vm().resume();
                        m.domains.setState(domain, DomainState.RUNNING, DomainState.Reason.MIGRATED);
                        LOG.info("domain {} was committed here before a restart: resumed", domain.name());
                    }
                    return null;
                });
            }
        }
    }
}
