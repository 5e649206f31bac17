package io.ferry.core.control;

import com.sun.net.httpserver.HttpExchange;
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
import java.io.IOException;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Collectors;

/**
 * The offline cookie tools, served by a daemon: {@code POST /v1/cookie/roundtrip} (parse with every section,
 * re-format), {@code POST /v1/cookie/check?phase=P[&local-hostuuid=U]} (eat as phase P would, acting on
 * nothing) and {@code POST /v1/cookie/bake?phase=P&name=N&uuid=U} (bake this daemon's cookie for phase P).
 */
final class CookieToolsResource implements Resource {
    private final Daemon daemon;
    private final SectionRegistry registry;

    CookieToolsResource(Daemon daemon, SectionRegistry registry) {
        this.daemon = daemon;
        this.registry = registry;
    }

    @Override
    public void handle(HttpExchange exchange, String tool) throws IOException, Exchanges.BadRequest {
        if (!exchange.getRequestMethod().equals("POST")) {
            throw new Exchanges.BadRequest(405, "use POST /v1/cookie/" + tool);
        }
        Map<String, String> query = Exchanges.query(exchange);
        CookieBakery bakery = daemon.bakery();
        try {
            switch (tool) {
                case "roundtrip" -> {
                    byte[] cookie = readCookie(exchange);
                    ParsedCookie parsed = bakery.codec().parse(cookie, EatRules.roundTrip(), registry.snapshot());
                    Exchanges.reply(exchange, 200, bakery.codec().format(parsed.header(), java.util.List.of(), parsed.sections()));
                }
                case "check" -> {
                    Phase phase = phase(query);
                    UUID local = query.containsKey("local-hostuuid") ? uuid(query.get("local-hostuuid"), "local-hostuuid")
                            : daemon.settings().hostUuid();
                    byte[] cookie = readCookie(exchange);
                    ParsedCookie parsed = bakery.codec().parse(cookie, new EatRules(phase, local, null, null), registry.snapshot());
                    String sections = parsed.sections().stream().map(s -> s.handle().descriptor().feature())
                            .collect(Collectors.joining(","));
                    Exchanges.reply(exchange, 200, "<accepted phase='" + phase.cliName() + "' sections='" + sections + "'/>\n");
                }
                case "bake" -> Exchanges.reply(exchange, 200, bake(phase(query), query));
                default -> throw new Exchanges.BadRequest(404, "no cookie tool '" + tool + "' (roundtrip, check, bake)");
            }
        } catch (CookieException e) {
            throw new Exchanges.BadRequest(400, e.getMessage());
        }
    }

    private String bake(Phase phase, Map<String, String> query) throws Exchanges.BadRequest, CookieException {
        String name = Exchanges.required(query, "name");
        UUID domain = uuid(Exchanges.required(query, "uuid"), "uuid");
        DaemonSettings settings = daemon.settings();
        String migrationId = "bake-" + UUID.randomUUID().toString().substring(0, 8);
        try (var tag = MigrationLog.tag(migrationId)) {
            SectionContext.Host local = new SectionContext.Host(settings.hostname(), settings.hostUuid());
            MigrationSectionContext context = MigrationSectionContext.offline(phase, migrationId, name, domain, local);
            CookieHeader header = new CookieHeader(name, domain.toString(), settings.hostname(), settings.hostUuid());
            return daemon.bakery().bake(header, registry.snapshot(), context).xml();
        }
    }

    private byte[] readCookie(HttpExchange exchange) throws IOException, Exchanges.BadRequest {
        return Exchanges.body(exchange, daemon.settings().cookieMaxBytes(), "migration cookie");
    }

    private static Phase phase(Map<String, String> query) throws Exchanges.BadRequest {
        try {
            return Phase.parse(Exchanges.required(query, "phase"));
        } catch (IllegalArgumentException e) {
            throw new Exchanges.BadRequest(400, e.getMessage());
        }
    }

    private static UUID uuid(String value, String what) throws Exchanges.BadRequest {
        try {
            return UUID.fromString(value);
        } catch (IllegalArgumentException e) {
            throw new Exchanges.BadRequest(400, what + " '" + value + "' is not a UUID");
        }
    }
}
