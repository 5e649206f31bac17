package io.ferry.core.control;

import io.ferry.api.cookie.CookieException;
import io.ferry.api.cookie.Phase;
import io.ferry.api.cookie.SectionContext;
import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.core.cookie.CookieBakery;
import io.ferry.core.cookie.CookieCheck;
import io.ferry.core.cookie.CookieHeader;
import io.ferry.core.cookie.EatRules;
import io.ferry.core.daemon.Daemon;
import io.ferry.core.daemon.DaemonSettings;
import io.ferry.core.domain.DomainException;
import io.ferry.core.domain.DomainManager;
import io.ferry.core.section.CheckHost;
import io.ferry.core.section.MigrationLog;
import io.ferry.core.section.MigrationSectionContext;
import io.ferry.core.section.SectionRegistry;
import io.ferry.protocol.DaemonMessages.Checked;
import io.ferry.protocol.Operation;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Optional;
import java.util.UUID;

/**
 * The cookie tools, served by a daemon to its operators: {@code POST /v1/cookie/roundtrip} (parse with every section,
 * re-format), {@code POST /v1/cookie/check?phase=P[&local-hostuuid=U][&report=sections]} (eat as phase P would) and
 * {@code POST /v1/cookie/bake?phase=P[&name=N][&uuid=U]} (bake this daemon's cookie for phase P). Check and bake run
 * the sections as a migration would, in a context that acts on nothing ({@link CheckHost}). With
 * {@code domain-bytes=N} (and {@code domain-file=NAME} for errors) the body starts with N bytes of the domain's
 * definition, checked as {@code define} checks one and offered to the sections; the cookie follows it.
 * {@code report=sections} answers a refused cookie with the report too ({@code <refused>}), not an error.
 */
final class CookieToolsResource {
    private final Daemon daemon;
    private final SectionRegistry registry;
    private final DomainManager domains;

    CookieToolsResource(Daemon daemon, SectionRegistry registry, DomainManager domains) {
        this.daemon = daemon;
        this.registry = registry;
        this.domains = domains;
    }

    void addTo(RouteTable routes) {
        routes.add(DomainsResource.operator(Operation.COOKIE_TOOL, this::tool).body(daemon.settings().cookieMaxBytes(), "migration cookie"));
    }

    private String tool(Call call) throws BadRequest {
        CookieBakery bakery = daemon.bakery();
        try {
            switch (call.parameter(0)) {
                case "roundtrip" -> {
                    return bakery.roundTrip(call.body(), registry.snapshot(), registeredNow());
                }
                case "check" -> {
                    return check(phase(call), call);
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

    private String check(Phase phase, Call call) throws BadRequest, CookieException {
        UUID local = call.query("local-hostuuid") != null ? uuid(call.query("local-hostuuid"), "local-hostuuid")
                : daemon.settings().hostUuid();
        int split = domainBytes(call);
        Optional<DomainSpec> domain = domain(call, split);
        byte[] cookie = Arrays.copyOfRange(call.body(), split, call.body().length);
        EatRules rules = new EatRules(phase, local, null, domain.map(d -> d.uuid().toString()).orElse(null));
        Checked checked = new CookieCheck(daemon.bakery(), registry::uncheckable).check(cookie, rules, registry.snapshot(),
                registeredNow(), domain, new SectionContext.Host(daemon.settings().hostname(), local), checkHost());
        if (checked.refusal() != null && !"sections".equals(call.query("report"))) {
            throw new BadRequest(400, checked.refusal()); // a client that reads only <accepted>
        }
        return checked.toXml();
    }

    private String bake(Phase phase, Call call) throws BadRequest, CookieException {
        Optional<DomainSpec> domain = domain(call, domainBytes(call));
        String name = call.query("name") != null || domain.isEmpty() ? call.required("name") : domain.get().name();
        UUID uuid = call.query("uuid") != null || domain.isEmpty() ? uuid(call.required("uuid"), "uuid") : domain.get().uuid();
        if (domain.isPresent() && !name.equals(domain.get().name())) {
            throw new BadRequest(400, "name '" + name + "' conflicts with " + file(call) + ", which defines domain '"
                    + domain.get().name() + "'");
        }
        if (domain.isPresent() && !uuid.equals(domain.get().uuid())) {
            throw new BadRequest(400, "uuid '" + uuid + "' conflicts with " + file(call) + ", whose domain has UUID "
                    + domain.get().uuid());
        }
        DaemonSettings settings = daemon.settings();
        String migrationId = "bake-" + UUID.randomUUID().toString().substring(0, 8);
        try (var tag = MigrationLog.tag(migrationId)) {
            SectionContext.Host local = new SectionContext.Host(settings.hostname(), settings.hostUuid());
            MigrationSectionContext context = MigrationSectionContext.check(phase, migrationId, name, uuid, domain, local, checkHost());
            CookieHeader header = new CookieHeader(name, uuid.toString(), settings.hostname(), settings.hostUuid());
            // a section updated meanwhile: what is registered now, as the next Begin would find it
            return daemon.bakery().bake(header, registry.snapshot(), context, registeredNow()).xml();
        }
    }

    /** A section gone at a tool's call (its bundle updated): the tool runs again with what is registered now. */
    private CookieBakery.Retake registeredNow() {
        return (left, gone) -> registry.snapshot();
    }

    /** Leases that name this host's lock manager and hand out the state of those it holds, acquiring nothing. */
    private CheckHost checkHost() {
        String manager = domains.leases().managerName();
        return new CheckHost(manager.equals("none") ? null : manager, domains.leases()::state);
    }

    /** Where the body's domain definition ends and the cookie begins: 0 without a definition. */
    private static int domainBytes(Call call) throws BadRequest {
        String text = call.query("domain-bytes");
        if (text == null) {
            return 0;
        }
        try {
            int bytes = Integer.parseInt(text);
            if (bytes < 0 || bytes > call.body().length) {
                throw new NumberFormatException();
            }
            return bytes;
        } catch (NumberFormatException e) {
            throw new BadRequest(400, "parameter 'domain-bytes' is '" + text + "', not a length within the body's "
                    + call.body().length + " bytes");
        }
    }

    /** The body's domain definition, parsed and checked as {@code define} does; an error names its file. */
    private Optional<DomainSpec> domain(Call call, int bytes) throws BadRequest {
        if (call.query("domain-bytes") == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(domains.parse(new String(call.body(), 0, bytes, StandardCharsets.UTF_8)));
        } catch (DomainException e) {
            throw new BadRequest(400, file(call) + ": " + e.getMessage());
        }
    }

    private static String file(Call call) {
        return call.query("domain-file") == null ? "the domain XML" : call.query("domain-file");
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
