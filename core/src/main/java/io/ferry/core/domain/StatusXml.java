package io.ferry.core.domain;

import io.ferry.api.cookie.CookieException;
import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.core.cookie.CookieCodec;
import io.ferry.protocol.xml.XmlWriter;
import io.ferry.protocol.xml.HardenedXmlParser;
import java.nio.charset.StandardCharsets;
import org.w3c.dom.Element;

/** The live status file of an active domain: {@code <domstatus state reason><domain …/></domstatus>}. */
final class StatusXml {
    private final HardenedXmlParser parser;
    private final DomainXml domainXml;

    /** The wrapper's tags: at most about 70 bytes. */
    private static final int WRAPPER_BYTES = 256;

    /** @param parser the limits of a definition; the wrapper gets the room it needs above them */
    StatusXml(HardenedXmlParser parser, DomainXml domainXml) {
        this.parser = new HardenedXmlParser(parser.maxBytes() + WRAPPER_BYTES, parser.maxDepth() + 1);
        this.domainXml = domainXml;
    }

    record Status(DomainSpec spec, DomainState state, DomainState.Reason reason) {
    }

    String write(DomainSpec spec, DomainState state, DomainState.Reason reason) {
        return "<domstatus state='" + state.name().toLowerCase() + "' reason='" + reason.display() + "'>\n"
                + spec.xml() + "</domstatus>\n"; // not indented: that would change the text of multi-line elements
    }

    Status read(String text) throws CookieException {
        Element root = CookieCodec.document(parser, text.getBytes(StandardCharsets.UTF_8), "domain status").getDocumentElement();
        Element domain = DomainXml.child(root, "domain");
        if (!root.getTagName().equals("domstatus") || domain == null) {
            throw new CookieException("not a domain status file");
        }
        try {
            return new Status(domainXml.parse(XmlWriter.write(domain)),
                    DomainState.valueOf(root.getAttribute("state").toUpperCase()),
                    DomainState.Reason.valueOf(root.getAttribute("reason").toUpperCase()));
        } catch (IllegalArgumentException e) {
            throw new CookieException("unknown state in domain status: " + root.getAttribute("state") + "/" + root.getAttribute("reason"));
        }
    }
}
