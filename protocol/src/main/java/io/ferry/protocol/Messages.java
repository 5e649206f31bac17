package io.ferry.protocol;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The migration protocol's messages, one record per request and reply of Begin, Prepare, Perform, Finish and
 * Confirm, each with its XML form. Cookies and domain definitions are carried as text.
 */
public final class Messages {
    private static final Pattern SECTION_VERSION = Pattern.compile("\\d{1,9}\\.\\d{1,9}");

    private Messages() {
    }

    /** A cookie section as negotiation sees it: feature and fragment version. */
    public record SectionVersion(String feature, String version) {
        public int major() {
            return Integer.parseInt(version.substring(0, version.indexOf('.')));
        }
    }

    /**
     * What the user asked for ({@code ferry migrate}); the p2p request to the source daemon ({@code POST /v1/migrate}).
     *
     * @param xml the definition the domain runs by at the destination ({@code --xml}), or null
     * @param persistentXml the definition the destination keeps ({@code --persistent-xml}, libvirt's
     *        {@code VIR_MIGRATE_PARAM_PERSIST_XML}), or null: the domain's stored one
     * @param id the migration's id as its operator chose it (a UUID), so that its Ctrl-C can name it while the source
     *        daemon still drives it ({@code domjobabort} of that migration only); null: the source daemon chooses one
     */
    public record Migrate(String domain, String destUri, MigrationFlags flags, String dname, String xml, String persistentXml,
            long bandwidthMiB, String id) {
        public Migrate(String domain, String destUri, MigrationFlags flags, String dname, String xml, long bandwidthMiB) {
            this(domain, destUri, flags, dname, xml, null, bandwidthMiB, null);
        }

        public String toXml() {
            return Xml.create("migrate").attr("domain", domain).attr("dest", destUri).attr("flags", flags)
                    .attr("dname", dname).attr("bandwidth", bandwidthMiB).attr("id", id).text("xml", xml)
                    .text("persistent-xml", persistentXml).write();
        }

        public static Migrate fromXml(Xml x) throws ChannelException {
            return new Migrate(x.required("domain"), x.required("dest"), MigrationFlags.parse(x.attr("flags")),
                    x.attr("dname"), x.childText("xml"), x.childText("persistent-xml"), x.requestNumber("bandwidth", 0),
                    x.attr("id"));
        }

        public Begin begin() {
            return begin(flags);
        }

        /** Its Begin, under {@code flags} (the protocol the driver settled on). */
        public Begin begin(MigrationFlags flags) {
            return new Begin(domain, flags, dname, xml, persistentXml, bandwidthMiB, id);
        }

        public Migrate withFlags(MigrationFlags changed) {
            return new Migrate(domain, destUri, changed, dname, xml, persistentXml, bandwidthMiB, id);
        }
    }

    /**
     * @param persistentXml as {@link Migrate#persistentXml}
     * @param id the migration's id as its driver chose it (a UUID), or null: the source daemon chooses one
     */
    public record Begin(String domain, MigrationFlags flags, String dname, String xml, String persistentXml, long bandwidthMiB,
            String id) {
        /** The largest bandwidth cap in MiB/s whose bytes per second a long holds (0: no cap); migrate-setspeed's too. */
        public static final long MAX_BANDWIDTH_MIB = Long.MAX_VALUE / (1024 * 1024);

        public Begin(String domain, MigrationFlags flags, String dname, String xml, long bandwidthMiB) {
            this(domain, flags, dname, xml, null, bandwidthMiB, null);
        }

        public String toXml() {
            return Xml.create("begin").attr("domain", domain).attr("flags", flags).attr("dname", dname)
                    .attr("bandwidth", bandwidthMiB).attr("id", id).text("xml", xml).text("persistent-xml", persistentXml)
                    .write();
        }

        public static Begin fromXml(Xml x) throws ChannelException {
            return new Begin(x.required("domain"), MigrationFlags.parse(x.attr("flags")), x.attr("dname"),
                    x.childText("xml"), x.childText("persistent-xml"), x.requestNumber("bandwidth", 0), x.attr("id"));
        }
    }

