package io.ferry.core.control;

import com.sun.net.httpserver.HttpExchange;
import io.ferry.api.snapshot.SnapshotStore;
import io.ferry.core.domain.Domain;
import io.ferry.core.domain.DomainException;
import io.ferry.core.snapshot.SnapshotFiles;
import io.ferry.protocol.Xml;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A domain's snapshot metadata: {@code GET /v1/domains/NAME/snapshots} (list, parents first, with the current
 * one), {@code POST …/snapshots?name=S[&description=T]} (snapshot-create-as), {@code GET …/snapshots/S}
 * (snapshot-dumpxml), {@code POST …/snapshots/S?current=yes} (snapshot-current NAME S).
 */
final class SnapshotsResource {
    private final SnapshotFiles snapshots;

    SnapshotsResource(SnapshotFiles snapshots) {
        this.snapshots = snapshots;
    }

    void handle(HttpExchange exchange, Domain domain, String snapshot) throws IOException, Exchanges.BadRequest {
        if (domain.problem() != null) {
            throw new Exchanges.BadRequest(400, DomainException.unreadable(domain).getMessage());
        }
        String method = exchange.getRequestMethod();
        if (snapshot.isEmpty() && method.equals("GET")) {
            Xml list = Xml.create("snapshots").attr("current", snapshots.current(domain.uuid()).orElse(null));
            for (SnapshotStore.Snapshot s : snapshots.list(domain.uuid())) {
                Xml parsed = Xml.of(io.ferry.protocol.ControlClient.parseQuietly(s.xml()));
                list.child("snapshot").attr("name", s.name()).attr("parent", s.parent())
                        .attr("state", parsed == null ? null : parsed.childText("state"))
                        .attr("creationTime", parsed == null ? null : parsed.childText("creationTime"));
            }
            Exchanges.reply(exchange, 200, list.write());
        } else if (snapshot.isEmpty() && method.equals("POST")) {
            Map<String, String> query = Exchanges.query(exchange);
            String name = Exchanges.required(query, "name");
            if (domain.current() == null) {
                throw new Exchanges.BadRequest(400, "domain " + domain.name() + " has no definition to snapshot");
            }
            Optional<String> parent = snapshots.current(domain.uuid());
            Xml xml = Xml.create("domainsnapshot").text("name", name).text("description", query.get("description"))
                    .text("state", domain.state().name().toLowerCase()).text("creationTime",
                            Long.toString(System.currentTimeMillis() / 1000));
            parent.ifPresent(p -> xml.child("parent").text("name", p));
            String document = xml.write();
            // the definition at this point, as libvirt keeps it inside the snapshot
            String withDomain = document.replace("</domainsnapshot>", domain.current().xml().indent(2) + "</domainsnapshot>");
            try {
                snapshots.add(domain.uuid(), new SnapshotStore.Snapshot(name, parent.orElse(null), withDomain));
            } catch (IOException e) {
                throw new Exchanges.BadRequest(400, e.getMessage());
            }
            Exchanges.reply(exchange, 200, Xml.create("snapshot").attr("name", name).write());
        } else if (method.equals("GET")) {
            List<SnapshotStore.Snapshot> all = snapshots.list(domain.uuid());
            SnapshotStore.Snapshot found = all.stream().filter(s -> s.name().equals(snapshot)).findFirst()
                    .orElseThrow(() -> new Exchanges.BadRequest(404, "Domain snapshot not found: no domain snapshot with matching name '"
                            + snapshot + "'"));
            Exchanges.reply(exchange, 200, found.xml());
        } else if (method.equals("POST") && "yes".equals(Exchanges.query(exchange).get("current"))) {
            try {
                snapshots.setCurrent(domain.uuid(), snapshot);
            } catch (IOException e) {
                throw new Exchanges.BadRequest(e.getMessage().startsWith("Domain snapshot not found") ? 404 : 400, e.getMessage());
            }
            Exchanges.reply(exchange, 200, Xml.create("snapshot").attr("name", snapshot).attr("current", "yes").write());
        } else {
            throw new Exchanges.BadRequest(405, "use GET or POST on /v1/domains/NAME/snapshots");
        }
    }
}
