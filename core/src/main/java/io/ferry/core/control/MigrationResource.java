package io.ferry.core.control;

import com.sun.net.httpserver.HttpExchange;
import io.ferry.core.migration.MigrationEngine;
import io.ferry.api.cookie.SideStream;
import io.ferry.core.section.MigrationLog;
import io.ferry.protocol.ChannelException;
import io.ferry.protocol.HttpPeer;
import io.ferry.protocol.Messages;
import io.ferry.protocol.MigrationDriver;
import io.ferry.protocol.Xml;
import io.ferry.protocol.xml.HardenedXmlParser;
import io.ferry.protocol.xml.XmlException;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * The migration protocol on the control channel: {@code POST /v1/migration/begin|prepare|perform|finish|confirm},
 * {@code POST /v1/migration/settle|keepalive}, {@code GET /v1/migration/ID} (what became of it),
 * {@code GET /v1/migration/ID/stream/FEATURE} (a side stream, for the holder of the migration's key),
 * {@code POST /v1/migration/ID/tunnel} (tunnelled memory), and {@code POST /v1/migrate} (peer-to-peer: this daemon
 * drives the migration).
 */
final class MigrationResource implements Resource {
    private final MigrationEngine service;
    private final HardenedXmlParser parser;
    private final int maxBytes;

    MigrationResource(MigrationEngine service, int cookieMaxBytes, int maxDepth) {
        this.service = service;
        // a message carries a cookie and a domain definition
        this.maxBytes = 2 * cookieMaxBytes + 64 * 1024;
        this.parser = new HardenedXmlParser(maxBytes, maxDepth);
    }

    @Override
    public void handle(HttpExchange exchange, String path) throws IOException, Exchanges.BadRequest {
        try {
            if (exchange.getRequestMethod().equals("GET") && path.matches("[A-Za-z0-9-]+")) {
                Exchanges.reply(exchange, 200, service.fate(path).toXml());
                return;
            }
            if (exchange.getRequestMethod().equals("GET") && path.matches("[A-Za-z0-9-]+/stream/[A-Za-z0-9._-]+")) {
                String[] parts = path.split("/");
                SideStream.Writer writer = service.sideStream(parts[0], exchange.getRequestHeaders().getFirst(HttpPeer.KEY_HEADER),
                        parts[2]);
                if (writer == null) {
                    throw new Exchanges.BadRequest(404, "migration " + parts[0] + " offers no " + parts[2] + " stream to this caller");
                }
                exchange.getResponseHeaders().set("Content-Type", "application/octet-stream");
                exchange.sendResponseHeaders(200, 0);
                try (var out = exchange.getResponseBody(); var tag = MigrationLog.tag(parts[0])) {
                    writer.writeTo(out);
                }
                return;
            }
            if (!exchange.getRequestMethod().equals("POST")) {
                throw new Exchanges.BadRequest(405, "use POST /v1/migration/PHASE");
            }
            if (path.endsWith("/tunnel")) {
                try (InputStream body = exchange.getRequestBody()) {
                    service.tunnel(path.substring(0, path.length() - "/tunnel".length()), body);
                }
                Exchanges.reply(exchange, 200, "<received/>\n");
                return;
            }
            Xml request = read(exchange);
            String reply = switch (path) {
                case "begin" -> service.begin(Messages.Begin.fromXml(request)).toXml();
                case "prepare" -> service.prepare(Messages.Prepare.fromXml(request)).toXml();
                case "perform" -> service.perform(Messages.Perform.fromXml(request)).toXml();
                case "finish" -> service.finish(Messages.Finish.fromXml(request)).toXml();
                case "confirm" -> {
                    service.confirm(Messages.Confirm.fromXml(request));
                    yield "<confirmed/>\n";
                }
                case "settle" -> {
                    Messages.MigrationKey settle = Messages.MigrationKey.fromXml(request);
                    yield new Messages.Fate(settle.id(), service.settle(settle.id(), settle.key())).toXml();
                }
                case "endpoint" -> {
                    Messages.MigrationKey asked = Messages.MigrationKey.fromXml(request);
                    yield service.endpoint(asked.id(), asked.key()).toXml();
                }
                case "keepalive" -> {
                    Messages.MigrationKey alive = Messages.MigrationKey.fromXml(request);
                    service.keepalive(alive.id(), alive.key());
                    yield "<alive/>\n";
                }
                default -> throw new Exchanges.BadRequest(404, "no migration phase '" + path + "'");
            };
            Exchanges.reply(exchange, 200, reply);
        } catch (Exchanges.BadRequest e) {
            throw e;
        } catch (Exception e) {
            throw new Exchanges.BadRequest(400, message(e));
        }
    }

    /** {@code POST /v1/migrate}: runs a peer-to-peer migration from this daemon, replying with its transcript. */
    void migrate(HttpExchange exchange) throws IOException, Exchanges.BadRequest {
        try {
            Messages.Migrate request = Messages.Migrate.fromXml(read(exchange));
            List<String[]> steps = new ArrayList<>();
            List<String> warnings = new ArrayList<>();
            Messages.Finished finished = service.migrate(request, new MigrationDriver.Listener() {
                @Override
                public void step(String phase, String host, String cookie) {
                    steps.add(new String[] {phase, host, cookie});
                }

                @Override
                public void warning(String message) {
                    warnings.add(message);
                }
            });
            Xml reply = Xml.create("migrated").attr("id", finished.id()).attr("domain", finished.domain());
            for (String[] step : steps) {
                reply.child("step").attr("phase", step[0]).attr("host", step[1]).text("cookie", step[2]);
            }
            warnings.forEach(w -> reply.text("warning", w));
            Exchanges.reply(exchange, 200, reply.write());
        } catch (Exchanges.BadRequest e) {
            throw e;
        } catch (Exception e) {
            throw new Exchanges.BadRequest(400, message(e));
        }
    }

    private Xml read(HttpExchange exchange) throws IOException, Exchanges.BadRequest, XmlException {
        return Xml.of(parser.parse(Exchanges.body(exchange, maxBytes, "migration message"), "migration message").getDocumentElement());
    }

    private static String message(Exception e) {
        String message = e.getMessage();
        if (e instanceof ChannelException || message != null) {
            return message == null ? e.toString() : message.replaceAll("\\s+", " ");
        }
        return e.toString();
    }
}
