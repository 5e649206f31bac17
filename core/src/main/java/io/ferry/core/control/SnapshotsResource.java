package io.ferry.core.control;

import io.ferry.api.lock.LeaseRequest;
import io.ferry.api.snapshot.SnapshotStore;
import io.ferry.core.domain.Domain;
import io.ferry.core.domain.DomainException;
import io.ferry.core.domain.DomainManager;
import io.ferry.core.snapshot.SnapshotFiles;
import io.ferry.protocol.ControlClient;
import io.ferry.protocol.DaemonMessages.Snapshot;
import io.ferry.protocol.DaemonMessages.SnapshotMade;
import io.ferry.protocol.DaemonMessages.Snapshots;
import io.ferry.protocol.Operation;
import io.ferry.protocol.Xml;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.w3c.dom.Element;

/**
 * A domain's snapshot metadata: list (parents first, with the current one), snapshot-create-as, snapshot-dumpxml
 * and snapshot-current NAME S. Operators only.
 */
final class SnapshotsResource {
    private final DomainManager domains;
    private final SnapshotFiles snapshots;

    SnapshotsResource(DomainManager domains, SnapshotFiles snapshots) {
        this.domains = domains;
        this.snapshots = snapshots;
    }

    void addTo(RouteTable routes) {
        routes.add(DomainsResource.operator(Operation.SNAPSHOT_LIST, call -> list(readable(call))));
        routes.add(DomainsResource.operator(Operation.SNAPSHOT_CREATE, call -> {
            Domain domain = readable(call);
            String name = call.required("name");
            return changing(domain, "snapshot-create", () -> create(domain, name, call.query("description")));
        }));
        routes.add(DomainsResource.operator(Operation.SNAPSHOT_XML, call -> {
            String name = call.parameter(1);
            return snapshots.list(readable(call).uuid()).stream().filter(s -> s.name().equals(name)).findFirst()
                    .orElseThrow(() -> new BadRequest(404, "Domain snapshot not found: no domain snapshot with matching name '"
                            + name + "'")).xml();
        }));
        routes.add(DomainsResource.operator(Operation.SNAPSHOT_SET_CURRENT, call -> {
            if (!"yes".equals(call.query("current"))) {
                throw new BadRequest(400, "missing parameter 'current'");
            }
            Domain domain = readable(call);
            return changing(domain, "snapshot-current", () -> {
                requireNotRunningElsewhere(domain, "make a snapshot current");
                try {
                    snapshots.setCurrent(domain.uuid(), call.parameter(1));
                } catch (IOException e) {
                    throw new BadRequest(e.getMessage().startsWith("Domain snapshot not found") ? 404 : 400, e.getMessage());
                }
                return new SnapshotMade(call.parameter(1), true).toXml();
            });
        }));
    }

    /**
     * Changes the domain's snapshots under its job, as libvirt's job lock: refused while a migration has claimed the
     * domain (a source's change after Begin would never reach the destination, a destination's would land before the
     * migrated snapshots commit), and never in the middle of a Begin that reads them.
     */
    private String changing(Domain domain, String what, DomainManager.Job<String> change) throws Exception {
        try {
            return domains.withJob(domain, what, change);
        } catch (DomainException e) {
            if (e.getCause() instanceof BadRequest || e.getCause() instanceof IOException) {
                throw (Exception) e.getCause(); // the change's own refusal or failure, with its status
            }
            throw e;
        }
    }

    /**
     * A shut-off domain whose leases (its disks', its own) another host's VM holds (the definition a live migration left
     * on its source without --undefinesource) has its snapshots where it runs: those made or marked here would join the
     * ones it brings back (a name made on both hosts then refused its return here), and a snapshot of disks in use is
     * none. Refused as a start is, naming the disk and its holder, before anything changes.
     */
    private void requireNotRunningElsewhere(Domain domain, String what) throws DomainException {
        if (domain.isActive() || domain.current() == null) {
            return; // an active domain's leases are this host's
        }
        Optional<String> holder = domains.leases().heldElsewhere(domain.current());
        if (holder.isPresent()) {
            boolean itself = holder.get().contains(LeaseRequest.domainResource(domain.uuid())); // no disk's lease held
            throw new DomainException("Requested operation is not valid: cannot " + what + " of domain " + domain.name()
                    + " here while " + (itself ? "it runs" : "its disks are in use") + " elsewhere: " + holder.get()
                    + " (its snapshots are changed where it runs)");
        }
    }

    private Domain readable(Call call) throws DomainException, BadRequest {
        Domain domain = domains.get(call.parameter(0));
        if (domain.problem() != null) {
            throw new BadRequest(400, DomainException.unreadable(domain).getMessage());
        }
        return domain;
    }

    private String list(Domain domain) throws IOException {
        List<Snapshot> list = new ArrayList<>();
        for (SnapshotStore.Snapshot s : snapshots.list(domain.uuid())) {
            Element element = ControlClient.parseQuietly(s.xml());
            Xml parsed = element == null ? null : Xml.of(element);
            list.add(new Snapshot(s.name(), s.parent(), parsed == null ? null : parsed.childText("state"),
                    parsed == null ? null : parsed.childText("creationTime")));
        }
        return new Snapshots(snapshots.current(domain.uuid()).orElse(null), list).toXml();
    }

    private String create(Domain domain, String name, String description) throws BadRequest, IOException, DomainException {
        if (domain.current() == null) {
            throw new BadRequest(400, "domain " + domain.name() + " has no definition to snapshot");
        }
        requireNotRunningElsewhere(domain, "create a snapshot");
        String state = Xml.keyword(domain.state());
        String definition = domain.current().xml();
        try {
            // the parent read by the store, once the snapshots of an arrival it could not commit yet are
            snapshots.add(domain.uuid(), name, parent -> {
                Xml xml = Xml.create("domainsnapshot").text("name", name).text("description", description)
                        .text("state", state).text("creationTime", Long.toString(System.currentTimeMillis() / 1000));
                parent.ifPresent(p -> xml.child("parent").text("name", p));
                // the definition at this point, kept verbatim as libvirt does: not indented, that would change the
                // text of multi-line elements, for every later migration of the snapshot too
                String withDomain = xml.write().replace("</domainsnapshot>", definition + "</domainsnapshot>");
                return new SnapshotStore.Snapshot(name, parent.orElse(null), withDomain);
            });
        } catch (IOException e) {
            throw new BadRequest(400, e.getMessage());
        }
        return new SnapshotMade(name, false).toXml();
    }
}
