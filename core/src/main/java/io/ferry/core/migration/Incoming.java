package io.ferry.core.migration;

import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.api.hypervisor.MigrationStats;
import io.ferry.core.domain.Domain;
import io.ferry.core.section.SectionSet;
import io.ferry.protocol.MigrationFlags;
import java.net.ServerSocket;
import java.util.concurrent.CompletableFuture;

/** A migration arriving on this host, between Prepare and Finish. */
final class Incoming {
    final String id;
    final Domain domain;
    final DomainSpec spec;
    final MigrationFlags flags;
    final SectionSet pinned;
    final String token;
    final LiveJob job;
    /** Completes when the memory has arrived and was verified, or with the reason it was not. */
    final CompletableFuture<MigrationStats> memory = new CompletableFuture<>();
    final long preparedAt = System.currentTimeMillis();
    volatile Journal.Entry entry;
    volatile ServerSocket listener;
    /** When the memory stream ended (ms), 0 while it has not. */
    volatile long streamEndedAt;
    /** The lease state the source sent (lockstate), to acquire the leases with at Finish; null for fresh leases. */
    volatile String leaseState;

    Incoming(String id, Domain domain, DomainSpec spec, MigrationFlags flags, SectionSet pinned, String token, LiveJob job,
            Journal.Entry entry) {
        this.id = id;
        this.domain = domain;
        this.spec = spec;
        this.flags = flags;
        this.pinned = pinned;
        this.token = token;
        this.job = job;
        this.entry = entry;
    }
}
