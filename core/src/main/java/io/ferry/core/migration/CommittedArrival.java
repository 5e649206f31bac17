package io.ferry.core.migration;

import io.ferry.api.hypervisor.GuestState;
import io.ferry.api.hypervisor.VirtualMachine;
import io.ferry.core.domain.Domain;
import io.ferry.core.domain.DomainState;
import io.ferry.core.domain.GuestCalls;
import io.ferry.core.domain.ShownState;
import io.ferry.protocol.MigrationFlags;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a destination does once a migration is committed: the domain runs here whatever happens now, so nothing
 * here throws; each step's trouble is logged and reported in Finish's note. Recovery repeats these steps after a
 * restart for a migration the journal still has COMMITTED.
 */
final class CommittedArrival {
    private static final Logger LOG = LoggerFactory.getLogger(CommittedArrival.class);

    private final Migrations m;
    /**
     * By domain UUID: the arrivals committed here whose definition or snapshots could not be stored yet, or whose
     * end could not be recorded.
     */
    private final Map<UUID, Incoming> unstored = new ConcurrentHashMap<>();

    CommittedArrival(Migrations migrations) {
        this.m = migrations;
    }

    /**
     * The post-commit steps that recovery also runs after a restart: resume, the domain's mandatory sections,
     * definition, snapshots, journal FINISHED, end hook. Returns what went wrong, for the driver, or null. A definition
     * or snapshots that could not be stored stay staged and the migration COMMITTED, so that the next start of the
     * daemon stores them.
     */
    String complete(Incoming in) {
        String note = null;
        if (!in.flags.offline() && !pausedSinceBy(in.domain)) {
            VirtualMachine vm = in.domain.vm();
            Optional<GuestState.PausedBy> pausedBy = vm == null || in.flags.paused() ? Optional.empty()
                    : ShownState.pausedByHypervisor(vm);
            try {
                if (vm == null) {
                    throw new MigrationException("its VM is gone");
                }
                // held since before the commit; after a restart, taken again with the state the commit recorded
                m.domains.pausedLeases().retake(in.domain, in.spec, in.entry().leaseState());
                if (in.flags.paused()) {
                    // --suspend, or paused on its source before it migrated: its operator's to resume, as libvirt's
                    // paused (user), which no restart resumes
                    m.domains.setState(in.domain, DomainState.PAUSED, DomainState.Reason.USER);
                    LOG.info("domain {} arrived and stays paused, as its migration asked", in.spec.name());
                } else if (pausedBy.isPresent()) {
                    // paused by its hypervisor on the source during Perform (QEMU carries the run state, io-error, in
                    // the stream): not the migration's pause, so not its to undo here either
                    m.domains.setState(in.domain, DomainState.PAUSED, DomainState.Reason.UNKNOWN);
                    note = "domain " + in.spec.name() + " arrived paused: its hypervisor had paused it by itself ("
                            + ShownState.reason(pausedBy.get()).display() + ") during the migration; ferry resume "
                            + in.spec.name() + " runs it once that is dealt with";
                    LOG.warn(note);
                } else {
                    GuestCalls.resume(in.domain);
                    m.domains.setState(in.domain, DomainState.RUNNING, DomainState.Reason.MIGRATED);
                }
            } catch (GuestCalls.NotRunning e) {
                note = "the destination committed domain " + in.spec.name() + ", but it is not running there: " + e.what()
                        + "; it is shut off";
                LOG.error(note);
            } catch (GuestCalls.Unanswered e) {
                note = "the destination committed domain " + in.spec.name() + ", but " + e.getMessage();
                LOG.error(note);
            } catch (Exception e) {
                note = "the destination committed domain " + in.spec.name() + " but could not resume it (" + e.getMessage()
                        + "): it stays paused there";
                LOG.error(note);
            }
        }
        rememberMandatory(in);
        String staged = store(in);
        if (staged != null) {
            LOG.error(staged);
            note = note == null ? staged : note + "; " + staged;
        }
        m.hooks.end(in.spec.name(), "destination", in.spec.xml());
        return note;
    }

    /**
     * What the domain needs from now on: the features the migration carried as mandatory, kept with its commit. Before
     * FINISHED, which a restart does not repeat the steps after; after the resume, which waits for no file written.
     * Nothing for a commit a build before recorded without them.
     */
    private void rememberMandatory(Incoming in) {
        List<String> mandatory = in.entry().mandatory();
        if (mandatory != null) {
            m.mandatory.replace(in.spec.uuid(), mandatory);
        }
    }

    /**
     * Before {@code domain} migrates on (its Begin, under its job): what its arrival here could not store is stored
     * now. Refused while it cannot be: snapshots still staged would not travel with the guest, and would be
     * committed here at the next start, for a guest gone.
     */
    void requireStored(Domain domain) throws MigrationException {
        Incoming in = unstored.get(domain.uuid());
        // taken out before the store, which puts it back while it cannot be stored: the watchdog's look, without the
        // job, finds it neither left for good nor its to drop in between
        if (in == null || dropIfLeftForGood(in) || !unstored.remove(domain.uuid(), in)) {
            return; // not waiting, or gone since: another took it (the watchdog dropping it) and ends it
        }
        String staged = store(in);
        if (staged != null) {
            throw new MigrationException("cannot migrate domain " + domain.name() + " before what migration " + in.id
                    + " brought here is stored: " + staged);
        }
    }

