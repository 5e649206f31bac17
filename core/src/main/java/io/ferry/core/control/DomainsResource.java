package io.ferry.core.control;

import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.api.hypervisor.MigrationStats;
import io.ferry.api.hypervisor.VirtualMachine;
import io.ferry.core.daemon.MigrationIds;
import io.ferry.core.domain.Domain;
import io.ferry.core.domain.DomainException;
import io.ferry.core.domain.DomainManager;
import io.ferry.core.domain.ShownState;
import io.ferry.core.migration.Jobs;
import io.ferry.core.migration.MigrationEngine;
import io.ferry.core.snapshot.SnapshotFiles;
import io.ferry.protocol.DomainMessages;
import io.ferry.protocol.DomainMessages.Done;
import io.ferry.protocol.DomainMessages.Job;
import io.ferry.protocol.DomainMessages.JobSetting;
import io.ferry.protocol.Messages;
import io.ferry.protocol.Operation;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Domains on the control channel: list, define, info, definition, undefine, start, destroy, resume, suspend, and the
 * migration job (info, abort, speed, max downtime). Operators only.
 */
final class DomainsResource {
    private static final Logger LOG = LoggerFactory.getLogger(DomainsResource.class);
    private static final long MIB = 1024 * 1024;
    private static final Job NO_JOB = new Job("none", null, null, null);

    private final DomainManager domains;
    private final Jobs jobs;
    private final MigrationEngine migrations;
    private final SnapshotFiles snapshots;

    DomainsResource(DomainManager domains, MigrationEngine migrations, SnapshotFiles snapshots) {
        this.domains = domains;
        this.snapshots = snapshots;
        this.migrations = migrations;
        this.jobs = migrations.jobs();
    }

    void addTo(RouteTable routes, int maxBytes) {
        routes.add(operator(Operation.LIST_DOMAINS, call -> {
            List<DomainMessages.Domain> list = new ArrayList<>();
            for (Domain domain : domains.list()) {
                list.add(describe(domain, false));
            }
            return new DomainMessages.Domains(list).toXml();
        }));
        routes.add(operator(Operation.DEFINE, call -> {
            Domain domain = domains.define(call.bodyText());
            call.target("domain " + domain.name());
            return new DomainMessages.Defined(domain.name(), domain.uuid() == null ? null : domain.uuid().toString()).toXml();
        }).body(maxBytes, "domain definition"));
        routes.add(operator(Operation.DOMAIN_INFO, call -> describe(domains.get(call.parameter(0)), true).toXml()));
        routes.add(operator(Operation.DOMAIN_XML, call -> definition(domains.get(call.parameter(0)),
                "yes".equals(call.query("inactive")))));
        routes.add(operator(Operation.UNDEFINE, call -> {
            boolean withSnapshots = "yes".equals(call.query("snapshots-metadata"));
            domains.undefine(call.parameter(0), new SnapshotsGo(withSnapshots));
            return Done.of("undefined").toXml();
        }));
        routes.add(operator(Operation.START, call -> {
            domains.start(call.parameter(0));
            return Done.of("started").toXml();
        }));
        routes.add(operator(Operation.DESTROY, call -> {
            domains.destroy(call.parameter(0));
            return Done.of("destroyed").toXml();
        }));
        routes.add(operator(Operation.RESUME, call -> new Done("resumed",
                migrations.resume(call.parameter(0), "yes".equals(call.query("force")))).toXml()));
        routes.add(operator(Operation.SUSPEND, call -> {
            String migration = migrationOf(call); // ferry migrate --timeout: while that migration is under way only
            if (migration != null) {
                call.target("domain " + call.parameter(0) + ", migration " + migration);
            }
            return migrations.suspend(call.parameter(0), migration).toXml();
        }));
        routes.add(operator(Operation.JOB_INFO, call -> job(domains.get(call.parameter(0)), "yes".equals(call.query("completed")))));
        routes.add(operator(Operation.JOB_ABORT, call -> {
            String name = call.parameter(0);
            String migration = migrationOf(call); // ferry migrate's Ctrl-C: that migration only
            if (migration == null) {
                return new Done("aborted", migrations.abortJob(domains.get(name).name())).toXml();
            }
            // not looked up here: the migration may have taken the domain away (a transient one's Confirm), and its
            // record still answers "too late"; the engine requires the domain where the record does not answer
            call.target("domain " + name + ", migration " + migration);
            return migrations.abortMigration(name, migration).toXml();
        }));
        routes.add(operator(Operation.JOB_SPEED, call -> {
            long mib = number(call, "mib", Messages.Begin.MAX_BANDWIDTH_MIB);
            jobs.setSpeed(domains.get(call.parameter(0)).name(), mib * MIB);
            return Done.of("speed").toXml();
        }));
        routes.add(operator(Operation.JOB_MAX_DOWNTIME, call -> {
            jobs.setMaxDowntime(domains.get(call.parameter(0)).name(), number(call, "ms", Long.MAX_VALUE));
            return Done.of("maxdowntime").toXml();
        }));
        routes.add(operator(Operation.JOB_GET_SPEED, call ->
                new JobSetting("speed", jobs.speed(domains.get(call.parameter(0)).name()) / MIB).toXml()));
        routes.add(operator(Operation.JOB_GET_MAX_DOWNTIME, call ->
                new JobSetting("maxdowntime", jobs.maxDowntime(domains.get(call.parameter(0)).name())).toXml()));
    }

