package io.ferry.core.domain;

import io.ferry.api.cookie.CookieException;
import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.core.cookie.CookieCodec;
import io.ferry.protocol.Xml;
import io.ferry.protocol.xml.XmlWriter;
import io.ferry.protocol.xml.HardenedXmlParser;
import java.nio.charset.StandardCharsets;
import org.w3c.dom.Element;

/**
 * The live status file of an active domain: {@code <domstatus state reason><domain …/></domstatus>}, with
 * {@code <paused-for migration/>} before the domain while its VM stays paused for the migration away that paused it,
 * {@code <released-leases state|lost [migration] [release='unconfirmed']/>} while its paused VM
 * stays here without its leases, and
 * {@code <held-leases state/>} while it holds them: the state a restarted daemon presents to take them again.
 */
final class StatusXml {
    private final HardenedXmlParser parser;
    private final DomainXml domainXml;

    /**
     * The wrapper's tags and attributes beside the lease states: under 300 bytes with migration ids of 64 characters in
     * both {@code <paused-for>} and {@code <released-leases>}; room to spare.
     */
    private static final int WRAPPER_BYTES = 512;
    /**
     * A released (or held) lease state: as large as the migration journal, which keeps one too, can read back
     * ({@code FileJournal.MAX_RECORD_BYTES}).
     */
    private static final int RELEASED_LEASES_BYTES = 1024 * 1024;

    /** @param parser the limits of a definition; the wrapper gets the room it needs above them */
    StatusXml(HardenedXmlParser parser, DomainXml domainXml) {
        this.parser = new HardenedXmlParser(parser.maxBytes() + WRAPPER_BYTES + 2 * RELEASED_LEASES_BYTES, parser.maxDepth() + 1);
        this.domainXml = domainXml;
    }

    /**
     * @param releasedLeases null while the VM holds its leases
     * @param heldLeases the state of the leases the VM holds; null when it holds none, or the file is older
     * @param pausedFor the migration away that paused the VM ({@link Domain#pausedFor}); null when none, or the file
     *        is older
     */
    record Status(DomainSpec spec, DomainState state, DomainState.Reason reason, ReleasedLeases releasedLeases,
            String heldLeases, String pausedFor) {
        Status(DomainSpec spec, DomainState state, DomainState.Reason reason, ReleasedLeases releasedLeases) {
            this(spec, state, reason, releasedLeases, null, null);
        }
    }

    String write(DomainSpec spec, DomainState state, DomainState.Reason reason, ReleasedLeases released) {
        return write(new Status(spec, state, reason, released));
    }

    String write(Status status) {
        ReleasedLeases released = status.releasedLeases();
        String held = status.heldLeases();
        String leases = released != null ? Xml.create("released-leases").attr("state", released.state())
                .attr("lost", released.lost()).attr("migration", released.migration())
                .attr("release", released.unconfirmed() ? "unconfirmed" : null).write()
                : held != null ? Xml.create("held-leases").attr("state", held).write() : "";
        String pausedFor = status.pausedFor() == null ? ""
                : Xml.create("paused-for").attr("migration", status.pausedFor()).write();
        // not indented: that would change the text of multi-line elements
        return "<domstatus state='" + Xml.keyword(status.state()) + "' reason='" + Xml.keyword(status.reason())
                + "'>\n" + pausedFor + leases + status.spec().xml() + "</domstatus>\n";
    }

    Status read(String text) throws CookieException {
        Element root = CookieCodec.document(parser, text.getBytes(StandardCharsets.UTF_8), "domain status").getDocumentElement();
        Element domain = DomainXml.child(root, "domain");
        if (!root.getTagName().equals("domstatus") || domain == null) {
            throw new CookieException("not a domain status file");
        }
        Element leases = DomainXml.child(root, "released-leases");
        ReleasedLeases released = leases == null ? null : new ReleasedLeases(attribute(leases, "state"),
                attribute(leases, "lost"), attribute(leases, "migration"), "unconfirmed".equals(attribute(leases, "release")));
        Element held = released != null ? null : DomainXml.child(root, "held-leases");
        Element pausedFor = DomainXml.child(root, "paused-for");
        try {
            return new Status(domainXml.parse(XmlWriter.write(domain)),
                    Xml.keyword(DomainState.class, root.getAttribute("state")),
                    Xml.keyword(DomainState.Reason.class, root.getAttribute("reason")), released,
                    held == null ? null : attribute(held, "state"),
                    pausedFor == null ? null : attribute(pausedFor, "migration"));
        } catch (IllegalArgumentException e) {
            throw new CookieException("unknown state in domain status: " + root.getAttribute("state") + "/" + root.getAttribute("reason"));
        }
    }

    private static String attribute(Element element, String name) {
        return element.hasAttribute(name) ? element.getAttribute(name) : null;
    }
}
