package io.ferry.protocol;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The replies about the daemon itself and a domain's snapshots: its sections, version, events, the cookie tools'
 * verdict and a peer-to-peer migration's transcript; one record each with its XML form.
 */
public final class DaemonMessages {
    private DaemonMessages() {
    }

    /** A snapshot in {@code GET /v1/domains/NAME/snapshots}, parents before children. */
    public record Snapshot(String name, String parent, String state, String creationTime) {
    }

    /** {@code GET /v1/domains/NAME/snapshots}: the snapshots and the current one (null: none). */
    public record Snapshots(String current, List<Snapshot> snapshots) {
        public String toXml() {
            Xml list = Xml.create("snapshots").attr("current", current);
            for (Snapshot s : snapshots) {
                list.child("snapshot").attr("name", s.name()).attr("parent", s.parent()).attr("state", s.state())
                        .attr("creationTime", s.creationTime());
            }
            return list.write();
        }

        public static Snapshots fromXml(Xml x) throws ChannelException {
            List<Snapshot> snapshots = new ArrayList<>();
            for (Xml s : x.children("snapshot")) {
                snapshots.add(new Snapshot(s.required("name"), s.attr("parent"), s.attr("state"), s.attr("creationTime")));
            }
            return new Snapshots(x.attr("current"), List.copyOf(snapshots));
        }
    }

    /** The reply of {@code snapshot-create-as} and of {@code snapshot-current NAME SNAP} ({@code current}). */
    public record SnapshotMade(String name, boolean current) {
        public String toXml() {
            return Xml.create("snapshot").attr("name", name).attr("current", current ? "yes" : null).write();
        }

        public static SnapshotMade fromXml(Xml x) throws ChannelException {
            return new SnapshotMade(x.required("name"), "yes".equals(x.attr("current")));
        }
    }

    /**
     * A migration event ({@code migration-begin}…) of {@code GET /v1/events}.
     *
     * @param reason why a {@code migration-failed} migration failed; null for the other events
     */
    public record Event(long sequence, long time, String domain, String type, String side, String reason) {
    }

    public record Events(List<Event> events) {
        public String toXml() {
            Xml list = Xml.create("events");
            for (Event e : events) {
                list.child("event").attr("seq", e.sequence()).attr("time", e.time()).attr("domain", e.domain())
                        .attr("type", e.type()).attr("side", e.side()).attr("reason", e.reason());
            }
            return list.write();
        }

        public static Events fromXml(Xml x) throws ChannelException {
            List<Event> events = new ArrayList<>();
            for (Xml e : x.children("event")) {
                events.add(new Event(e.number("seq", 0), e.number("time", 0), e.required("domain"), e.required("type"), e.attr("side"),
                        e.attr("reason")));
            }
            return new Events(List.copyOf(events));
        }
    }

    /**
     * An installed cookie section of {@code GET /v1/sections}; {@code bakes} and {@code eats} name phases. Every
     * registration is listed: where two bundles offer one feature, one serves migrations and {@code why} says why.
     */
    public record Section(String feature, String element, String version, String mandatory, List<String> bakes, List<String> eats,
            String bundle, boolean serving, String why) {
    }

    public record Sections(List<Section> sections) {
        public String toXml() {
            Xml list = Xml.create("sections");
            for (Section s : sections) {
                list.child("section").attr("feature", s.feature()).attr("element", s.element()).attr("version", s.version())
                        .attr("mandatory", s.mandatory()).attr("bakes", String.join(",", s.bakes()))
                        .attr("eats", String.join(",", s.eats())).attr("bundle", s.bundle())
                        .attr("serving", s.serving() ? "yes" : "no").attr("why", s.why());
            }
            return list.write();
        }

        public static Sections fromXml(Xml x) throws ChannelException {
            List<Section> sections = new ArrayList<>();
            for (Xml s : x.children("section")) {
                sections.add(new Section(s.required("feature"), s.attr("element"), s.attr("version"), s.attr("mandatory"),
                        names(s.attr("bakes")), names(s.attr("eats")), s.attr("bundle"), !"no".equals(s.attr("serving")),
                        s.attr("why")));
            }
            return new Sections(List.copyOf(sections));
        }
    }

    /**
     * {@code GET /v1/version}: the daemon's Ferry version, the migration protocols it speaks, and the request options it
     * takes beyond them ({@link #PERSISTENT_XML}). A daemon from before an option reads a request that carries it as if
     * it did not, so a driver asks first; one from before the list names none.
     */
    public record Version(String ferry, List<Integer> protocols, List<String> options) {
        /** Begin and Migrate's {@code <persistent-xml>}, the definition the destination keeps. */
        public static final String PERSISTENT_XML = "persistent-xml";

