package io.ferry.core.migration;

import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.core.domain.Domain;
import io.ferry.core.section.SectionSet;
import io.ferry.protocol.MigrationFlags;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/** A migration leaving this host, from Begin to Confirm: its step, journaled at each move. */
final class Outgoing {
    final String id;
    final Domain domain;
    final MigrationFlags flags;
    /** The definition sent to the destination (renamed, or the caller's --xml). */
    final DomainSpec destination;
    /**
     * The definition --persistent carries for the destination to keep when it is not {@link #destination}: the domain's
     * stored one, changed while the guest ran; null otherwise.
     */
    final DomainSpec persistent;
    /** The migration's job, null for an offline migration or one recovered after a restart. */
    final LiveJob job;
    final DriverWatch driver;
    /** One settlement with the destination at a time. */
    final AtomicBoolean settling = new AtomicBoolean();
    /** The daemon at the destination's address answered from another journal than the one that prepared it. */
    final AtomicBoolean forgotten = new AtomicBoolean();
    /** When the watchdog asks the destination again while no answer settled the migration. */
    final PeerBackoff asks = new PeerBackoff();
    volatile SectionSet pinned;
    /** The features Begin's cookie carried as mandatory, which the destination accepted at Prepare. */
    volatile List<String> mandatoryAtBegin = List.of();
    /** Protocol 2: the memory went out, so the destination could run the domain without any cookie. */
    volatile boolean memorySent;
    /** Whether the destination said, before the memory went, that it keeps the definition; null if it did not say. */
    volatile Boolean destinationKeepsDefinition;
    /**
     * Its completion stopped the copy here (destroyed its VM, whose run files may fail to go after), or, in an offline
     * migration, whose guest stays here, came to the drop of its definition under --undefinesource, which leaves the
     * destination's staged one the only one: the migration ends completed, never rolled back, and its fate says so
     * before CONFIRMED is recorded (protocol 2's Perform answers that it performed whatever failed after).
     */
    volatile boolean stoppedHere;
    /** When Perform completed (this host's clock, ms), 0 before. */
    volatile long performedAt;
    /**
     * Its end began: its rollback restores the run state from before Begin, or its copy here goes. Set in the domain's
     * run-state lock, where a suspend for it ({@code migrate --timeout}) looks it up: from then on that no longer acts.
     */
    volatile boolean ending;
    private volatile Journal.Entry entry;

    Outgoing(Journal.Entry entry, Domain domain, DomainSpec destination, DomainSpec persistent, LiveJob job, SectionSet pinned,
            DriverWatch driver) {
        this.id = entry.id();
        this.entry = entry;
        this.domain = domain;
        this.flags = entry.flags();
        this.destination = destination;
        this.persistent = persistent;
        this.job = job;
        this.pinned = pinned;
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

    /** The destination daemon, known from Perform on. */
    String peer() {
        return entry.peer();
    }

    /**
     * Whether this side may give up the migration without asking the destination: it can, as long as nothing
     * that lets the destination run the domain has left (the Perform cookie in protocol 3, the memory in 2), and its
     * completion has not stopped the copy here.
     */
    boolean mayRollBackAlone() {
        if (stoppedHere) {
            return false;
        }
        return flags.v2() ? !memorySent && step() != Step.PERFORMED : step() != Step.PERFORMED;
    }

    /** Records {@code next} (with {@code changed} applied) in the journal, then makes it this side's step. */
    synchronized void moveTo(Step next, Journal journal, java.util.function.UnaryOperator<Journal.Entry> changed)
            throws IOException {
        requireMove(entry.step(), next, id);
        Journal.Entry moved = changed.apply(entry.at(next));
        journal.record(moved);
        entry = moved;
    }

    void moveTo(Step next, Journal journal) throws IOException {
        moveTo(next, journal, e -> e);
    }

    /** Records a change of the entry that stays at its step (the lease state the switch-over released). */
    synchronized void record(Journal journal, java.util.function.UnaryOperator<Journal.Entry> changed) throws IOException {
        Journal.Entry updated = changed.apply(entry);
        journal.record(updated);
        entry = updated;
    }

    static void requireMove(Step from, Step to, String id) {
        if (!from.next().contains(to)) {
            throw new IllegalStateException("migration " + id + " cannot move from " + from.display() + " to " + to.display());
        }
    }
}
