package io.ferry.protocol;

import io.ferry.protocol.DaemonMessages.Checked;
import io.ferry.protocol.DaemonMessages.Events;
import io.ferry.protocol.DaemonMessages.Migrated;
import io.ferry.protocol.DaemonMessages.SnapshotMade;
import io.ferry.protocol.DaemonMessages.Snapshots;
import io.ferry.protocol.DaemonMessages.Sections;
import io.ferry.protocol.DaemonMessages.Version;
import io.ferry.protocol.DomainMessages.Defined;
import io.ferry.protocol.DomainMessages.Domain;
import io.ferry.protocol.DomainMessages.Domains;
import io.ferry.protocol.DomainMessages.Done;
import io.ferry.protocol.DomainMessages.Job;
import io.ferry.protocol.DomainMessages.JobSetting;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A daemon's operations as typed calls (the migration phases are {@link HttpPeer}'s): what the command line and
 * the tests ask of a daemon, in the records both sides share. Errors are the daemon's one-line refusals.
 */
public final class DaemonClient {
    /** How a daemon refuses {@link #abortJob} of a domain with no job, in libvirt's words. */
    public static final String NO_ACTIVE_JOB = "Requested operation is not valid: no job is active on the domain";
    /** {@link #abortMigration}'s answer when it stopped the migration (or it had ended so). */
    public static final String ABORTED = "aborted";
    /** {@link #abortMigration}'s answer when the migration had not begun: it will not begin now. */
    public static final String WITHDRAWN = "withdrawn";
    /** {@link #suspend}'s status when it paused the domain. */
    public static final String SUSPENDED = "suspended";
    /** {@link #suspend}'s status when the domain was paused already: nothing changed. */
    public static final String PAUSED_ALREADY = "paused";
    /** {@link #suspendForMigration}'s status when the migration is not under way on the daemon: nothing changed. */
    public static final String NOT_UNDER_WAY = "not-under-way";
    private static final byte[] EMPTY = new byte[0];

    private final ControlClient client;

    public DaemonClient(ControlClient client) {
        this.client = client;
    }

    public String uri() {
        return client.uri();
    }

    public Domains domains() throws ChannelException {
        return Domains.fromXml(call(Operation.LIST_DOMAINS, Map.of(), null));
    }

    public Domain domain(String name) throws ChannelException {
        return Domain.fromXml(call(Operation.DOMAIN_INFO, Map.of(), null, name));
    }

    /**
     * A domain's definition ({@code virsh dumpxml}): the one it runs while active, else its stored one.
     *
     * @param inactive the stored one, the next boot's, even while it runs (a transient domain has only the one it runs)
     */
    public String domainXml(String name, boolean inactive) throws ChannelException {
        return client.exchange(Operation.DOMAIN_XML, inactive ? Map.of("inactive", "yes") : Map.of(), Map.of(), null, name);
    }

    public Defined define(byte[] xml) throws ChannelException {
        return Defined.fromXml(call(Operation.DEFINE, Map.of(), xml));
    }

    public void undefine(String name) throws ChannelException {
        undefine(name, false);
    }

    /** @param snapshotsMetadata a shut-off domain's snapshots go too (else its undefine is refused while it has some) */
    public void undefine(String name, boolean snapshotsMetadata) throws ChannelException {
        call(Operation.UNDEFINE, snapshotsMetadata ? Map.of("snapshots-metadata", "yes") : Map.of(), null, name);
    }

    public void start(String name) throws ChannelException {
        call(Operation.START, Map.of(), EMPTY, name);
    }

    public void destroy(String name) throws ChannelException {
        call(Operation.DESTROY, Map.of(), EMPTY, name);
    }

    /** {@code ferry resume}: what was done, in lines; a line that starts with {@code warning: } is one. */
    public String resume(String name, boolean force) throws ChannelException {
        return Done.fromXml(call(Operation.RESUME, force ? Map.of("force", "yes") : Map.of(), EMPTY, name)).message();
    }

    /** {@code ferry suspend}: what was done ({@code Domain 'NAME' suspended}, or that it was paused already). */
    public String suspend(String name) throws ChannelException {
        return Done.fromXml(call(Operation.SUSPEND, Map.of(), EMPTY, name)).message();
    }

    /**
     * {@code ferry migrate --timeout}: suspends the domain only while migration {@code id} of it is under way on this
     * daemon (its source), so that it converges; {@link #SUSPENDED} or {@link #PAUSED_ALREADY}, or {@link #NOT_UNDER_WAY}
     * when that migration has not begun here yet or has ended (nothing was done).
     */
    public Done suspendForMigration(String name, String id) throws ChannelException {
        return Done.fromXml(call(Operation.SUSPEND, Map.of("migration", id), EMPTY, name));
    }

    /** @param completed the last job that ended, instead of the one that runs */
    public Job job(String name, boolean completed) throws ChannelException {
        return Job.fromXml(call(Operation.JOB_INFO, completed ? Map.of("completed", "yes") : Map.of(), null, name));
    }

    /** {@code domjobabort}: what became of the migration; refused with {@link #NO_ACTIVE_JOB} when there is none. */
    public String abortJob(String name) throws ChannelException {
        return Done.fromXml(call(Operation.JOB_ABORT, Map.of(), EMPTY, name)).message();
    }

    /**
     * {@code domjobabort} of migration {@code id} of the domain only, never of another that holds it (the Ctrl-C of
     * {@code ferry migrate}): its answer is {@link #ABORTED}, or {@link #WITHDRAWN} when the migration had not begun and
     * now will not; refused when it ended already. A daemon older than this call aborts the domain's migration.
     */
    public Done abortMigration(String name, String id) throws ChannelException {
        return Done.fromXml(call(Operation.JOB_ABORT, Map.of("migration", id), EMPTY, name));
    }

