package io.ferry.core.migration;

import io.ferry.api.cookie.Phase;
import io.ferry.api.hypervisor.DiskStorage;
import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.core.cookie.CookieBakery;
import io.ferry.core.daemon.MigrationIds;
import io.ferry.core.domain.Domain;
import io.ferry.core.domain.DomainException;
import io.ferry.core.domain.GuestCalls;
import io.ferry.core.domain.ReleasedLeases;
import io.ferry.core.section.SectionSet;
import io.ferry.protocol.Messages.Begin;
import io.ferry.protocol.Messages.Begun;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;

/**
 * The source's Begin: checks the domain may migrate (its storage, the sections it needs, its snapshots), claims it,
 * bakes Begin's cookie and journals the migration BEGUN.
 */
final class SourceBegin {
    private static final long MIB = 1024 * 1024;
    /** The feature of the section that carries a domain's snapshots (plugin-snapshots). */
    private static final String SNAPSHOTS_FEATURE = "snapshots";
    private static final String NOT_RUNNING = "Requested operation is not valid: domain is not running";
    /** What the operator can do about the refusal: libvirt's words alone leave them to find --unsafe. */
    static final String UNSAFE_WAY_OUT = "migrate with --unsafe if the hosts share that storage anyway, or name it with"
            + " ferryd --shared-path DIR";

    private final Migrations m;
    private final OutgoingMigrations outgoing;
    /** What the domains' arrivals here could not write yet, written before they migrate on. */
    private final DestinationSide.MigratesAgain arrivals;
    /** The guests that rollbacks left paused until their leases can be taken back: they migrate as running. */
    private final RolledBackGuests rolledBack;

    SourceBegin(Migrations migrations, OutgoingMigrations outgoing, DestinationSide.MigratesAgain arrivals,
            RolledBackGuests rolledBack) {
        this.m = migrations;
        this.outgoing = outgoing;
        this.arrivals = arrivals;
        this.rolledBack = rolledBack;
    }

