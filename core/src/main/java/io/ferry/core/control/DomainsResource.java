package io.ferry.core.control;

import com.sun.net.httpserver.HttpExchange;
import io.ferry.api.hypervisor.MigrationStats;
import io.ferry.core.domain.Domain;
import io.ferry.core.domain.DomainException;
import io.ferry.core.domain.DomainManager;
import io.ferry.core.migration.Jobs;
import io.ferry.core.migration.MigrationEngine;
import io.ferry.core.migration.LiveJob;
import io.ferry.protocol.Xml;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;

/**
 * Domains on the control channel: {@code GET|POST /v1/domains} (list, define), {@code GET|DELETE
 * /v1/domains/NAME} (info, undefine), {@code POST /v1/domains/NAME/start|destroy|resume[?force=yes]}, and the
 * migration job:
 * {@code GET /v1/domains/NAME/job[?completed=yes]}, {@code POST .../job/abort}, {@code .../job/speed?mib=N},
 * {@code .../job/maxdowntime?ms=N}.
 */
final class DomainsResource implements Resource {
    private static final long MIB = 1024 * 1024;

    private final DomainManager domains;
    private final Jobs jobs;
    private final MigrationEngine migrations;
    private final int maxBytes;
    private final SnapshotsResource snapshots;

    DomainsResource(DomainManager domains, MigrationEngine migrations, int maxBytes, SnapshotsResource snapshots) {
        this.migrations = migrations;
        this.snapshots = snapshots;
        this.domains = domains;
        this.jobs = migrations.jobs();
        this.maxBytes = maxBytes;
    }

    @Override
    public void handle(HttpExchange exchange, String path) throws IOException, Exchanges.BadRequest {
        String method = exchange.getRequestMethod();
        String[] parts = path.isEmpty() ? new String[0] : path.split("/");
        try {
            if (parts.length == 0 && method.equals("GET")) {
                Xml list = Xml.create("domains");
                for (Domain domain : domains.list()) {
                    describe(list.child("domain"), domain, false);
                }
                Exchanges.reply(exchange, 200, list.write());
            } else if (parts.length == 0 && method.equals("POST")) {
                String xml = new String(Exchanges.body(exchange, maxBytes, "domain definition"), StandardCharsets.UTF_8);
                Domain domain = domains.define(xml);
                Exchanges.reply(exchange, 200, Xml.create("domain").attr("name", domain.name()).attr("uuid", domain.uuid()).write());
            } else if (parts.length == 1 && method.equals("GET")) {
                Exchanges.reply(exchange, 200, describe(Xml.create("domain"), domains.get(parts[0]), true).write());
            } else if (parts.length == 1 && method.equals("DELETE")) {
                domains.undefine(parts[0]);
                Exchanges.reply(exchange, 200, "<undefined/>\n");
            } else if (parts.length == 2 && method.equals("POST") && parts[1].equals("start")) {
                domains.start(parts[0]);
                Exchanges.reply(exchange, 200, "<started/>\n");
            } else if (parts.length == 2 && method.equals("POST") && parts[1].equals("resume")) {
                String done = operator(() -> migrations.resume(parts[0], "yes".equals(Exchanges.query(exchange).get("force"))));
                Exchanges.reply(exchange, 200, Xml.create("resumed").attr("message", done).write());
            } else if (parts.length == 2 && method.equals("POST") && parts[1].equals("destroy")) {
                domains.destroy(parts[0]);
                Exchanges.reply(exchange, 200, "<destroyed/>\n");
            } else if (parts.length >= 2 && parts[1].equals("snapshots")) {
                snapshots.handle(exchange, domains.get(parts[0]), parts.length == 3 ? parts[2] : "");
            } else if (parts.length >= 2 && parts[1].equals("job")) {
                job(exchange, domains.get(parts[0]), parts.length == 3 ? parts[2] : "");
            } else {
                throw new Exchanges.BadRequest(404, "no such resource: /v1/domains/" + path);
            }
        } catch (DomainException e) {
            throw new Exchanges.BadRequest(400, e.getMessage());
        }
    }