    /**
     * Begin's reply: the migration id, the definition for the destination, the cookie, the source's sections.
     *
     * @param key the migration's secret: only the party holding it (the one Begin answered) may drive the
     *        migration further, on both daemons; the driver hands it to the destination with Prepare
     * @param paused the domain was paused when the migration began: as libvirt's drivers do, the driver migrates it with
     *        {@code paused} so that it arrives paused (a source before this says nothing: false)
     * @param sourceUri the source daemon's own control URL, the one a peer-to-peer destination calls it back at: the
     *        driver names it in Prepare, where the destination fetches the side streams (null: a source before this)
     */
    public record Begun(String id, String key, String domainXml, String cookie, List<SectionVersion> sections,
            boolean paused, String sourceUri) {
        public Begun(String id, String key, String domainXml, String cookie, List<SectionVersion> sections) {
            this(id, key, domainXml, cookie, sections, false);
        }

        public Begun(String id, String key, String domainXml, String cookie, List<SectionVersion> sections,
                boolean paused) {
            this(id, key, domainXml, cookie, sections, paused, null);
        }

        public Begun withSourceUri(String uri) {
            return new Begun(id, key, domainXml, cookie, sections, paused, uri);
        }

        public String toXml() {
            return writeSections(Xml.create("begun").attr("id", id).attr("key", key).attr("paused", paused ? "yes" : null)
                    .attr("source", sourceUri).text("domain", domainXml).text("cookie", cookie), sections).write();
        }

        public static Begun fromXml(Xml x) throws ChannelException {
            return new Begun(x.required("id"), x.required("key"), x.childText("domain"), x.childText("cookie"), readSections(x),
                    "yes".equals(x.attr("paused")), x.attr("source"));
        }
    }

    /** @param sourceUri the source daemon's control URL, where the destination fetches the side streams */
    public record Prepare(String id, String key, MigrationFlags flags, String domainXml, String cookie,
            List<SectionVersion> sections, String sourceUri) {
        public String toXml() {
            return writeSections(Xml.create("prepare").attr("id", id).attr("key", key).attr("flags", flags)
                    .attr("source", sourceUri).text("domain", domainXml).text("cookie", cookie), sections).write();
        }

        public static Prepare fromXml(Xml x) throws ChannelException {
            return new Prepare(x.required("id"), x.required("key"), MigrationFlags.parse(x.attr("flags")),
                    x.childText("domain"), x.childText("cookie"), readSections(x), x.attr("source"));
        }
    }

    /**
     * Prepare's reply.
     *
     * @param dataUri where the memory goes: {@code tcp:HOST:PORT}, or {@code tunnel} through the daemons' channel
     * @param token the secret the source presents on the data connection
     */
    public record Prepared(String id, String dataUri, String token, String cookie, List<SectionVersion> sections) {
        public String toXml() {
            return writeSections(Xml.create("prepared").attr("id", id).attr("uri", dataUri).attr("token", token)
                    .text("cookie", cookie), sections).write();
        }

        public static Prepared fromXml(Xml x) throws ChannelException {
            return new Prepared(x.required("id"), x.attr("uri"), x.attr("token"), x.childText("cookie"), readSections(x));
        }
    }

    /**
     * @param dataUri where the driver says the memory goes; the source checks it against what the destination
     *        itself hands out ({@link Endpoint}), so a Perform cannot send a guest's memory anywhere else
     * @param destUri the destination daemon: whom the source asks for the data endpoint and, later, what became of
     *        the migration
     * @param peerSections the destination's sections
     */
    public record Perform(String id, String key, String dataUri, String cookie, String destUri,
            List<SectionVersion> peerSections) {
        public String toXml() {
            return writeSections(Xml.create("perform").attr("id", id).attr("key", key).attr("uri", dataUri)
                    .attr("dest", destUri).text("cookie", cookie), peerSections).write();
        }

        public static Perform fromXml(Xml x) throws ChannelException {
            return new Perform(x.required("id"), x.required("key"), x.attr("uri"), x.childText("cookie"), x.required("dest"),
                    readSections(x));
        }
    }