    /** An operator's route whose handler answers XML. */
    static Route operator(Operation operation, XmlHandler handler) {
        return Route.of(operation, Route.Access.OPERATOR, call -> Reply.xml(handler.handle(call)));
    }

    /** A handler that answers an XML document. */
    interface XmlHandler {
        String handle(Call call) throws Exception;
    }

    private String job(Domain domain, boolean completed) {
        if (completed) {
            return jobs.lastEnded(domain.name())
                    .map(j -> new Job(j.error() == null ? "completed" : "failed", j.operation(), stats(j.stats()), j.error(),
                            j.migration()))
                    .orElse(NO_JOB).toXml();
        }
        return jobs.active(domain.name())
                .map(j -> new Job("unbounded", j.operation(), stats(j.stats()), j.holdup(), j.migration()))
                .orElse(NO_JOB).toXml();
    }

    /** The migration a call names ({@code ?migration=ID}), or null; refused unless it is an id a migration may have. */
    private static String migrationOf(Call call) throws BadRequest {
        String migration = call.query("migration");
        if (migration != null && !MigrationIds.isValid(migration)) {
            throw new BadRequest(400, "invalid migration id: at most 64 letters, digits and dashes");
        }
        return migration;
    }

    private static long number(Call call, String key, long max) throws BadRequest {
        String value = call.required(key);
        long number;
        try {
            number = Long.parseLong(value);
        } catch (NumberFormatException e) {
            number = -1;
        }
        if (number < 0) {
            throw new BadRequest(400, "invalid " + key + " '" + value + "'");
        }
        if (number > max) {
            throw new BadRequest(400, "invalid " + key + " '" + value + "': at most " + max);
        }
        return number;
    }

    /**
     * As libvirt: a shut-off domain's snapshots go with its definition, when asked to ({@code --snapshots-metadata});
     * else its undefine is refused, since left behind they would be the snapshots of the next domain given its UUID.
     * An active domain's stay with it, transient, as the guest runs on. They go once the definition is gone: a failure
     * to delete it left the domain defined without them.
     */
    private final class SnapshotsGo implements DomainManager.Undefining {
        private final boolean withSnapshots;

        SnapshotsGo(boolean withSnapshots) {
            this.withSnapshots = withSnapshots;
        }

        @Override
        public void before(Domain domain) throws Exception {
            if (!domain.isActive() && !withSnapshots) {
                int count = snapshots.count(domain.uuid());
                if (count > 0) {
                    throw new DomainException("Requested operation is not valid: cannot delete inactive domain with "
                            + count + " snapshots");
                }
            }
        }

        /** Nothing names the snapshots of an undefined domain again but its UUID: the operator is told, and logged. */
        @Override
        public void after(Domain domain) throws DomainException {
            if (domain.isActive()) {
                return;
            }
            try {
                snapshots.forget(domain.uuid());
            } catch (IOException e) {
                DomainException stayed = new DomainException("domain " + domain.name() + " is undefined, but its"
                        + " snapshots stay (" + e.getMessage() + "): remove them by hand before a domain is given its"
                        + " UUID " + domain.uuid(), e);
                LOG.error(stayed.getMessage());
                throw stayed;
            }
        }
    }

    /**
     * virsh dumpxml: the definition the domain runs while active, else its stored one; {@code inactive}, the stored one
     * (the next boot's) even while it runs, as libvirt's {@code --inactive} (a transient domain has only the one it runs).
     */
    private static String definition(Domain domain, boolean inactive) throws DomainException {
        DomainSpec spec = inactive && domain.persistent() != null ? domain.persistent() : domain.current();
        if (spec == null) {
            throw DomainException.unreadable(domain);
        }
        return spec.xml();
    }

    private static DomainMessages.JobStats stats(MigrationStats s) {
        return new DomainMessages.JobStats(s.elapsedMillis(), s.total(), s.processed(), s.remaining(), s.bandwidth(), s.dirtyRate(),
                s.iteration(), s.downtimeMillis(), s.setupMillis(), s.pageSize(), s.memoryVerified(), s.percent());
    }

    /**
     * The VM's memory digest; none while a stop that destroyed it (its memory released) deals with its leases and files
     * before the domain lets go of it: the VM is going, not the daemon failing.
     */
    private static String digestOf(VirtualMachine vm) {
        try {
            return vm.memoryDigest();
        } catch (IllegalStateException | UncheckedIOException e) {
            return null;
        }
    }

    private static DomainMessages.Domain describe(Domain domain, boolean details) {
        String uuid = domain.uuid() == null ? null : domain.uuid().toString();
        ShownState shown = ShownState.of(domain);
        DomainMessages.Domain brief = DomainMessages.Domain.brief(domain.name(), uuid, shown.state().display(),
                shown.reason().display(), domain.persistent() != null, domain.problem());
        if (!details || domain.current() == null) {
            return brief;
        }
        List<DomainMessages.Graphics> graphics = new ArrayList<>();
        String digest = null;
        VirtualMachine vm = domain.vm();
        if (vm != null) {
            if (vm.hasMemoryDigest()) { // QEMU's VMs have none
                digest = digestOf(vm);
            }
            vm.graphicsListeners().forEach(g -> graphics.add(new DomainMessages.Graphics(g.type(), g.port(), g.listen())));
        }
        return new DomainMessages.Domain(brief.name(), uuid, brief.state(), brief.reason(), brief.persistent(), brief.problem(),
                domain.current().type(), domain.current().memoryKiB(), domain.current().vcpus(), domain.migration(), digest,
                List.copyOf(graphics));
    }
}
