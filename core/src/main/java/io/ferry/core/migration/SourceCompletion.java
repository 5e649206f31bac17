package io.ferry.core.migration;

import io.ferry.api.cookie.Phase;
import io.ferry.api.hypervisor.MigrationStats;
import io.ferry.api.hypervisor.VirtualMachine;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The source's end of a migration its destination committed ({@link SourceSide#complete}): the Finish cookie eaten,
 * the copy here stopped (and undefined with {@code --undefinesource}), its snapshots gone with a domain that leaves
 * for good, CONFIRMED recorded.
 */
final class SourceCompletion {
    /** The source's log lines keep the logger they had before this class was split out of it. */
    private static final Logger LOG = LoggerFactory.getLogger(SourceSide.class);
    /** How long Confirm waits for graphics clients to reach the destination before the copy here goes. */
    private static final long GRAPHICS_WAIT_MILLIS = 3_000;

    private final Migrations m;
    private final OutgoingMigrations outgoing;

    SourceCompletion(Migrations migrations, OutgoingMigrations outgoing) {
        this.m = migrations;
        this.outgoing = outgoing;
    }

    /**
     * The domain runs on the destination now: the copy here goes. Caller holds the job and has the destination's
     * word that it committed (or runs protocol 2). Each step is safe to repeat after a crash.
     *
     * @param destinationKeepsDefinition whether the destination keeps the definition the migration brought, as it
     *        says when it settles; null when it did not say
     */
    void complete(Outgoing o, String finishCookie, Boolean destinationKeepsDefinition) throws Exception {
        // from now on migrate --timeout's suspend finds the migration not under way, not the copy this stops shut off
        m.domains.migrating().changingRunState(o.domain, () -> o.ending = true);
        if (finishCookie != null) {
            try {
                // the guest runs on the destination: waiting on a section's bundle update only keeps the copy here
                // paused a little longer
                m.eatCommitted(Phase.CONFIRM, outgoing.local(o), finishCookie, o.pinned);
            } catch (Exception e) {
                // the destination committed: the domain runs there, so the source goes whatever the cookie says
                LOG.warn("the Finish cookie of {} could not be eaten: {}", o.id, e.getMessage());
            }
        }
        VirtualMachine vm = o.domain.vm();
        if (o.job != null && !o.flags.v2() && vm != null && vm.hasMemoryDigest()) {
            // the destination committed, which it only does once it verified the memory's digest; a VM without one
            // (QEMU) has only its hypervisor's word that the stream loaded: its memory stays "not verified"
            MigrationStats s = o.job.stats();
            o.job.progress(new MigrationStats(s.elapsedMillis(), s.total(), s.processed(), s.remaining(), s.bandwidth(),
                    s.dirtyRate(), s.iteration(), s.downtimeMillis(), s.setupMillis(), s.pageSize(), true));
        }
        if (vm != null && o.domain.isActive() && !o.flags.offline()
                && !vm.awaitGraphicsClientsMigrated(GRAPHICS_WAIT_MILLIS)) {
            LOG.warn("the graphics clients of {} did not report their move to the destination within {} ms", o.domain.name(),
                    GRAPHICS_WAIT_MILLIS);
        }
        boolean undefine = o.flags.undefineSource() && o.domain.persistent() != null;
        if (undefine && o.flags.persistent() && Boolean.FALSE.equals(destinationKeepsDefinition)) {
            // its driver prepared the destination without --persistent: undefined, the definition would be nowhere
            LOG.warn("domain {} keeps its definition here despite --undefinesource: the destination of migration {}"
                    + " was prepared without --persistent and keeps none", o.domain.name(), o.id);
            undefine = false;
        }
        boolean staysActive = o.flags.offline() && o.domain.isActive(); // an offline migration leaves the guest running
        if ((undefine || o.domain.persistent() == null) && !staysActive) {
            forgetSnapshots(o); // first: a daemon killed after it finds the domain still here, and repeats this
        }
        if (o.domain.isActive() && !o.flags.offline()) {
            // stopped once its VM is destroyed, whatever fails after that
            m.domains.migrating().stopMigratedAway(o.domain, () -> o.stoppedHere = true);
        }
        // no copy runs here now; an offline migration's definition may go next, the destination's then the only one
        o.stoppedHere = true;
        if (undefine) {
            m.domains.migrating().dropPersistent(o.domain);
        }
        o.moveTo(Step.CONFIRMED, m.journal);
        outgoing.end(o, true);
        m.hooks.end(o.domain.name(), "source", o.destination.xml());
        LOG.info("domain {} migrated away (migration {})", o.domain.name(), o.id);
    }

    /**
     * The domain leaves this host for good (undefined here, or transient): its snapshots went with it, as libvirt drops
     * them with the domain. Left behind, they would be the next domain's given its UUID, and would refuse the domain's
     * own when it comes back with another snapshot of one of their names. A failure leaves them, as before.
     */
    private void forgetSnapshots(Outgoing o) {
        try {
            m.snapshots.forget(o.domain.uuid());
        } catch (IOException e) {
            LOG.error("domain {} left this host (migration {}), but its snapshots here could not be removed: {}",
                    o.domain.name(), o.id, e.getMessage());
        }
    }
}
