package io.ferry.core.migration;

import io.ferry.api.cookie.CookieException;
import io.ferry.api.cookie.DomainLeases;
import io.ferry.api.cookie.Phase;
import io.ferry.api.cookie.SectionContext;
import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.api.snapshot.SnapshotStore;
import io.ferry.core.builtin.PersistentDefinition;
import io.ferry.core.cookie.CookieBakery;
import io.ferry.core.cookie.CookieHeader;
import io.ferry.core.cookie.EatRules;
import io.ferry.core.cookie.ParsedCookie;
import io.ferry.core.daemon.DaemonSettings;
import io.ferry.core.domain.DomainManager;
import io.ferry.core.section.MigrationSectionContext;
import io.ferry.core.section.SectionCatalog;
import io.ferry.core.section.SectionSet;
import io.ferry.protocol.xml.HardenedXmlParser;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;

/** What both sides of a migration share on this host: the daemon's parts, and cookie baking and eating. */
final class Migrations {
    final DaemonSettings settings;
    final CookieBakery bakery;
    final DomainManager domains;
    final SectionCatalog sections;
    /** Frozen by a graceful stop ({@link MigrationEngine#stopping}). */
    final StoppingJournal journal;
    final Jobs jobs;
    final Hooks hooks;
    final SideStreams streams;
    final SnapshotStore snapshots;
    final Peers peers;
    final LongSupplier clock;
    final Timing timing;
    /** The daemon's mutual TLS identity, which the data connections use too; null when the channel is plain. */
    final SSLContext dataTls;
    final MandatorySections mandatory;

    Migrations(DaemonSettings settings, CookieBakery bakery, DomainManager domains, SectionCatalog sections,
            Journal journal, Hooks hooks, SnapshotStore snapshots, Peers peers, LongSupplier clock, Timing timing,
            SSLContext dataTls) {
        this.dataTls = dataTls;
        this.mandatory = new MandatorySections(settings.stateDir(),
                new HardenedXmlParser(settings.cookieMaxBytes(), settings.cookieMaxDepth()));
        this.settings = settings;
        this.bakery = bakery;
        this.domains = domains;
        this.sections = sections;
        this.journal = new StoppingJournal(journal);
        this.jobs = new Jobs(domains::find);
        this.hooks = hooks;
        this.streams = new SideStreams(peers);
        this.snapshots = snapshots;
        this.peers = peers;
        this.clock = clock;
        this.timing = timing;
    }

    /** Whether {@code presented} is the migration's key; compared in constant time. */
    static boolean keyMatches(String expected, String presented) {
        return expected != null && presented != null && MessageDigest.isEqual(
                expected.getBytes(StandardCharsets.US_ASCII), presented.getBytes(StandardCharsets.US_ASCII));
    }

    DriverWatch newWatch() {
        return new DriverWatch(clock);
    }

    SectionContext.Host localHost() {
        return new SectionContext.Host(settings.hostname(), settings.hostUuid());
    }

    MigrationSectionContext context(Phase phase, Local local) {
        DomainSpec spec = local.spec();
        List<Object> offered = new ArrayList<>(List.of(spec));
        local.leases().ifPresent(offered::add);
        local.job().ifPresent(offered::add);
        local.persistent().map(PersistentDefinition::new).ifPresent(offered::add);
        return new MigrationSectionContext(phase, local.migrationId(), spec.name(), spec.uuid(), offered, local.vm(),
                feature -> streams.of(local.migrationId(), local.key(), local.peerUri(), feature), localHost(),
                Optional.empty(), "", null);
    }

    /**
     * Bakes this phase's cookie from the given sections. A section whose bundle is updated meanwhile is baked by the
     * registration that replaces it ({@link Negotiation#requirePinned}), waited for up to {@code waitMillis}: shorter
     * while the guest is paused.
     */
    CookieBakery.Baked bake(Phase phase, Local local, SectionSet sections, long waitMillis) throws CookieException {
        return bake(phase, local, sections, retake(phase, waitMillis));
    }

    private CookieBakery.Baked bake(Phase phase, Local local, SectionSet sections, CookieBakery.Retake retake)
            throws CookieException {
        DomainSpec spec = local.spec();
        CookieHeader header = new CookieHeader(spec.name(), spec.uuid().toString(), settings.hostname(), settings.hostUuid(),
                new CookieHeader.Origin(local.migrationId(), phase));
        return bakery.bake(header, sections, context(phase, local), retake);
    }

    /**
     * Bakes this phase's cookie after the commit (the destination's Finish cookie) from the pinned sections that bake
     * in it, by the rule of {@link #committed}.
     */
    CookieBakery.Baked bakeCommitted(Phase phase, Local local, SectionSet pinned) throws CookieException {
        CookieBakery.Retake retake = committed(phase);
        SectionSet bakers = new SectionSet(pinned.all().stream().filter(h -> h.descriptor().bakesIn(phase)).toList());
        return bake(phase, local, retake.sections(bakers, null), retake);
    }

