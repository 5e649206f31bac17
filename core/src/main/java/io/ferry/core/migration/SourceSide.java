package io.ferry.core.migration;

import io.ferry.api.cookie.CookieException;
import io.ferry.api.cookie.Phase;
import io.ferry.api.cookie.SideStream;
import io.ferry.api.hypervisor.MigrationStats;
import io.ferry.api.hypervisor.VirtualMachine;
import io.ferry.api.hypervisor.VmNotStoppedException;
import io.ferry.core.builtin.PersistentSection;
import io.ferry.core.cookie.CookieBakery;
import io.ferry.core.cookie.ParsedCookie;
import io.ferry.core.domain.Domain;
import io.ferry.core.domain.DomainState;
import io.ferry.core.domain.ReleasedLeases;
import io.ferry.core.section.SectionHandle;
import io.ferry.core.section.SectionSet;
import io.ferry.protocol.Messages.Begin;
import io.ferry.protocol.Messages.Begun;
import io.ferry.protocol.Messages.Perform;
import io.ferry.protocol.Messages.Performed;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The source's phases: Begin ({@link SourceBegin}: claims the domain), Perform (memory out, VM paused at switch-over,
 * leases released), and the two ends, {@link #complete} ({@link SourceCompletion}: the destination committed, the copy
 * here goes) and
 * {@link #rollback} (it did not: the domain goes on here). Which end, once a Perform cookie has left, only the
 * destination can say: {@link Settlement} asks it.
 */
final class SourceSide {
    private static final Logger LOG = LoggerFactory.getLogger(SourceSide.class);
    /** What is left of a migration on its source once Perform began. */
    private static final Set<Phase> SOURCE_PHASES_LEFT = EnumSet.of(Phase.PERFORM, Phase.CONFIRM);
    /** The feature of the core's section that carries the definition the destination keeps. */
    private static final String PERSISTENT = PersistentSection.FEATURE;

    private final Migrations m;
    private final OutgoingMemory memory;
    private final OutgoingMigrations outgoing;
    private final SourceBegin beginning;
    private final SourceCompletion completion;
    /** What rollbacks resume, at once or once the lock manager is there and reaches its store. */
    final RolledBackGuests rolledBack;

    SourceSide(Migrations migrations, DestinationSide.MigratesAgain arrivals) {
        this.m = migrations;
        this.memory = new OutgoingMemory(migrations);
        this.outgoing = new OutgoingMigrations(migrations);
        this.rolledBack = new RolledBackGuests(migrations);
        this.beginning = new SourceBegin(migrations, outgoing, arrivals, rolledBack);
        this.completion = new SourceCompletion(migrations, outgoing);
    }

    Begun begin(Begin request) throws Exception {
        return beginning.begin(request);
    }

    /**
     * Sends the memory and pauses the domain at switch-over. A failure rolls the migration back here at once:
     * without the Perform cookie (protocol 3) the destination cannot commit.
     */
    Performed perform(Perform request) throws Exception {
        Outgoing o = require(request.id(), request.key());
        try (DriverWatch.Call call = o.driver.enter()) {
            return m.domains.withJob(o.domain, "migration perform", o.id, () -> {
                if (o.step() != Step.BEGUN) {
                    throw outOfOrder("Perform", o);
                }
                o.moveTo(Step.PERFORMING, m.journal, e -> e.withPeer(request.destUri()));
                try {
                    return performInJob(o, request);
                } catch (Exception e) {
                    LOG.warn("Perform of {} failed: {}", o.domain.name(), e.getMessage());
                    if (o.mayRollBackAlone()) {
                        rollback(o, "Perform failed: " + e.getMessage());
                    }
                    throw e;
                }
            });
        }
    }

    private Performed performInJob(Outgoing o, Perform request) throws Exception {
        SectionSet began = o.pinned;
        if (!o.flags.v2()) {
            // what Begin baked with, as far as the destination has it: a section that left since must come back
            o.pinned = Negotiation.common(o.pinned, request.peerSections());
            requireMandatoryKept(o);
            Negotiation.requireAtPeer(m.mandatory.of(o.destination), began, request.peerSections(), o.domain.name());
            requireDefinitionCarried(o, o.pinned.byFeature(PERSISTENT).isPresent(), "the destination's sections given to Perform"
                    + " lack cookie section " + PERSISTENT + " (does its driver pass the sections on?)");
            ParsedCookie prepared = m.parse(Phase.PERFORM, request.cookie(), o.destination,
                    Negotiation.requirePinned(o.pinned, m.sections, SOURCE_PHASES_LEFT, m.timing.sectionWaitMillis()), o.id, false,
                    m.timing.sectionWaitMillis());
            m.eat(Phase.PERFORM, outgoing.local(o), prepared, m.timing.sectionWaitMillis());
        }
        if (!o.flags.offline()) {
            pauseUnlessLive(o);
            MigrationStats stats = memory.send(o, request);
            o.memorySent = true;
            String released = switchOver(o);
            o.record(m.journal, e -> e.withLeaseState(released));
            LOG.info("memory of {} sent: {} bytes in {} ms, {} rounds, downtime {} ms", o.domain.name(),
                    stats.processed(), stats.elapsedMillis(), stats.iteration(), stats.downtimeMillis());
        }
        if (o.flags.v2()) {
            completeAtPerform(o);
            return new Performed(o.id, null);
        }
        // the guest is paused: a bundle update's gap is waited for, briefly
        long wait = m.timing.pausedSectionWaitMillis();
        SectionSet sections = Negotiation.requirePinned(Negotiation.bakedAtPerform(began, o.pinned), m.sections,
                SOURCE_PHASES_LEFT, wait);
        if (!o.flags.persistent()) {
            sections = new SectionSet(sections.all().stream().filter(h -> !h.descriptor().feature().equals(PERSISTENT)).toList());
        }
        CookieBakery.Baked baked = m.bake(Phase.PERFORM, outgoing.local(o), sections, wait);
        requireDefinitionCarried(o, baked.sections().stream().anyMatch(s -> s.handle().descriptor().feature().equals(PERSISTENT)),
                "cookie section " + PERSISTENT + " baked none into the Perform cookie (see the log)");
        o.moveTo(Step.PERFORMED, m.journal);
        o.performedAt = m.clock.getAsLong();
        return new Performed(o.id, baked.xml());
    }

    /**
     * Protocol 2 has no Confirm: the source goes at the end of Perform, whatever Finish will say, and its definition
     * only if the destination said it keeps one (it was asked before the memory went). A failed Perform has the driver
     * cancel Finish and the destination drop its copy, so Perform fails only while the copy here can go on: a copy that
     * outlives its kill (a QEMU with its SIGKILL pending) would be lost when it wakes, as in libvirt, and once the copy
     * here is stopped the destination's is the only one. A failure after that (the CONFIRMED record on a full disk)
     * leaves the migration at PERFORMING, and its settle with the destination completes it again.
     */
    private void completeAtPerform(Outgoing o) throws Exception {
        try {
            complete(o, null, o.destinationKeepsDefinition);
        } catch (VmNotStoppedException e) {
            LOG.error("the memory of {} left, but its copy here cannot be stopped: {}; it stays listed, paused, until"
                    + " a settle of the migration stops it", o.domain.name(), e.getMessage());
        } catch (Exception e) {
            if (!o.stoppedHere) {
                throw e;
            }
            LOG.error("the memory of {} left and its copy here is stopped, but migration {} cannot end here: {};"
                    + " it ends at its settle with the destination", o.domain.name(), o.id, e.getMessage());
        }
    }

    /**
     * Gives the leases back at the switch-over; returns the state the destination takes them with. A guest paused
     * without them (an earlier migration's switch-over gave them back) hands on the state they were released with
     * (Begin refused one without): taken free, they would prove nothing of who held them since.
     */
    private String switchOver(Outgoing o) throws Exception {
        String released = m.domains.pausedLeases().release(o.domain, o.id);
        ReleasedLeases kept = o.domain.releasedLeases();
        return released == null && kept != null ? kept.state() : released;
    }

    /**
     * Without {@code --live}, as libvirt: the guest stops before its memory moves (one pass, nothing dirtied meanwhile),
     * not only at the switch-over. A rollback resumes it (it ran when the migration began). Recorded paused for this
     * migration: a restart's recovery of an old arrival of the domain must not take it for its incoming VM.
     */
    private void pauseUnlessLive(Outgoing o) throws Exception {
        VirtualMachine vm = o.domain.vm();
        if (!o.flags.live() && vm != null && vm.isRunning()) {
            vm.pause();
            m.domains.migrating().pausedFor(o.domain, o.id);
            LOG.info("domain {} paused for its migration (not --live)", o.domain.name());
        }
    }

    /**
     * The sections Begin's cookie carried as mandatory stay in the migration: the destination accepted them at Prepare,
     * so a Perform whose peer sections lack one was given them wrong, and its cookie must not go without it (without
     * lockstate, say, the destination would take the leases fresh, with no proof nobody held them since).
     */
    private static void requireMandatoryKept(Outgoing o) throws MigrationException {
        for (String feature : o.mandatoryAtBegin) {
            if (o.pinned.byFeature(feature).isEmpty()) {
                throw new MigrationException("cookie section " + feature + " is mandatory for domain " + o.domain.name()
                        + " (migration " + o.id + " began with it), but the destination's sections given to Perform lack it");
            }
        }
    }

    /**
     * A --persistent migration that brings a definition other than the one the guest runs (--persistent-xml, or the
     * one defined while it ran) goes only with the section that carries it: without it the destination would keep the
     * one the guest runs, and with --undefinesource the other would be gone from both hosts. Checked before the memory
     * moves, and again once the cookie is baked (the section's bake may fail): refused, the guest runs on here.
     */
    private static void requireDefinitionCarried(Outgoing o, boolean carried, String why) throws MigrationException {
        if (o.flags.persistent() && o.persistent != null && !carried) {
            throw new MigrationException("migration " + o.id + " brings the definition domain " + o.domain.name() + " is to"
                    + " keep at the destination (--persistent-xml's, or its stored one, which is not the one it runs), but "
                    + why);
        }
    }

    /** {@link SourceCompletion#complete}: the destination committed, the copy here goes. */
    void complete(Outgoing o, String finishCookie, Boolean destinationKeepsDefinition) throws Exception {
        rolledBack.forget(o.domain); // first: whatever fails next, the copy here must not run
        completion.complete(o, finishCookie, destinationKeepsDefinition);
    }

    /**
     * The migration did not happen: the domain goes on here, resumed if the migration paused it and nobody took
     * its leases meanwhile. Caller holds the job, and the destination cannot commit any more.
     */
    Exception rollback(Outgoing o, String why) throws Exception {
        return rollback(o, why, null);
    }

    /**
     * @param destinationLeases the lease state the destination's release returned when it took the leases at Finish
     *        and gave them back as it aborted (the switch-over's is stale then); null when it held none
     * @return why the guest that ran before Begin was not resumed (logged); null if it was, or needed not be
     */
    Exception rollback(Outgoing o, String why, String destinationLeases) throws Exception {
        // as libvirt's qemuMigrationSrcRestoreDomainState: the state from before Begin, whoever paused it since (the
        // switch-over, or its operator's suspend to make it converge); one step for a suspend that runs meanwhile, and
        // migrate --timeout's suspend that waited for it finds the migration ending, not a guest to pause again
        Exception notResumed = m.domains.migrating().changingRunState(o.domain, () -> {
            o.ending = true;
            return restoreRunState(o, destinationLeases);
        });
        o.moveTo(Step.ABORTED, m.journal);
        if (o.job != null) {
            o.job.failed(why);
        }
        outgoing.end(o, false);
        m.hooks.failed(o.domain.name(), "source", why);
        LOG.warn("migration {} of {} failed and was rolled back: {}", o.id, o.domain.name(), Hooks.loggable(why));
        return notResumed;
    }

    private Exception restoreRunState(Outgoing o, String destinationLeases) throws Exception {
        VirtualMachine vm = o.domain.vm();
        if (rolledBack.keptPausedByItsHypervisor(o.domain, o.id, destinationLeases)) {
            return null; // not the migration's pause to undo
        }
        if (vm != null && o.entry().wasRunning() && !vm.isRunning()) {
            return rolledBack.resume(o.domain, destinationLeases != null ? destinationLeases : o.entry().leaseState());
        } else if (vm != null && vm.isRunning() && o.domain.state() != DomainState.RUNNING) {
            m.domains.setState(o.domain, DomainState.RUNNING, DomainState.Reason.MIGRATION_CANCELED);
        } else if (vm != null && !o.entry().wasRunning() && o.domain.isActive() && o.domain.state() == DomainState.PAUSED
                && o.domain.reason() == DomainState.Reason.MIGRATION) {
            // paused before Begin: its operator's again, paused (user), resumed by nobody but them; leases its
            // switch-over gave back stay with it, taken back by that resume, with the state the destination's release
            // returned if it took them at Finish (the switch-over's is stale then)
            m.domains.pausedLeases().handOn(o.domain, destinationLeases);
            m.domains.setState(o.domain, DomainState.PAUSED, DomainState.Reason.USER);
        }
        return null;
    }

    /** The migration, if the caller presents its key; refused otherwise. */
    Outgoing require(String id, String key) throws MigrationException {
        return outgoing.require(id, key);
    }

    /**
     * The side stream of {@code now}'s feature as {@code now} offers it: the registration that replaced the one whose
     * Begin bake offered the stream (its bundle updated since). Begin's bake of that section alone runs again, as it ran
     * in Begin; the destination's section checks what it reads against its Begin fragment (the snapshots: their count and
     * digest), as it would the first offer's.
     */
    SideStream.Writer reoffer(String id, String key, SectionHandle now) throws MigrationException, CookieException {
        Outgoing o = outgoing.require(id, key);
        String feature = now.descriptor().feature();
        if (Negotiation.current(o.pinned, new SectionSet(List.of(now))).byFeature(feature).isEmpty()) {
            // another major version (or element, or policy): its data is not what the destination's section reads
            throw new CookieException("cookie section " + feature + " was updated since Begin offered its stream, to version "
                    + now.descriptor().version() + ", which migration " + id + " cannot use (it began with the section's"
                    + " version " + o.pinned.byFeature(feature).map(h -> h.descriptor().version()).orElse("none") + ")");
        }
        LOG.info("cookie section {} was updated since Begin offered its stream: its new registration offers it", feature);
        m.bake(Phase.BEGIN, outgoing.local(o), new SectionSet(List.of(now)), 0);
        SideStreams.Offer offer = m.streams.offered(id, key, feature);
        if (offer == null || offer.by() != now) {
            throw new CookieException("cookie section " + feature + " was updated since Begin offered its stream, and its"
                    + " new registration offers none for migration " + id);
        }
        return offer.writer();
    }

    static MigrationException outOfOrder(String phase, Outgoing o) {
        return new MigrationException("Requested operation is not valid: " + phase + " of migration " + o.id
                + " cannot run while it is at " + o.step().display());
    }

    Optional<Outgoing> find(String id) {
        return outgoing.find(id);
    }

    Optional<Outgoing> ofDomain(String domain) {
        return outgoing.ofDomain(domain);
    }

    /** {@link OutgoingMigrations#findOrWithdraw}. */
    Optional<Outgoing> findOrWithdraw(String id) {
        return outgoing.findOrWithdraw(id);
    }

    /** A migration recovered from the journal after a restart, taken in hand again. */
    Outgoing adopt(Journal.Entry entry, Domain domain) {
        return outgoing.adopt(entry, domain);
    }

    List<Outgoing> all() {
        return outgoing.all();
    }
}
