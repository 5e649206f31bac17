package io.ferry.core.migration;

import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.core.domain.Domain;
import io.ferry.core.section.SectionSet;
import io.ferry.protocol.MigrationFlags;

/** A migration leaving this host, between Begin and Confirm. */
final class Outgoing {
    final String id;
    final Domain domain;
    final MigrationFlags flags;
    /** The definition sent to the destination (renamed, or the caller's --xml). */
    final DomainSpec destination;
    final LiveJob job;
    volatile SectionSet pinned;
    volatile Journal.Entry entry;
    /** When Perform completed (ms), 0 while it has not. */
    volatile long performedAt;
    /** The lease state the switch-over's release returned: what a rollback re-acquires with. */
    volatile String releasedLeases;

    Outgoing(String id, Domain domain, MigrationFlags flags, DomainSpec destination, LiveJob job, SectionSet pinned,
            Journal.Entry entry) {
        this.id = id;
        this.domain = domain;
        this.flags = flags;
        this.destination = destination;
        this.job = job;
        this.pinned = pinned;
        this.entry = entry;
    }
}