    /**
     * The destination's data endpoint of a migration, for the source daemon that presents the migration's key:
     * the data URI it handed out at Prepare and the token the data connection must start with (none when the
     * destination's hypervisor listens itself, QEMU to QEMU).
     *
     * @param domain the name of the domain the destination prepared under this id; null from a destination that does
     *        not say
     * @param uuid that domain's UUID, which the source checks against the domain it migrates; null likewise
     */
    /**
     * @param journal the destination journal's word for the migration ({@link Fate#journal}); null from a daemon
     *        before it said
     * @param keepsDefinition whether the destination was prepared to keep the definition the migration brings
     *        ({@link Fate#keepsDefinition}, asked before it commits): what a protocol-2 source, which goes at Perform, may
     *        undefine; null from a daemon before it said
     * @param acknowledges whether the destination answers its data port's stream, once the memory is in its VM, with
     *        one byte the source waits for before Perform ends: a protocol-2 source stops its copy at Perform, and
     *        bytes the kernel took are not yet memory arrived; null from a daemon before it did, or for another way
     */
    public record Endpoint(String id, String dataUri, String token, String domain, String uuid, String journal,
            Boolean keepsDefinition, Boolean acknowledges) {
        public String toXml() {
            return Xml.create("endpoint").attr("id", id).attr("uri", dataUri).attr("token", token).attr("domain", domain)
                    .attr("uuid", uuid).attr("journal", journal).attr("keeps-definition", yesNo(keepsDefinition))
                    .attr("acknowledges", yesNo(acknowledges)).write();
        }

        public static Endpoint fromXml(Xml x) throws ChannelException {
            return new Endpoint(x.required("id"), x.required("uri"), x.attr("token"), x.attr("domain"), x.attr("uuid"),
                    x.attr("journal"), yesNo(x.attr("keeps-definition")), yesNo(x.attr("acknowledges")));
        }
    }

    public record Performed(String id, String cookie) {
        public String toXml() {
            return Xml.create("performed").attr("id", id).text("cookie", cookie).write();
        }

        public static Performed fromXml(Xml x) throws ChannelException {
            return new Performed(x.required("id"), x.childText("cookie"));
        }
    }

    public record Finish(String id, String key, boolean cancelled, String cookie) {
        public String toXml() {
            return Xml.create("finish").attr("id", id).attr("key", key).attr("cancelled", cancelled ? "yes" : "no")
                    .text("cookie", cookie).write();
        }

        public static Finish fromXml(Xml x) throws ChannelException {
            return new Finish(x.required("id"), x.required("key"), "yes".equals(x.attr("cancelled")), x.childText("cookie"));
        }
    }

    /**
     * Finish's reply. {@code domain} is set when the domain now belongs to the destination, null when the
     * migration was cancelled.
     *
     * @param note what the destination has to say beyond that: for a cancelled migration, its own failure
     *        (the memory that did not arrive, and why), for a committed one, trouble after the commit
     */
    public record Finished(String id, String domain, String cookie, String note) {
        public String toXml() {
            return Xml.create("finished").attr("id", id).attr("domain", domain).attr("note", note).text("cookie", cookie).write();
        }

        public static Finished fromXml(Xml x) throws ChannelException {
            // the destination's words, which the source logs and joins to its errors: one line, as errorText
            String note = x.attr("note");
            return new Finished(x.required("id"), x.attr("domain"), x.childText("cookie"),
                    note == null ? null : Xml.escapeControls(note));
        }
    }

    /** @param reason for a cancelled migration, why the driver gave it up (its first error): what the source reports */
    public record Confirm(String id, String key, boolean cancelled, String cookie, String reason) {
        public Confirm(String id, String key, boolean cancelled, String cookie) {
            this(id, key, cancelled, cookie, null);
        }

        public String toXml() {
            return Xml.create("confirm").attr("id", id).attr("key", key).attr("cancelled", cancelled ? "yes" : "no")
                    .attr("reason", reason).text("cookie", cookie).write();
        }

        public static Confirm fromXml(Xml x) throws ChannelException {
            return new Confirm(x.required("id"), x.required("key"), "yes".equals(x.attr("cancelled")), x.childText("cookie"),
                    x.attr("reason"));
        }
    }

    /**
     * Asks the destination to settle a migration: abort it unless it committed, and say which it is. A Finish
     * under way is waited for. Also the driver's keepalive ({@code keepalive}), which carries nothing else.
     */
    public record MigrationKey(String id, String key) {
        public String toXml(String name) {
            return Xml.create(name).attr("id", id).attr("key", key).write();
        }

        public static MigrationKey fromXml(Xml x) throws ChannelException {
            return new MigrationKey(x.required("id"), x.required("key"));
        }
    }