    Begun begin(Begin request) throws Exception {
        Domain domain = m.domains.get(request.domain());
        if (request.flags().tunnelled() && !request.flags().p2p()) {
            throw new MigrationException("cannot perform tunnelled migration without using peer2peer flag");
        }
        if (request.persistentXml() != null && !request.flags().persistent()) {
            throw new MigrationException("--persistent-xml requires --persistent: without it the destination keeps no"
                    + " definition");
        }
        if (request.persistentXml() != null && request.flags().v2()) {
            throw new MigrationException("--persistent-xml needs migration protocol 3, whose cookie carries the definition:"
                    + " a daemon of this migration speaks protocol 2 only");
        }
        if (request.bandwidthMiB() < 0 || request.bandwidthMiB() > Begin.MAX_BANDWIDTH_MIB) {
            // past it, the cap in bytes per second wraps round: to a crawl, or to none at all
            throw new MigrationException("invalid bandwidth " + request.bandwidthMiB() + " MiB/s: 0 (no cap) to "
                    + Begin.MAX_BANDWIDTH_MIB);
        }
        String id = request.id() == null ? UUID.randomUUID().toString() : requireFreshId(request.id());
        String key = DataChannel.newToken();
        return m.domains.withJob(domain, "migration begin", () -> {
            outgoing.requireNotWithdrawn(id, domain.name()); // its operator gave up while it waited for the job
            arrivals.check(domain); // first: the definition it brought, its snapshots and its records go along
            boolean offline = request.flags().offline();
            if (offline && (domain.persistent() == null || !request.flags().persistent())) {
                throw new MigrationException("offline migration requires a persistent domain and --persistent");
            }
            if (!offline && !domain.isActive()) {
                throw new MigrationException(NOT_RUNNING);
            }
            if (!offline) {
                requireVmNotEnded(domain);
                requireLeasesHeld(domain);
            }
            m.domains.migrating().claim(domain, id);
            // the job first: a Begin refused from here on shows as a failed job (domjobinfo --completed), with its error
            LiveJob job = offline ? null : m.jobs.start(domain.name(), "Outgoing migration", id, request.bandwidthMiB() * MIB);
            Outgoing o = null;
            try {
                if (!offline && !request.flags().unsafe()) {
                    requireSharedStorage(domain);
                }
                DomainSpec destination = destinationSpec(domain, request);
                DomainSpec persistent = persistentDefinition(domain, request);
                if (persistent != null && request.flags().v2()) {
                    // defined anew while it ran, or arrived with a definition for its next boot (--persistent-xml)
                    throw new MigrationException("the stored definition of domain " + domain.name() + " (its next boot's)"
                            + " is not the one it runs, and migration protocol 2 carries no definition: the destination would"
                            + " keep the one it runs" + (request.flags().undefineSource() ? ", and the stored one would be"
                            + " gone from this host too" : "") + "; migrate it with protocol 3, or without --persistent");
                }
                SectionSet sections = awaitSections(domain, destination);
                requireSnapshotsCarried(domain, sections);
                if (request.flags().v2() && m.domains.leases().manager().map(l -> l.usesState()).orElse(false)) {
                    throw new MigrationException("Cannot use migrate v2 protocol with lock manager " + m.domains.leases().managerName());
                }
                if (request.flags().v2()) {
                    Optional<String> needing = Negotiation.needsProtocol3(m.mandatory.of(destination), sections,
                            domain.name());
                    if (needing.isPresent()) {
                        throw v2Refused(needing.get());
                    }
                }
                // a rolled back guest that waits for its leases runs once it has them: it migrates as running, resumed
                // where Finish takes them or by its rollback here (migrated paused, it stayed paused for good)
                // refused when its hypervisor does not say (taken for paused, a running guest migrated paused for good)
                boolean running = domain.vm() != null
                        && (rolledBack.waitsToResume(domain) || GuestCalls.runsOrRefuse(domain));
                // --unsafe was Begin's alone: the journal keeps the flags as they were before it
                Journal.Entry entry = new Journal.Entry(id, Journal.Role.SOURCE, Step.BEGUN, domain.name(), domain.uuid(), null,
                        request.flags().withoutUnsafe(), key, null, running);
                o = new Outgoing(entry, domain, destination, persistent, job, sections, m.newWatch());
                CookieBakery.Baked baked = m.bake(Phase.BEGIN, outgoing.local(o), sections, m.timing.sectionWaitMillis());
                if (request.flags().v2() && !baked.features().isEmpty()) {
                    throw v2Refused("cookie section " + baked.features().get(0) + " is mandatory for domain "
                            + domain.name());
                }
                m.hooks.begin(domain.name(), "source", destination.xml());
                m.mandatory.add(domain.uuid(), baked.features());
                o.mandatoryAtBegin = List.copyOf(baked.features());
                outgoing.add(o); // before the journal: a withdrawal finds it from here on, or this Begin is refused
                m.journal.record(entry);
                // a guest paused here before its migration arrives paused, as libvirt's drivers have it (VIR_MIGRATE_PAUSED)
                return new Begun(id, key, destination.xml(), request.flags().v2() ? null : baked.xml(), Negotiation.versions(sections),
                        !offline && !running);
            } catch (Exception e) {
                if (o != null) {
                    outgoing.remove(o);
                }
                if (job != null) {
                    job.failed(e.getMessage());
                    m.jobs.end(domain.name(), job, false);
                }
                m.streams.forget(id);
                m.domains.migrating().release(domain, id);
                m.hooks.failed(domain.name(), "source", e.getMessage()); // ferry events shows a refused Begin too
                throw e;
            }
        });
    }

    /** Protocol 2 refused for {@code what} a domain needs (libvirt's words for a mandatory cookie feature). */
    private static MigrationException v2Refused(String what) {
        return new MigrationException("Cannot use migrate v2 protocol: " + what
                + " and needs the cookies of protocol v3");
    }