        public String toXml() {
            return Xml.create("version").attr("ferry", ferry)
                    .attr("protocols", String.join(",", protocols.stream().sorted().map(String::valueOf).toList()))
                    .attr("options", String.join(",", options)).write();
        }

        public static Version fromXml(Xml x) throws ChannelException {
            List<Integer> protocols = new ArrayList<>();
            for (String number : names(x.required("protocols"))) {
                try {
                    protocols.add(Integer.parseInt(number));
                } catch (NumberFormatException e) {
                    throw new ChannelException("malformed <version> message: protocol '" + number + "'", false);
                }
            }
            return new Version(x.attr("ferry"), List.copyOf(protocols), names(x.attr("options")));
        }
    }

    /**
     * One section of a checked cookie.
     *
     * @param name the section's feature, or {@code <element>} for an element no section of the daemon reads
     * @param outcome {@value #EATEN}, {@value #FAILED} (it fails the phase), {@value #SKIPPED} (an optional section
     *        that failed: a migration goes on without it) or {@value #NOT_EATEN}
     * @param detail the failure's message, or why it was not eaten; null when eaten
     * @param notes what the section would have done on the host, and its warnings
     */
    public record CheckedSection(String name, String outcome, String detail, List<String> notes) {
        public static final String EATEN = "eaten";
        public static final String FAILED = "failed";
        public static final String SKIPPED = "skipped";
        public static final String NOT_EATEN = "not-eaten";

        public CheckedSection {
            notes = List.copyOf(notes);
        }
    }

    /**
     * {@code POST /v1/cookie/check}: what the phase made of the cookie. A daemon that predates the per-section report
     * ({@code report=sections}) answers only an accepting {@code <accepted>}, and refuses with an error.
     *
     * @param refusal the phase's error when it would refuse the cookie; null when it would accept it
     * @param eaten the features eaten, in order
     */
    public record Checked(String phase, String refusal, List<String> eaten, List<CheckedSection> sections) {
        public Checked {
            eaten = List.copyOf(eaten);
            sections = List.copyOf(sections);
        }

        public String toXml() {
            Xml reply = refusal == null ? Xml.create("accepted").attr("phase", phase).attr("sections", String.join(",", eaten))
                    : Xml.create("refused").attr("phase", phase).attr("error", Xml.escapeControls(refusal));
            for (CheckedSection s : sections) {
                Xml section = reply.child("section").attr("name", s.name()).attr("outcome", s.outcome())
                        .attr("detail", s.detail() == null ? null : Xml.escapeControls(s.detail()));
                s.notes().forEach(note -> section.text("note", Xml.escapeControls(note)));
            }
            return reply.write();
        }

        public static Checked fromXml(Xml x) throws ChannelException {
            List<CheckedSection> sections = new ArrayList<>();
            for (Xml s : x.children("section")) {
                List<String> notes = new ArrayList<>();
                for (Xml note : s.children("note")) {
                    notes.add(note.text());
                }
                sections.add(new CheckedSection(s.required("name"), s.required("outcome"), s.attr("detail"), notes));
            }
            boolean refused = x.name().equals("refused");
            return new Checked(x.required("phase"), refused ? x.required("error") : null,
                    refused ? List.of() : names(x.attr("sections")), sections);
        }
    }

    /** A phase of a peer-to-peer migration: where it ran and the cookie it baked. */
    public record Step(String phase, String host, String cookie) {
    }

    /** {@code POST /v1/migrate}: the migration the source daemon drove, its phases and its warnings. */
    public record Migrated(String id, String domain, List<Step> steps, List<String> warnings) {
        public String toXml() {
            Xml reply = Xml.create("migrated").attr("id", id).attr("domain", domain);
            for (Step step : steps) {
                reply.child("step").attr("phase", step.phase()).attr("host", step.host()).text("cookie", step.cookie());
            }
            warnings.forEach(w -> reply.text("warning", w));
            return reply.write();
        }

        public static Migrated fromXml(Xml x) throws ChannelException {
            List<Step> steps = new ArrayList<>();
            for (Xml step : x.children("step")) {
                steps.add(new Step(step.required("phase"), step.attr("host"), step.childText("cookie")));
            }
            List<String> warnings = new ArrayList<>();
            for (Xml warning : x.children("warning")) {
                warnings.add(warning.text());
            }
            return new Migrated(x.required("id"), x.attr("domain"), List.copyOf(steps), List.copyOf(warnings));
        }
    }

    /** A comma-separated attribute as a list; none or empty: an empty list. */
    private static List<String> names(String text) {
        return text == null || text.isBlank() ? List.of() : Arrays.stream(text.split(",")).map(String::trim).toList();
    }
}