    /** @param mib MiB/s as the user gave it: the daemon checks it */
    public void setSpeed(String name, String mib) throws ChannelException {
        call(Operation.JOB_SPEED, Map.of("mib", mib), EMPTY, name);
    }

    /** @param ms milliseconds as the user gave them: the daemon checks them */
    public void setMaxDowntime(String name, String ms) throws ChannelException {
        call(Operation.JOB_MAX_DOWNTIME, Map.of("ms", ms), EMPTY, name);
    }

    /** {@code migrate-getspeed}: the domain's migration bandwidth cap, MiB/s, 0 for none. */
    public long speed(String name) throws ChannelException {
        return JobSetting.fromXml(call(Operation.JOB_GET_SPEED, Map.of(), null, name)).value();
    }

    /** {@code migrate-getmaxdowntime}: the longest pause the domain's migration allows at switch-over, ms. */
    public long maxDowntime(String name) throws ChannelException {
        return JobSetting.fromXml(call(Operation.JOB_GET_MAX_DOWNTIME, Map.of(), null, name)).value();
    }

    public Snapshots snapshots(String name) throws ChannelException {
        return Snapshots.fromXml(call(Operation.SNAPSHOT_LIST, Map.of(), null, name));
    }

    /** @param description null: none */
    public SnapshotMade createSnapshot(String name, String snapshot, String description) throws ChannelException {
        Map<String, String> query = new LinkedHashMap<>();
        query.put("name", snapshot);
        if (description != null) {
            query.put("description", description);
        }
        return SnapshotMade.fromXml(call(Operation.SNAPSHOT_CREATE, query, EMPTY, name));
    }

    /** A snapshot's {@code <domainsnapshot>}, as stored. */
    public String snapshotXml(String name, String snapshot) throws ChannelException {
        return client.exchange(Operation.SNAPSHOT_XML, Map.of(), Map.of(), null, name, snapshot);
    }

    public void setCurrentSnapshot(String name, String snapshot) throws ChannelException {
        call(Operation.SNAPSHOT_SET_CURRENT, Map.of("current", "yes"), EMPTY, name, snapshot);
    }

    public Events events() throws ChannelException {
        return Events.fromXml(call(Operation.EVENTS, Map.of(), null));
    }

    public Sections sections() throws ChannelException {
        return Sections.fromXml(call(Operation.SECTIONS, Map.of(), null));
    }

    public Version version() throws ChannelException {
        return Version.fromXml(call(Operation.VERSION, Map.of(), null));
    }

    /** {@code cookie roundtrip}: the cookie parsed with every section and formatted again. */
    public String roundtrip(byte[] cookie) throws ChannelException {
        return client.exchange(Operation.COOKIE_TOOL, Map.of(), Map.of(), cookie, "roundtrip");
    }

    /**
     * {@code cookie check}: {@code query} holds {@code phase} and, if given, {@code local-hostuuid}; the daemon eats the
     * cookie as that phase would and reports each section.
     *
     * @param domain the domain's definition, or null
     */
    public Checked check(Map<String, String> query, DomainFile domain, byte[] cookie) throws ChannelException {
        Map<String, String> full = new LinkedHashMap<>(query);
        full.put("report", "sections");
        byte[] body = withDomain(full, domain, cookie);
        return Checked.fromXml(Xml.of(ControlClient.parse(client.exchange(Operation.COOKIE_TOOL, full, Map.of(), body, "check"))));
    }

    /**
     * {@code cookie bake}: this daemon's cookie for a phase.
     *
     * @param name the domain's name, or null to take it from {@code domain}
     * @param uuid the domain's UUID, or null to take it from {@code domain}
     * @param domain the domain's definition, or null
     */
    public String bake(String phase, String name, String uuid, DomainFile domain) throws ChannelException {
        Map<String, String> query = new LinkedHashMap<>();
        query.put("phase", phase);
        if (name != null) {
            query.put("name", name);
        }
        if (uuid != null) {
            query.put("uuid", uuid);
        }
        return client.exchange(Operation.COOKIE_TOOL, query, Map.of(), withDomain(query, domain, EMPTY), "bake");
    }

    /** A domain definition as the cookie tools send it: its bytes, and the file's name for the daemon's errors. */
    public record DomainFile(String name, byte[] xml) {
    }

    /**
     * The cookie tools' body: the domain's definition ({@code domain-bytes} long, named {@code domain-file} in
     * errors) followed by the cookie; the cookie alone without a domain.
     */
    private static byte[] withDomain(Map<String, String> query, DomainFile domain, byte[] rest) {
        if (domain == null) {
            return rest;
        }
        query.put("domain-file", domain.name());
        query.put("domain-bytes", Integer.toString(domain.xml().length));
        byte[] body = Arrays.copyOf(domain.xml(), domain.xml().length + rest.length);
        System.arraycopy(rest, 0, body, domain.xml().length, rest.length);
        return body;
    }

    /** Peer-to-peer: the source daemon drives the whole migration. */
    public Migrated migrate(Messages.Migrate request) throws ChannelException {
        return Migrated.fromXml(call(Operation.MIGRATE, Map.of(), request.toXml().getBytes(StandardCharsets.UTF_8)));
    }

    private Xml call(Operation operation, Map<String, String> query, byte[] body, String... parameters) throws ChannelException {
        return Xml.of(ControlClient.parse(client.exchange(operation, query, Map.of(), body, parameters)));
    }
}