    /** Parses and eats this phase's cookie after the commit (the source's Confirm), by {@link #committed}'s rule. */
    void eatCommitted(Phase phase, Local local, String cookie, SectionSet pinned) throws CookieException {
        CookieBakery.Retake retake = committed(phase);
        SectionSet sections = retake.sections(pinned, null);
        ParsedCookie parsed = parse(phase, cookie, local.spec(), sections, local.migrationId(), false, retake);
        eat(phase, local, parsed, retake);
    }

    /**
     * Parses a whole incoming cookie by this phase's rules; nothing acts on it yet. A cookie that names its origin must
     * be the one the phase before baked for this migration: its name and UUID are those of every migration of the
     * guest, and an earlier migration's Perform cookie (or this one's Begin cookie) would commit a Finish whose source
     * never gave the guest up.
     *
     * A section whose bundle is updated before its parse call parses through the registration that replaces it
     * ({@link Negotiation#requirePinned}), waited for up to {@code waitMillis}: shorter while the guest is
     * paused.
     *
     * @param originRequired whether a cookie that names no origin is refused: its peer names it in every cookie
     */
    ParsedCookie parse(Phase phase, String cookie, DomainSpec spec, SectionSet sections, String migrationId,
            boolean originRequired, long waitMillis) throws CookieException {
        return parse(phase, cookie, spec, sections, migrationId, originRequired, retake(phase, waitMillis));
    }

    private ParsedCookie parse(Phase phase, String cookie, DomainSpec spec, SectionSet sections, String migrationId,
            boolean originRequired, CookieBakery.Retake retake) throws CookieException {
        if (cookie == null) {
            throw new CookieException("the peer sent no migration cookie");
        }
        ParsedCookie parsed = bakery.parse(cookie.getBytes(StandardCharsets.UTF_8),
                new EatRules(phase, settings.hostUuid(), spec.name(), spec.uuid().toString()), sections, retake);
        Phase expected = Phase.values()[phase.ordinal() - 1];
        CookieHeader.Origin origin = parsed.header().origin();
        if (origin == null) {
            if (originRequired) {
                throw new CookieException("the migration cookie does not say which migration it was baked for, where every"
                        + " other cookie of migration " + migrationId + " from its peer did: not taken as its "
                        + CookieHeader.display(expected) + " cookie");
            }
        } else if (!origin.migration().equals(migrationId)) {
            throw new CookieException("the migration cookie is " + origin.describe() + ", not of migration " + migrationId);
        } else if (origin.phase() != expected) {
            throw new CookieException("the migration cookie is " + origin.describe() + ", not its "
                    + CookieHeader.display(expected) + " cookie");
        }
        return parsed;
    }

    /**
     * Lets the cookie's sections act on it. A section whose bundle is updated after the parse eats through the
     * registration that replaces it ({@link Negotiation#requirePinned}), waited for up to {@code waitMillis}: shorter
     * while the guest is paused.
     */
    void eat(Phase phase, Local local, ParsedCookie cookie, long waitMillis) throws CookieException {
        eat(phase, local, cookie, retake(phase, waitMillis));
    }

    private void eat(Phase phase, Local local, ParsedCookie cookie, CookieBakery.Retake retake) throws CookieException {
        SectionContext.Host remote = new SectionContext.Host(cookie.header().hostname(), cookie.header().hostUuid());
        bakery.eat(cookie, context(phase, local).withRemote(remote), retake);
    }

    /** A phase's sections as registered now, by the rule of its later phases ({@link Negotiation#requirePinned}). */
    private CookieBakery.Retake retake(Phase phase, long waitMillis) {
        return (left, gone) -> Negotiation.requirePinned(left, sections, EnumSet.of(phase), waitMillis, gone);
    }

    /**
     * A phase's sections after the commit: the guest runs on the destination, so a section away (its bundle being
     * updated) is waited for as while it runs, and one that does not come back is left out, never failing a migration
     * that is committed ({@link Negotiation#awaitPinned}).
     */
    private CookieBakery.Retake committed(Phase phase) {
        return (left, gone) -> Negotiation.awaitPinned(left, sections, phase, timing.sectionWaitMillis(), gone);
    }

    /** The domain's leases as the lockstate section sees them, or empty when no lock manager is configured. */
    Optional<DomainLeases> leases(String domain, Supplier<String> state, Consumer<String> acquireWith) {
        if (domains.leases().managerName().equals("none")) {
            return Optional.empty();
        }
        return Optional.of(new DomainLeases() {
            @Override
            public String manager() {
                return domains.leases().managerName();
            }

            @Override
            public String state() {
                return state.get();
            }

            @Override
            public void acquireWith(String leaseState) {
                acquireWith.accept(leaseState);
            }
        });
    }
}