    /**
     * A VM whose process ended while another job held the domain is not shut off until its exit gets the job; a Begin
     * that got it first would migrate the dead VM as paused until Perform failed. Refused as a shut-off domain is.
     */
    private static void requireVmNotEnded(Domain domain) throws MigrationException {
        try {
            GuestCalls.requireNotEnded(domain);
        } catch (GuestCalls.NotRunning e) {
            throw new MigrationException(NOT_RUNNING + ": " + e.what());
        }
    }

    /**
     * A VM paused here without its disk leases (a switch-over gave them back and nothing took them back since) migrates
     * with the state they were released with, which the destination's Finish presents: refused if another host held
     * them since. One with no such state (lost to another host at re-attach, or its release unconfirmed) would take
     * them free at the destination and run there over disks another host may have written: what {@code ferry resume}
     * refuses here. It migrates once a resume took them back.
     */
    private static void requireLeasesHeld(Domain domain) throws MigrationException {
        ReleasedLeases released = domain.releasedLeases();
        if (released != null && (released.isLost() || released.unconfirmed() || released.state() == null)) {
            throw new MigrationException("Requested operation is not valid: domain " + domain.name() + " is paused without"
                    + " its disk leases" + (released.migration() == null ? "" : ", given back by migration " + released.migration())
                    + ", and nothing here proves no other host held them since: it migrates only once ferry resume "
                    + domain.name() + " took them back (or says why it cannot)");
        }
    }

    /**
     * The id its driver chose for the migration ({@code ferry migrate}, to abort it by its id): one a destination takes
     * (it becomes part of file names), and none this host has a record of, nor one of a Begin that failed here (its
     * bake, outliving its time limit, may still offer a side stream, which is dropped: {@link SideStreams#forget}).
     */
    private String requireFreshId(String id) throws MigrationException {
        if (!MigrationIds.isValid(id)) {
            throw new MigrationException("invalid migration id: at most 64 letters, digits and dashes");
        }
        if (m.journal.findOrRefuse(id).isPresent()) {
            throw new MigrationException("migration id " + id + " is taken on this host");
        }
        if (m.streams.forgotten(id)) {
            throw new MigrationException("migration id " + id + " was used by a migration here (one that ended, or a"
                    + " Begin that failed): choose another");
        }
        return id;
    }

    /**
     * The sections to bake Begin's cookie with, once those the domain may need are all here: the ones it needed
     * last time (or its definition names), and any that may be mandatory and just left (a bundle being updated:
     * its new registration is waited for; one gone for good refuses Begins for the wait, then is forgotten).
     */
    private SectionSet awaitSections(Domain domain, DomainSpec destination) throws Exception {
        long wait = m.timing.sectionWaitMillis();
        Set<String> needed = m.mandatory.of(destination);
        SectionSet sections = Negotiation.awaitFeatures(needed, m.sections, wait, feature -> "cookie section " + feature
                + " is mandatory for domain " + domain.name() + " (its definition or its last migration says so), but no"
                + " bundle on this host offers it");
        Set<String> departed = m.sections.departedWithin(wait);
        return departed.isEmpty() ? sections : Negotiation.awaitFeatures(departed, m.sections, wait, feature -> "cookie section "
                + feature + " left this host moments ago (its bundle being updated?) and has not come back; domain "
                + domain.name() + " may need it, so it does not migrate without it: try again once it is back");
    }

    /**
     * A domain with snapshots here migrates only with the section that carries them: without it they would stay
     * behind (orphaned by --undefinesource) while the migration succeeds. libvirt refuses such a migration too.
     */
    private void requireSnapshotsCarried(Domain domain, SectionSet sections) throws Exception {
        if (sections.byFeature(SNAPSHOTS_FEATURE).isEmpty()) {
            int count = m.snapshots.list(domain.uuid()).size();
            if (count > 0) {
                throw new MigrationException("Requested operation is not valid: cannot migrate domain " + domain.name()
                        + " with " + count + " snapshots: no cookie section on this host carries them (is the bundle of"
                        + " section " + SNAPSHOTS_FEATURE + " installed and started?)");
            }
        }
    }