    private void job(HttpExchange exchange, Domain domain, String action) throws IOException, Exchanges.BadRequest {
        Map<String, String> query = Exchanges.query(exchange);
        switch (action) {
            case "" -> {
                Optional<LiveJob> live = jobs.active(domain.name());
                Xml job = Xml.create("job");
                if ("yes".equals(query.get("completed"))) {
                    Optional<MigrationStats> done = jobs.completed(domain.name());
                    job.attr("type", done.isPresent() ? "completed" : "none");
                    done.ifPresent(s -> stats(job, s));
                } else if (live.isPresent()) {
                    job.attr("type", "unbounded").attr("operation", live.get().operation());
                    stats(job, live.get().stats());
                } else {
                    job.attr("type", "none");
                }
                Exchanges.reply(exchange, 200, job.write());
            }
            case "abort" -> {
                String done = operator(() -> migrations.abortJob(domain.name()));
                Exchanges.reply(exchange, 200, Xml.create("aborted").attr("message", done).write());
            }
            case "speed" -> {
                jobs.setSpeed(domain.name(), number(query, "mib") * MIB);
                Exchanges.reply(exchange, 200, "<speed/>\n");
            }
            case "maxdowntime" -> {
                jobs.setMaxDowntime(domain.name(), number(query, "ms"));
                Exchanges.reply(exchange, 200, "<maxdowntime/>\n");
            }
            default -> throw new Exchanges.BadRequest(404, "no job action '" + action + "'");
        }
    }

    private interface OperatorCall {
        String run() throws Exception;
    }

    /** An operator's action on a migration; its refusal is the reply's error. */
    private static String operator(OperatorCall call) throws Exchanges.BadRequest {
        try {
            return call.run();
        } catch (Exception e) {
            throw new Exchanges.BadRequest(400, String.valueOf(e.getMessage()));
        }
    }

    static long number(Map<String, String> query, String key) throws Exchanges.BadRequest {
        String value = Exchanges.required(query, key);
        try {
            long number = Long.parseLong(value);
            if (number < 0) {
                throw new NumberFormatException();
            }
            return number;
        } catch (NumberFormatException e) {
            throw new Exchanges.BadRequest(400, "invalid " + key + " '" + value + "'");
        }
    }

    private static void stats(Xml job, MigrationStats s) {
        job.attr("elapsed", s.elapsedMillis()).attr("total", s.total()).attr("processed", s.processed())
                .attr("remaining", s.remaining()).attr("bandwidth", s.bandwidth()).attr("dirty-rate", s.dirtyRate())
                .attr("iteration", s.iteration()).attr("downtime", s.downtimeMillis()).attr("setup", s.setupMillis())
                .attr("page-size", s.pageSize()).attr("verified", s.memoryVerified() ? "yes" : "no")
                .attr("percent", s.percent());
    }

    private static Xml describe(Xml element, Domain domain, boolean details) {
        element.attr("name", domain.name()).attr("uuid", domain.uuid()).attr("state", domain.state().display())
                .attr("reason", domain.reason().display()).attr("persistent", domain.persistent() != null ? "yes" : "no");
        if (details && domain.current() != null) {
            element.attr("type", domain.current().type()).attr("memory", domain.current().memoryKiB())
                    .attr("vcpus", domain.current().vcpus()).attr("migration", domain.migration());
            if (domain.vm() != null) {
                if (domain.vm().hasMemoryDigest()) { // QEMU's VMs have none
                    element.attr("digest", domain.vm().memoryDigest());
                }
                for (var graphics : domain.vm().graphicsListeners()) {
                    element.child("graphics").attr("type", graphics.type()).attr("port", graphics.port()).attr("listen", graphics.listen());
                }
            }
        }
        return element;
    }
}