    /** The watchdog's part: {@link #dropIfLeftForGood} for each arrival whose storing waits. */
    void dropLeftForGood() {
        unstored.values().forEach(this::dropIfLeftForGood);
    }

    /**
     * An arrival whose domain left this host for good while what it brought waited to be stored (a transient guest
     * that powered off or was destroyed; no definition of it is staged): the snapshots it staged go with the domain,
     * as a transient domain's do, and the migration is FINISHED. Kept, the next store (a Begin of the domain defined
     * here again, the next start) committed them as the snapshots of that other domain of its name and UUID. Not one
     * {@link #definedSince}: those are that domain's. Returns whether it was such an arrival, dropped here or by
     * another that removed it from {@link #unstored} first (the watchdog's look and a Begin of the next domain): that
     * one discards and records it, and a store of it here would commit the snapshots to that domain and fail to
     * record FINISHED a second time.
     */
    private boolean dropIfLeftForGood(Incoming in) {
        if (m.domains.find(in.spec.name()).filter(domain -> domain == in.domain).isPresent()
                || m.domains.store().stagedDefinition(in.id).isPresent() || definedSince(in)) {
            return false;
        }
        if (!unstored.remove(in.spec.uuid(), in)) {
            return true;
        }
        try {
            m.snapshots.discard(in.id);
            in.moveTo(Step.FINISHED, m.journal);
            LOG.warn("domain {} left this host after migration {} brought it: the snapshots the migration could not"
                    + " store are discarded with it", in.spec.name(), in.id);
        } catch (Exception e) {
            unstored.putIfAbsent(in.spec.uuid(), in); // tried again at the watchdog's next look
            LOG.error("domain {} left this host after migration {} brought it, but what the migration staged could not"
                    + " be discarded: {}", in.spec.name(), in.id, e.getMessage());
        }
        return true;
    }

    /**
     * Moves the staged definition and snapshots into place and records FINISHED; returns what could not be stored
     * or recorded (it stays staged, the migration COMMITTED), or null. After the resume: the guest's downtime does
     * not wait for a rename and its sync, nor for writing thousands of snapshots.
     */
    private String store(Incoming in) {
        String staged = null;
        boolean owed = bringsDefinition(in.flags) && !definedSince(in);
        try {
            m.domains.migrating().installIncomingDefinition(in.id, in.spec, owed);
        } catch (Exception e) {
            staged = "the destination could not store the definition of " + in.spec.name() + " (" + e.getMessage()
                    + "): it stays staged there and is stored again when the daemon restarts";
        }
        try {
            m.snapshots.commit(in.id);
        } catch (Exception e) {
            String trouble = "the snapshots of " + in.spec.name() + " arrived but could not be committed (" + e.getMessage()
                    + "): they stay staged there and are committed again when the daemon restarts";
            staged = staged == null ? trouble : staged + "; " + trouble;
        }
        if (staged == null) {
            try {
                in.moveTo(Step.FINISHED, m.journal);
            } catch (Exception e) {
                // still COMMITTED, a restart would repeat these steps on whatever the domain is by then: a guest that
                // migrated on since, paused by its switch-over, would be resumed here
                staged = "the end of migration " + in.id + " could not be recorded (" + e.getMessage() + "): it is"
                        + " recorded again before " + in.spec.name() + " migrates on, and when the daemon restarts";
            }
        }
        if (staged != null) {
            unstored.put(in.spec.uuid(), in);
            return staged;
        }
        unstored.remove(in.spec.uuid(), in);
        return null;
    }

    /**
     * Whether the domain of an arrival that brought a definition is defined here since, its name and UUID, under an
     * entry not the arrival's: its transient guest stopped while that definition waited (its snapshots kept for it),
     * and the operator's define took the definition's place (it discards a staged one of its name). The same domain:
     * the snapshots are committed to it by the next store, and the definition it is known by is not installed again.
     */
    private boolean definedSince(Incoming in) {
        return bringsDefinition(in.flags) && m.domains.find(in.spec.name())
                .filter(domain -> domain != in.domain && in.spec.uuid().equals(domain.uuid())).isPresent();
    }

    /**
     * Whether a migration so flagged leaves the definition it brings here: --persistent, or offline (whose domain has no
     * other), as libvirt's; its source may undefine its own.
     */
    static boolean bringsDefinition(MigrationFlags flags) {
        return flags.persistent() || flags.offline();
    }

    /**
     * Whether someone paused the arrived domain since its resume (recovery repeating the post-commit steps at a
     * restart, long after the migration): not the migration's to resume.
     */
    private static boolean pausedSinceBy(Domain domain) {
        return domain.state() == DomainState.PAUSED && domain.reason() != DomainState.Reason.MIGRATION;
    }
}