    /** What a daemon knows of a migration it took part in: the outcome a peer asks for when a reply was lost. */
    public enum Outcome {
        /** Destination: the domain was committed and belongs to this host. */
        COMMITTED,
        /** Not committed, and it never will be: the incoming domain is gone (or never existed). */
        ABORTED,
        /** Still under way. */
        IN_PROGRESS,
        /** This daemon has no record of it. */
        UNKNOWN
    }

    /**
     * @param leaseState with {@link Outcome#ABORTED} from a destination that took the domain's leases and gave them
     *        back when it aborted: the state that release returned, which the source takes them back with (the state
     *        its own switch-over released is stale by then); null otherwise
     * @param keepsDefinition with {@link Outcome#COMMITTED}: whether the destination keeps the definition the migration
     *        brought (it was prepared with {@code --persistent}, or offline), which a driver that gave Prepare other
     *        flags than Begin makes differ from what the source began with; null when the destination did not say
     * @param journal the word for this migration of the journal the answer comes from (a MAC of its id under the
     *        journal's own key): a daemon whose state directory was wiped or replaced, or another daemon at the
     *        destination's address, answers from another journal, and its "unknown" says nothing of the migration;
     *        null from a daemon before it said
     * @param busy with {@link Outcome#IN_PROGRESS}: the migration's Finish or Prepare holds the domain at the
     *        destination right now, and ends soon, committing it or not; false for any other "in progress" (a record
     *        it cannot read, leases it still has to give back), which may last, and from a daemon before it said
     */
    public record Fate(String id, Outcome outcome, String leaseState, Boolean keepsDefinition, String journal,
            boolean busy) {
        public Fate(String id, Outcome outcome) {
            this(id, outcome, null, null, null, false);
        }

        public Fate(String id, Outcome outcome, String leaseState) {
            this(id, outcome, leaseState, null, null, false);
        }

        public Fate(String id, Outcome outcome, String leaseState, Boolean keepsDefinition) {
            this(id, outcome, leaseState, keepsDefinition, null, false);
        }

        /** {@link Outcome#IN_PROGRESS} because the migration's Finish or Prepare holds the domain right now. */
        public static Fate busy(String id) {
            return new Fate(id, Outcome.IN_PROGRESS, null, null, null, true);
        }

        /** The same answer, said from the journal {@code journalId}. */
        public Fate from(String journalId) {
            return new Fate(id, outcome, leaseState, keepsDefinition, journalId, busy);
        }

        public String toXml() {
            return Xml.create("fate").attr("id", id).attr("outcome", Xml.keyword(outcome))
                    .attr("lease-state", leaseState)
                    .attr("keeps-definition", yesNo(keepsDefinition))
                    .attr("busy", busy ? "yes" : null)
                    .attr("journal", journal).write();
        }

        public static Fate fromXml(Xml x) throws ChannelException {
            Outcome outcome;
            try {
                outcome = Xml.keyword(Outcome.class, x.required("outcome"));
            } catch (IllegalArgumentException e) {
                throw new ChannelException("unknown migration outcome " + Xml.quote(x.attr("outcome")), false);
            }
            return new Fate(x.required("id"), outcome, x.attr("lease-state"), yesNo(x.attr("keeps-definition")),
                    x.attr("journal"), "yes".equals(x.attr("busy")));
        }
    }

    private static String yesNo(Boolean value) {
        return value == null ? null : value ? "yes" : "no";
    }

    /** A yes-or-no attribute: null when absent (a daemon before it said), and anything but "yes" is no. */
    private static Boolean yesNo(String value) {
        return value == null ? null : value.equals("yes");
    }

    private static Xml writeSections(Xml message, List<SectionVersion> sections) {
        if (sections != null) {
            Xml list = message.child("sections");
            for (SectionVersion section : sections) {
                list.child("section").attr("feature", section.feature()).attr("version", section.version());
            }
        }
        return message;
    }

    private static List<SectionVersion> readSections(Xml message) throws ChannelException {
        List<Xml> lists = message.children("sections");
        if (lists.isEmpty()) {
            return null;
        }
        List<SectionVersion> sections = new ArrayList<>();
        for (Xml section : lists.get(0).children("section")) {
            String version = section.required("version");
            if (!SECTION_VERSION.matcher(version).matches()) { // major() must fit an int
                throw new ChannelException("malformed section version " + Xml.quote(version), false);
            }
            sections.add(new SectionVersion(section.required("feature"), version));
        }
        return sections;
    }
}