    /**
     * A live migration moves memory only: the destination opens each disk at the same path, so a writable disk on
     * storage only this host has would leave the guest's writes here behind (the guest goes on with another disk
     * there). Refused unless the caller asked for {@code --unsafe}, with libvirt's words (qemuMigrationSrcIsSafe,
     * VIR_ERR_MIGRATE_UNSAFE), naming each such disk; a VM without {@link DiskStorage} (the embedded hypervisor's) has
     * no disks of the host.
     */
    private static void requireSharedStorage(Domain domain) throws Exception {
        Optional<DiskStorage> storage = Optional.ofNullable(domain.vm()).flatMap(vm -> vm.capability(DiskStorage.class));
        if (storage.isEmpty()) {
            return;
        }
        List<DiskStorage.Unshared> unshared = storage.get().unsharedDisks();
        if (!unshared.isEmpty()) {
            throw new MigrationException("Unsafe migration: Migration without shared storage is unsafe ("
                    + unshared.stream().map(d -> "disk " + d.source() + " is on " + d.storage()).collect(Collectors.joining(", "))
                    + "): " + UNSAFE_WAY_OUT);
        }
    }

    /**
     * The definition a --persistent migration carries for the destination to keep, when it is not the one the guest
     * runs: the caller's --persistent-xml, or live, the domain's stored definition, redefined while it ran (libvirt's
     * Perform carries vm->newDef). Carried as it ran, the change was lost, and with --undefinesource on both hosts. A
     * caller's --xml stays what is carried without --persistent-xml, unless --undefinesource would drop the stored one
     * from this host: then the caller says which the destination keeps. Null: the definition sent to the destination.
     */
    private DomainSpec persistentDefinition(Domain domain, Begin request) throws Exception {
        if (request.persistentXml() != null) {
            return givenPersistentDefinition(domain, request);
        }
        DomainSpec stored = domain.persistent();
        if (!request.flags().persistent() || request.flags().offline() || stored == null || stored.equals(domain.live())) {
            return null;
        }
        if (request.xml() != null) {
            if (request.flags().undefineSource()) {
                throw new MigrationException("the stored definition of domain " + domain.name() + " (its next boot's) is"
                        + " not the one it runs: the destination would keep the --xml definition, and --undefinesource"
                        + " would drop the stored one from this host, gone from both; give the definition the destination"
                        + " is to keep with --persistent-xml, or migrate without --undefinesource");
            }
            return null; // the caller's --xml is what the destination keeps; this host keeps its stored one
        }
        return renamed(request) ? m.domains.xml().rename(stored, request.dname()) : stored;
    }

    /** --persistent-xml: of this domain, by the name it arrives under; its hardware may differ, it is the next boot's. */
    private DomainSpec givenPersistentDefinition(Domain domain, Begin request) throws Exception {
        DomainSpec given;
        try {
            given = m.domains.parseNew(request.persistentXml());
        } catch (DomainException e) {
            throw new MigrationException("--persistent-xml: " + e.getMessage(), e);
        }
        String name = renamed(request) ? request.dname() : domain.name();
        if (!given.name().equals(name) || !given.uuid().equals(domain.uuid())) {
            throw new MigrationException("the --persistent-xml definition is of domain '" + given.name() + "' ("
                    + given.uuid() + "), not of '" + name + "' (" + domain.uuid() + ") that arrives at the destination");
        }
        return given;
    }

    private DomainSpec destinationSpec(Domain domain, Begin request) throws Exception {
        DomainSpec destination = request.flags().offline() ? domain.persistent() : domain.live();
        if (request.xml() != null) {
            DomainSpec given = m.domains.parse(request.xml());
            AbiCheck.require(destination, given, m.domains.xml());
            destination = given;
        }
        return renamed(request) ? m.domains.xml().rename(destination, request.dname()) : destination;
    }

    /** --dname: the domain arrives under another name (a blank one is no rename, as virsh's). */
    private static boolean renamed(Begin request) {
        return request.dname() != null && !request.dname().isBlank();
    }
}
