package io.ferry.core.control;

import io.ferry.api.cookie.SideStream;
import io.ferry.core.migration.MigrationEngine;
import io.ferry.core.section.MigrationLog;
import io.ferry.protocol.DaemonMessages;
import io.ferry.protocol.HttpPeer;
import io.ferry.protocol.Messages;
import io.ferry.protocol.Messages.MigrationKey;
import io.ferry.protocol.MigrationDriver;
import io.ferry.protocol.Operation;
import io.ferry.protocol.Xml;
import io.ferry.protocol.xml.HardenedXmlParser;
import java.util.ArrayList;
import java.util.List;

/**
 * The migration protocol on the control channel. Operators begin, perform, confirm and drive peer-to-peer
 * migrations ({@code POST /v1/migrate}); the peers of a migration (who present its key, or a fresh one with
 * Prepare) prepare and finish it, settle it, keep it alive, ask its fate, tunnel its memory and fetch its side
 * streams. A refusal is the engine's one-line reason.
 */
final class MigrationResource {
    private static final String MESSAGE = "migration message";

    private final MigrationEngine service;
    private final HardenedXmlParser parser;
    private final int maxBytes;

    MigrationResource(MigrationEngine service, int cookieMaxBytes, int maxDepth) {
        this.service = service;
        // a message carries a cookie and a domain definition
        this.maxBytes = 2 * cookieMaxBytes + 64 * 1024;
        this.parser = new HardenedXmlParser(maxBytes, maxDepth);
    }

    void addTo(RouteTable routes) {
        Route.PartyKey inBody = call -> MigrationKey.fromXml(xml(call));
        Route.PartyKey inHeader = call -> new MigrationKey(call.parameter(0), call.header(HttpPeer.KEY_HEADER));
        routes.add(message(Operation.BEGIN, Route.Access.OPERATOR, call -> {
            Messages.Begin begin = Messages.Begin.fromXml(xml(call));
            call.target("domain " + begin.domain());
            return service.begin(begin).toXml();
        }));
        routes.add(message(Operation.PREPARE, Route.Access.PARTY, call -> service.prepare(Messages.Prepare.fromXml(xml(call)),
                peer(call), call.reached()).toXml()).party(inBody));
        routes.add(message(Operation.PERFORM, Route.Access.OPERATOR, call -> service.perform(Messages.Perform.fromXml(xml(call))).toXml()));
        routes.add(message(Operation.FINISH, Route.Access.PARTY, call -> service.finish(Messages.Finish.fromXml(xml(call))).toXml())
                .party(inBody));
        routes.add(message(Operation.CONFIRM, Route.Access.OPERATOR, call -> {
            service.confirm(Messages.Confirm.fromXml(xml(call)));
            return "<confirmed/>\n";
        }));
        routes.add(message(Operation.SETTLE, Route.Access.PARTY, call -> {
            MigrationKey settle = MigrationKey.fromXml(xml(call));
            return service.settle(settle.id(), settle.key()).toXml();
        }).party(inBody));
        routes.add(message(Operation.ENDPOINT, Route.Access.PARTY, call -> {
            MigrationKey asked = MigrationKey.fromXml(xml(call));
            return service.endpoint(asked.id(), asked.key()).toXml();
        }).party(inBody));
        routes.add(message(Operation.KEEPALIVE, Route.Access.PARTY, call -> {
            MigrationKey alive = MigrationKey.fromXml(xml(call));
            service.keepalive(alive.id(), alive.key(), peer(call));
            return "<alive/>\n";
        }).party(inBody));
        routes.add(Route.of(Operation.FATE, Route.Access.PARTY, refusing(call -> service.fate(call.parameter(0)).toXml())).party(inHeader));
        routes.add(Route.of(Operation.SIDE_STREAM, Route.Access.PARTY, this::sideStream).party(inHeader).streamed());
        routes.add(Route.of(Operation.TUNNEL, Route.Access.PARTY, refusing(call -> {
            service.tunnel(call.parameter(0), call.stream());
            return "<received/>\n";
        })).party(inHeader).streamed());
        routes.add(message(Operation.MIGRATE, Route.Access.OPERATOR, this::migrate));
    }

    private Route message(Operation operation, Route.Access access, DomainsResource.XmlHandler handler) {
        return Route.of(operation, access, refusing(call -> {
            call.target("migration " + xml(call).attr("id"));
            return handler.handle(call);
        })).body(maxBytes, MESSAGE);
    }

    /** A handler whose every failure is a refusal (400) with the engine's reason on one line. */
    private static Route.Handler refusing(DomainsResource.XmlHandler handler) {
        return call -> {
            try {
                return Reply.xml(handler.handle(call));
            } catch (BadRequest e) {
                throw e;
            } catch (Exception e) {
                String message = e.getMessage();
                throw new BadRequest(400, message == null ? e.toString() : message.replaceAll("\\s+", " "));
            }
        };
    }

    private Reply sideStream(Call call) throws BadRequest {
        String id = call.parameter(0);
        String feature = call.parameter(1);
        SideStream.Writer writer = service.sideStream(id, call.header(HttpPeer.KEY_HEADER), feature);
        if (writer == null) {
            throw new BadRequest(404, "migration " + id + " offers no " + feature + " stream to this caller");
        }
        return Reply.stream(out -> {
            try (var tag = MigrationLog.tag(id)) {
                writer.writeTo(out);
            }
        });
    }

    /** {@code POST /v1/migrate}: runs a peer-to-peer migration from this daemon, replying with its transcript. */
    private String migrate(Call call) throws Exception {
        Messages.Migrate request = Messages.Migrate.fromXml(xml(call));
        call.target("domain " + request.domain());
        List<DaemonMessages.Step> steps = new ArrayList<>();
        List<String> warnings = new ArrayList<>();
        Messages.Finished finished = service.migrate(request, new MigrationDriver.Listener() {
            @Override
            public void step(String phase, String host, String cookie) {
                steps.add(new DaemonMessages.Step(phase, host, cookie));
            }

            @Override
            public void warning(String message) {
                warnings.add(message);
            }
        });
        return new DaemonMessages.Migrated(finished.id(), finished.domain(), steps, warnings).toXml();
    }

    /** The certificate subject of a peer's call; null for an operator's. */
    private static String peer(Call call) {
        return call.caller().role() == Caller.Role.PEER ? call.caller().who() : null;
    }

    private Xml xml(Call call) throws Exception {
        return call.xml(parser, MESSAGE);
    }
}
