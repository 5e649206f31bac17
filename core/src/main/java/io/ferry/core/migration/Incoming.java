package io.ferry.core.migration;

import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.api.hypervisor.MigrationStats;
import io.ferry.api.hypervisor.VirtualMachine;
import io.ferry.core.domain.Domain;
import io.ferry.core.section.SectionSet;
import io.ferry.protocol.MigrationFlags;
import java.io.IOException;
import java.net.ServerSocket;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/** A migration arriving on this host, from Prepare to Finish: its step, journaled at each move. */
final class Incoming {
    final String id;
    final Domain domain;
    final DomainSpec spec;
    final MigrationFlags flags;
    final SectionSet pinned;
    final String token;
    /**
     * The migration's job, null for an offline migration or one recovered after a restart until its incoming VM outlives
     * its kill ({@link IncomingMigrations}): then domjobinfo shows why the arrival is held.
     */
    volatile LiveJob job;
    final DriverWatch driver;
    /** Completes when the memory has arrived and was verified, or with the reason it was not. */
    final CompletableFuture<MigrationStats> memory = new CompletableFuture<>();
    /** Only one memory stream is ever taken. */
    final AtomicBoolean streamTaken = new AtomicBoolean();
    /** One clean-up at a time. */
    final AtomicBoolean settling = new AtomicBoolean();
    /** When the memory stream ended, well or not (this host's clock, ms), 0 before. */
    volatile long memoryEndedAt;
    volatile ServerSocket listener;
    /**
     * The incoming VM Prepare made, where its memory goes; null for one recovered after a restart (no stream comes).
     * Not the domain's VM at the time a stream proves itself: by then the arrival may have been aborted and the domain,
     * defined here, have the next arrival's VM.
     */
    volatile VirtualMachine vm;
    /** Where the memory goes, as Prepare handed it out ({@code tcp:HOST:PORT}, or {@code tunnel}); null offline. */
    volatile String dataUri;
    /** The incoming VM listens for its memory itself (DirectMigration): no token, no listener of the core's. */
    volatile boolean direct;
    /** The lease state the source sent (lockstate), to take the leases with at Finish; null for fresh leases. */
    volatile String leaseState;
    /** The features this migration carried as mandatory: what the domain's next migration from here must carry. */
    final Set<String> mandatory = ConcurrentHashMap.newKeySet();
    /**
     * Whether the source named each cookie's migration and phase (its Begin cookie did): then Finish takes only a cookie
     * that says it is this migration's Perform cookie.
     */
    volatile boolean sourceNamesOrigins;
    /** The certificate subject of the peer daemon that prepared it, its driver; null: an operator did. */
    volatile String preparedBy;
    /** Why this side failed on its own, for the driver (a full disk, say); null while it has not. */
    volatile String failure;
    /** Taken in hand again after a restart: whether its Finish took the leases before the daemon died is not known. */
    volatile boolean recovered;
    /** Its drop found the domain running here since (a start after the restart): only its abort was recorded. */
    volatile boolean outlived;
    /**
     * Its Finish's take of the leases failed unanswered (the lock manager out of reach): it may have gone through, and
     * the leases be this host's with no VM here to hold them, so the abort gives back what it may hold.
     */
    volatile boolean leasesUnknown;
    /** Why it was aborted, while its incoming VM outlived its kill and the abort waits to be tried again; else null. */
    volatile String abortPending;
    /** When the watchdog tries that abort again (the engine's clock). */
    volatile long retryAbortAt;
    /** The driver's words on the VM that outlived its kill, while {@link #abortPending}. */
    volatile String vmNotStopped;
    private volatile Journal.Entry entry;

    Incoming(Journal.Entry entry, Domain domain, DomainSpec spec, SectionSet pinned, String token, LiveJob job,
            DriverWatch driver) {
        this.id = entry.id();
        this.entry = entry;
        this.domain = domain;
        this.spec = spec;
        this.flags = entry.flags();
        this.pinned = pinned;
        this.token = token;
        this.job = job;
        this.driver = driver;
    }

    Journal.Entry entry() {
        return entry;
    }

    Step step() {
        return entry.step();
    }

    String key() {
        return entry.key();
    }

    synchronized void moveTo(Step next, Journal journal) throws IOException {
        Outgoing.requireMove(entry.step(), next, id);
        Journal.Entry moved = entry.at(next);
        journal.record(moved);
        entry = moved;
    }

    /**
     * Records the commit point, with the state of the leases Finish took (null: none): what a restarted daemon takes
     * them again with, refused if another host held them meanwhile; and with the features the migration carried as
     * mandatory, which a restarted daemon remembers for the domain as this one would have at the arrival's end.
     */
    synchronized void commit(Journal journal, String heldLeases) throws IOException {
        Outgoing.requireMove(entry.step(), Step.COMMITTED, id);
        Journal.Entry committed = entry.withLeaseState(heldLeases).withMandatory(mandatory).at(Step.COMMITTED);
        journal.record(committed);
        entry = committed;
    }

    /** Moves on without a journal record: for a step that recovery settles as the one before it (FINISHING). */
    synchronized void moveInMemory(Step next) {
        Outgoing.requireMove(entry.step(), next, id);
        entry = entry.at(next);
    }

    /**
     * Moves to ABORTED in memory, with the state the release of the leases returned (null: this host held none):
     * what the source takes them back with. Returns the entry, which the caller records (or, on a full disk, keeps).
     */
    synchronized Journal.Entry abortInMemory(String releasedLeases) {
        Outgoing.requireMove(entry.step(), Step.ABORTED, id);
        entry = entry.withLeaseState(releasedLeases).at(Step.ABORTED);
        return entry;
    }
}
