package io.ferry.core.migration;

import io.ferry.api.cookie.Phase;
import io.ferry.api.cookie.SectionContext;
import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.core.cookie.CookieBakery;
import io.ferry.core.cookie.CookieHeader;
import io.ferry.core.cookie.EatRules;
import io.ferry.core.cookie.ParsedCookie;
import io.ferry.core.daemon.DaemonSettings;
import io.ferry.core.domain.DomainManager;
import io.ferry.core.section.MigrationSectionContext;
import io.ferry.core.section.SectionRegistry;
import io.ferry.core.section.SectionSet;
import io.ferry.api.cookie.CookieException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;

/** What both sides of a migration share on this host: the daemon's parts, and cookie baking and eating. */
final class Migrations {
    final DaemonSettings settings;
    final CookieBakery bakery;
    final DomainManager domains;
    final SectionRegistry registry;
    final Journal journal;
    final Jobs jobs;
    final Hooks hooks;

    Migrations(DaemonSettings settings, CookieBakery bakery, DomainManager domains, SectionRegistry registry,
            Journal journal, Jobs jobs, Hooks hooks) {
        this.settings = settings;
        this.bakery = bakery;
        this.domains = domains;
        this.registry = registry;
        this.journal = journal;
        this.jobs = jobs;
        this.hooks = hooks;
    }

    SectionContext.Host localHost() {
        return new SectionContext.Host(settings.hostname(), settings.hostUuid());
    }

    MigrationSectionContext context(Phase phase, String id, DomainSpec spec, Optional<SectionContext.Host> remote,
            Map<String, Object> coreData) {
        return new MigrationSectionContext(phase, id, spec.name(), spec.uuid(), Optional.of(spec), localHost(), remote, "", coreData);
    }

    /** Bakes this phase's cookie from the given sections. */
    CookieBakery.Baked bake(Phase phase, String id, DomainSpec spec, SectionSet sections, Map<String, Object> coreData)
            throws CookieException {
        CookieHeader header = new CookieHeader(spec.name(), spec.uuid().toString(), settings.hostname(), settings.hostUuid());
        return bakery.bake(header, sections, context(phase, id, spec, Optional.empty(), coreData));
    }

    /** Parses a whole incoming cookie by this phase's rules; nothing acts on it yet. */
    ParsedCookie parse(Phase phase, String cookie, DomainSpec spec, SectionSet sections) throws CookieException {
        if (cookie == null) {
            throw new CookieException("the peer sent no migration cookie");
        }
        return bakery.codec().parse(cookie.getBytes(StandardCharsets.UTF_8),
                new EatRules(phase, settings.hostUuid(), null, spec.uuid().toString()), sections);
    }

    void eat(Phase phase, String id, DomainSpec spec, ParsedCookie cookie) throws CookieException {
        SectionContext.Host remote = new SectionContext.Host(cookie.header().hostname(), cookie.header().hostUuid());
        bakery.eat(cookie, context(phase, id, spec, Optional.of(remote), Map.of()));
    }
}
