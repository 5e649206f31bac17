package io.ferry.protocol;

import java.util.ArrayList;
import java.util.List;

/**
 * The replies about domains and their migration jobs ({@code /v1/domains…}), one record each with its XML form,
 * written by the daemon and read by the command line.
 */
public final class DomainMessages {
    private DomainMessages() {
    }

    /** A graphics listener of a running domain. */
    public record Graphics(String type, long port, String listen) {
    }

    /**
     * A domain as {@code GET /v1/domains/NAME} describes it; in the list, only the fields up to {@code problem}.
     *
     * @param uuid null for a domain whose files cannot be read
     * @param problem why its files cannot be read, or null
     * @param migration the migration it takes part in, or null
     * @param digest its memory's digest, for a VM that has one
     */
    public record Domain(String name, String uuid, String state, String reason, boolean persistent, String problem, String type,
            Long memoryKiB, Integer vcpus, String migration, String digest, List<Graphics> graphics) {
        /** A list entry: what {@code list} shows. */
        public static Domain brief(String name, String uuid, String state, String reason, boolean persistent, String problem) {
            return new Domain(name, uuid, state, reason, persistent, problem, null, null, null, null, null, List.of());
        }

        public String toXml() {
            return write(Xml.create("domain")).write();
        }

        private Xml write(Xml x) {
            x.attr("name", name).attr("uuid", uuid).attr("state", state).attr("reason", reason)
                    .attr("persistent", persistent ? "yes" : "no").attr("problem", problem).attr("type", type)
                    .attr("memory", memoryKiB).attr("vcpus", vcpus).attr("migration", migration).attr("digest", digest);
            for (Graphics g : graphics) {
                x.child("graphics").attr("type", g.type()).attr("port", g.port()).attr("listen", g.listen());
            }
            return x;
        }

        public static Domain fromXml(Xml x) throws ChannelException {
            List<Graphics> graphics = new ArrayList<>();
            for (Xml g : x.children("graphics")) {
                graphics.add(new Graphics(g.required("type"), g.number("port", -1), g.attr("listen")));
            }
            String memory = x.attr("memory");
            String vcpus = x.attr("vcpus");
            return new Domain(x.required("name"), x.attr("uuid"), x.required("state"), x.attr("reason"),
                    "yes".equals(x.attr("persistent")), x.attr("problem"), x.attr("type"),
                    memory == null ? null : x.number("memory", 0), vcpus == null ? null : (int) x.number("vcpus", 0),
                    x.attr("migration"), x.attr("digest"), List.copyOf(graphics));
        }
    }

    /** {@code GET /v1/domains}. */
    public record Domains(List<Domain> domains) {
        public String toXml() {
            Xml list = Xml.create("domains");
            domains.forEach(d -> d.write(list.child("domain")));
            return list.write();
        }

        public static Domains fromXml(Xml x) throws ChannelException {
            List<Domain> domains = new ArrayList<>();
            for (Xml d : x.children("domain")) {
                domains.add(Domain.fromXml(d));
            }
            return new Domains(List.copyOf(domains));
        }
    }

    /** {@code POST /v1/domains}: the domain a definition made. */
    public record Defined(String name, String uuid) {
        public String toXml() {
            return Xml.create("domain").attr("name", name).attr("uuid", uuid).write();
        }

        public static Defined fromXml(Xml x) throws ChannelException {
            return new Defined(x.required("name"), x.attr("uuid"));
        }
    }

    /**
     * The reply of an action: {@code <started/>}, {@code <destroyed/>}…, and for the operator's actions on a
     * migration ({@code resume}, {@code domjobabort}) what was done, {@code <resumed message='…'/>}.
     *
     * @param message null for an action that has nothing to say
     */
    public record Done(String action, String message) {
        public static Done of(String action) {
            return new Done(action, null);
        }

        public String toXml() {
            return Xml.create(action).attr("message", message).write();
        }

        public static Done fromXml(Xml x) {
            return new Done(x.name(), x.attr("message"));
        }
    }

    /**
     * {@code GET /v1/domains/NAME/job/speed} ({@code <speed value='MiB/s'/>}) and {@code …/job/maxdowntime}
     * ({@code <maxdowntime value='ms'/>}): a migration setting of the domain as its migrations get it now.
     */
    public record JobSetting(String setting, long value) {
        public String toXml() {
            return Xml.create(setting).attr("value", value).write();
        }

        public static JobSetting fromXml(Xml x) throws ChannelException {
            String value = x.required("value");
            try {
                return new JobSetting(x.name(), Long.parseLong(value));
            } catch (NumberFormatException e) {
                throw new ChannelException("malformed <" + x.name() + "> message: value '" + value + "' is not a number", false);
            }
        }
    }

    /** A transfer's figures as libvirt's job info has them (the api's {@code MigrationStats}). */
    public record JobStats(long elapsedMillis, long total, long processed, long remaining, long bandwidth, long dirtyRate,
            long iteration, long downtimeMillis, long setupMillis, long pageSize, boolean verified, int percent) {
    }

    /**
     * {@code GET /v1/domains/NAME/job[?completed=yes]}.
     *
     * @param type {@code unbounded} (a job runs), {@code completed} or {@code failed} (the last one that ended), {@code none}
     * @param operation what the job does or did, or null
     * @param stats null for {@code none}
     * @param error why a {@code failed} job failed; for an {@code unbounded} one, what keeps it from ending though it
     *        failed (an arrival whose abort waits for its incoming VM to die); null otherwise
     * @param migration the id of the migration the job is, or null (none, or a daemon that does not say): what tells
     *        a {@code ferry migrate --verbose} its own migration's progress from another's of the domain
     */
    public record Job(String type, String operation, JobStats stats, String error, String migration) {
        public Job(String type, String operation, JobStats stats, String error) {
            this(type, operation, stats, error, null);
        }

        public String toXml() {
            Xml job = Xml.create("job").attr("type", type).attr("operation", operation).attr("error", error)
                    .attr("migration", migration);
            if (stats != null) {
                job.attr("elapsed", stats.elapsedMillis()).attr("total", stats.total()).attr("processed", stats.processed())
                        .attr("remaining", stats.remaining()).attr("bandwidth", stats.bandwidth()).attr("dirty-rate", stats.dirtyRate())
                        .attr("iteration", stats.iteration()).attr("downtime", stats.downtimeMillis()).attr("setup", stats.setupMillis())
                        .attr("page-size", stats.pageSize()).attr("verified", stats.verified() ? "yes" : "no")
                        .attr("percent", stats.percent());
            }
            return job.write();
        }

        public static Job fromXml(Xml x) throws ChannelException {
            String type = x.required("type");
            JobStats stats = x.attr("total") == null ? null : new JobStats(x.number("elapsed", 0), x.number("total", 0),
                    x.number("processed", 0), x.number("remaining", 0), x.number("bandwidth", 0), x.number("dirty-rate", 0),
                    x.number("iteration", 0), x.number("downtime", 0), x.number("setup", 0), x.number("page-size", 0),
                    "yes".equals(x.attr("verified")), (int) x.number("percent", 0));
            return new Job(type, x.attr("operation"), stats, x.attr("error"), x.attr("migration"));
        }
    }
}
