package io.ferry.core.control;

import io.ferry.api.cookie.CookieException;
import io.ferry.api.cookie.Phase;
import io.ferry.api.cookie.SectionContext;
import io.ferry.core.cookie.CookieBakery;
import io.ferry.core.cookie.CookieHeader;
import io.ferry.core.cookie.EatRules;
import io.ferry.core.cookie.ParsedCookie;
import io.ferry.core.daemon.Daemon;
import io.ferry.core.daemon.DaemonSettings;
import io.ferry.core.section.MigrationLog;
import io.ferry.core.section.MigrationSectionContext;
import io.ferry.core.section.SectionRegistry;
import io.ferry.protocol.DaemonMessages;
import io.ferry.protocol.Operation;
import java.util.List;
import java.util.UUID;

/**
 * The offline cookie tools, served by a daemon to its operators: {@code POST /v1/cookie/roundtrip} (parse with every
 * section, re-format), {@code POST /v1/cookie/check?phase=P[&local-hostuuid=U]} (eat as phase P would, acting on
 * nothing) and {@code POST /v1/cookie/bake?phase=P&name=N&uuid=U} (bake this daemon's cookie for phase P).
 */
final class CookieToolsResource {
    private final Daemon daemon;
    private final SectionRegistry registry;

    CookieToolsResource(Daemon daemon, SectionRegistry registry) {
        this.daemon = daemon;
        this.registry = registry;
    }

    void addTo(RouteTable routes) {
        routes.add(DomainsResource.operator(Operation.COOKIE_TOOL, this::tool).body(daemon.settings().cookieMaxBytes(), "migration cookie"));
    }

    private String tool(Call call) throws BadRequest {
        CookieBakery bakery = daemon.bakery();
        try {
            switch (call.parameter(0)) {
                case "roundtrip" -> {
                    ParsedCookie parsed = bakery.codec().parse(call.body(), EatRules.roundTrip(), registry.snapshot());
                    return bakery.codec().format(parsed.header(), List.of(), parsed.sections());
                }
                case "check" -> {
                    Phase phase = phase(call);
                    UUID local = call.query("local-hostuuid") != null ? uuid(call.query("local-hostuuid"), "local-hostuuid")
                            : daemon.settings().hostUuid();
                    ParsedCookie parsed = bakery.codec().parse(call.body(), new EatRules(phase, local, null, null), registry.snapshot());
                    return new DaemonMessages.Accepted(phase.cliName(),
                            parsed.sections().stream().map(s -> s.handle().descriptor().feature()).toList()).toXml();
                }
                case "bake" -> {
                    return bake(phase(call), call);
                }
                default -> throw new BadRequest(404, "no cookie tool '" + call.parameter(0) + "' (roundtrip, check, bake)");
            }
        } catch (CookieException e) {
            throw new BadRequest(400, e.getMessage());
        }
    }

    private String bake(Phase phase, Call call) throws BadRequest, CookieException {
        String name = call.required("name");
        UUID domain = uuid(call.required("uuid"), "uuid");
        DaemonSettings settings = daemon.settings();
        String migrationId = "bake-" + UUID.randomUUID().toString().substring(0, 8);
        try (var tag = MigrationLog.tag(migrationId)) {
            SectionContext.Host local = new SectionContext.Host(settings.hostname(), settings.hostUuid());
            MigrationSectionContext context = MigrationSectionContext.offline(phase, migrationId, name, domain, local);
            CookieHeader header = new CookieHeader(name, domain.toString(), settings.hostname(), settings.hostUuid());
            return daemon.bakery().bake(header, registry.snapshot(), context).xml();
        }
    }

    private static Phase phase(Call call) throws BadRequest {
        try {
            return Phase.parse(call.required("phase"));
        } catch (IllegalArgumentException e) {
            throw new BadRequest(400, e.getMessage());
        }
    }

    private static UUID uuid(String value, String what) throws BadRequest {
        try {
            return UUID.fromString(value);
        } catch (IllegalArgumentException e) {
            throw new BadRequest(400, what + " '" + value + "' is not a UUID");
        }
    }
}
