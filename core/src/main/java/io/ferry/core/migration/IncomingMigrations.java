package io.ferry.core.migration;

import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.api.hypervisor.VmNotStoppedException;
import io.ferry.core.domain.Domain;
import io.ferry.core.domain.DomainState;
import io.ferry.core.domain.ReleasedLeases;
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
    /** How long the watchdog waits between tries to abort a migration whose incoming VM outlived its kill. */
    static final long RETRY_STOP_MILLIS = 5_000;

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
     * the migration is not committed. An incoming VM that outlives its kill is not dropped ({@link #keepUntilItsVmStops}).
     * Each of its callers (its Prepare, its Finish, the watchdog, its source's settle, domjobabort, a restart's
     * recovery) may find it after another dropped it: an arrival no longer in hand is left, as its leases, given back
     * twice, would move past the state the first abort recorded. An arrival a restart's recovery took in hand again was
     * adopted without the domain's job, and a start that held the job then may have booted a guest since
     * ({@link #outlivedBy}): that guest and its leases are the start's, and only the abort is recorded.
     */
    void abort(Incoming in, String why) {
        if (find(in.id).orElse(null) != in) {
            LOG.debug("migration {} is no longer in hand here: not dropped again ({})", in.id, Hooks.loggable(why));
            return;
        }
        if (in.recovered && outlivedBy(in.entry(), in.domain)) {
            in.outlived = true;
            end(in, false);
            return;
        }
        boolean dropped = true;
        in.streamTaken.set(true); // a stream that proves itself after this (a tunnel's token held back) is refused
        try {
            DataChannel.closeQuietly(in.listener);
            in.memory.cancel(true);
            String released = in.domain.isActive()
                    ? m.domains.migrating().deactivate(in.domain, DomainState.Reason.MIGRATED, in.id) : null;
            if ((in.recovered || in.leasesUnknown) && !in.flags.offline() && !records.owesLeasesOf(in.id)) {
                released = m.domains.leases().releaseAfterRestart(leasedAtFinish(in), in.id);
            }
            if (m.domains.leases().owed().owes(in.spec.uuid())) {
                records.abortedOwingLeases(in);
            } else {
                records.aborted(in, released);
            }
            m.domains.migrating().discardIncomingDefinition(in.id);
            m.snapshots.discard(in.id);
        } catch (VmNotStoppedException e) {
            dropped = false;
            keepUntilItsVmStops(in, why, e);
        } catch (Exception e) {
            LOG.error("clean-up of incoming migration {} failed: {}", in.id, e.getMessage());
        } finally {
            if (dropped) {
                if (in.job != null) {
                    in.job.failed(why);
                }
                end(in, false);
                if (in.abortPending == null) { // else its failed event came when its VM first outlived its kill
                    m.hooks.failed(in.spec.name(), "destination", why);
                }
                LOG.warn("incoming migration {} of {} failed and was dropped: {}", in.id, in.spec.name(),
                        Hooks.loggable(why));
            }
        }
    }

    /**
     * Whether an uncommitted arrival's entry is stale: its abort could not be recorded (a full disk) and the domain
     * has lived on here since (it arrived again, or was started). An incoming VM is paused for the migration until
     * the commit, so a domain that runs, or was paused for another reason (a migration away from here among them), is
     * not this migration's: it is left alone and the abort recorded now, or kept until it can be, the domain migrating
     * again only once it is ({@link IncomingRecords#recordAbort}). Dropping it as the incoming VM would destroy a guest
     * whose source let it go.
     * Only the state of a VM the driver re-attached tells: not that of an unreadable domain, nor the running of one
     * whose emptied status is a guess until its VM is looked for ({@link ArrivalRecovery#waitsForItsFiles}).
     */
    boolean outlivedBy(Journal.Entry entry, Domain domain) {
        if (entry.role() != Journal.Role.DESTINATION || entry.step().isCommitted() || !domain.isActive()
                || domain.problem() != null || domain.vm() == null
                || domain.state() == DomainState.PAUSED && domain.reason() == DomainState.Reason.MIGRATION
                        && !pausedByAnother(entry, domain)) {
            return false;
        }
        LOG.warn("migration {} of {} was left at {}, but the domain is {} ({}) here since: not its incoming VM, which"
                + " was dropped when it aborted", entry.id(), entry.domain(), entry.step().display(),
                domain.state().display(), domain.reason().display());
        records.recordAbort(entry.at(Step.ABORTED));
        return true;
    }

    /**
     * A guest paused for a migration away from here since (without --live before its memory moved, or at its
     * switch-over, leases on or off): not the arrival's incoming VM, which is paused for no migration away. A status
     * file of an earlier version names that migration only with the leases its switch-over gave back.
     */
    private static boolean pausedByAnother(Journal.Entry entry, Domain domain) {
        ReleasedLeases released = domain.releasedLeases();
        String pausedFor = domain.pausedFor() != null ? domain.pausedFor()
                : released == null ? null : released.migration();
        return pausedFor != null && !pausedFor.equals(entry.id());
    }

    /**
     * The domain as its Finish took the leases: by the disks its record names, as after a restart the domain here may
     * be its stored definition, with other disks (the source's copy gained one since it left). A record that names none
     * (written by an earlier version) leaves the domain's own.
     */
    private static DomainSpec leasedAtFinish(Incoming in) {
        return in.entry().disks().isEmpty() ? in.spec : leasedBy(in.entry());
    }

    /** The domain of an arrival as the leases its Finish takes: the disks its record names, and its UUID. */
    static DomainSpec leasedBy(Journal.Entry entry) {
        return new DomainSpec(entry.domain(), entry.uuid(), "", 0, 0,
                entry.disks().stream().map(disk -> new DomainSpec.Disk(disk, null)).toList(), List.of(), List.of(), "");
    }

    /**
     * The incoming VM outlived its kill (a QEMU in uninterruptible sleep) and may write the disks when it wakes: the
     * migration stays in hand, not aborted, its domain, leases and record as they were, so its source hears "in
     * progress" and keeps its copy paused, where told "aborted" it took the leases back and resumed the guest (libvirt's
     * leases, held by the QEMU process itself, stay held as long as it lives). The abort is tried again: the watchdog
     * every {@link #RETRY_STOP_MILLIS}, the source's settle, an operator's domjobabort.
     */
    private void keepUntilItsVmStops(Incoming in, String why, VmNotStoppedException e) {
        boolean first = in.abortPending == null;
        in.abortPending = why;
        in.vmNotStopped = e.getMessage();
        in.retryAbortAt = m.clock.getAsLong() + RETRY_STOP_MILLIS;
        String held = "the migration failed (" + why + "), but its incoming VM cannot be stopped: " + e.getMessage()
                + "; the abort is tried again every " + RETRY_STOP_MILLIS / 1000 + " s, and until it goes through the"
                + " source keeps " + in.spec.name() + " paused";
        if (in.job == null && !in.flags.offline()) { // recovered after a restart: its job died with the daemon
            in.job = m.jobs.start(in.spec.name(), "Incoming migration", in.id, 0);
        }
        if (in.job != null) {
            in.job.heldUp(held); // domjobinfo on this host
        }
        if (first) {
            LOG.error("incoming migration {} of {} failed ({}), but its VM cannot be stopped: {}; its source keeps its"
                    + " copy paused until it is, the abort is tried again", in.id, in.spec.name(), why, e.getMessage());
            m.hooks.failed(in.spec.name(), "destination", held); // ferry events: now, not once the VM has died
        } else {
            LOG.debug("the incoming VM of migration {} still cannot be stopped: {}", in.id, e.getMessage());
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
                Optional.ofNullable(in.job), Optional.empty());
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
