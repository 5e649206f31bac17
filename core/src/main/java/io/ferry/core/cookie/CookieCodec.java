package io.ferry.core.cookie;

import io.ferry.protocol.xml.Documents;
import io.ferry.protocol.xml.XmlChars;
import io.ferry.protocol.Xml;
import io.ferry.protocol.xml.XmlWriter;
import io.ferry.protocol.xml.HardenedXmlParser;
import io.ferry.protocol.xml.XmlException;
import io.ferry.api.cookie.CookieException;
import io.ferry.api.cookie.Phase;
import io.ferry.core.section.SectionCalls;
import io.ferry.core.section.SectionFailure;
import io.ferry.core.section.SectionHandle;
import io.ferry.core.section.SectionSet;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Pattern;
import javax.xml.XMLConstants;
import org.w3c.dom.Attr;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NamedNodeMap;
import org.w3c.dom.Node;

/**
 * libvirt's {@code <qemu-migration>} envelope: reads a cookie by libvirt's eating rules and error texts, and
 * writes one in libvirt's layout. Sections are parsed here but never eaten, so that a cookie is checked whole
 * before any section acts on it.
 */
public final class CookieCodec {
    public static final String ROOT = "qemu-migration";
    private static final String WHAT = "migration cookie";
    /** The root's attributes that say which migration and phase the cookie was baked for ({@link CookieHeader.Origin}). */
    private static final String MIGRATION = "migration";
    private static final String PHASE = "phase";
    /** The most of a peer's name, UUID or feature a refusal quotes. */
    private static final int MAX_QUOTED_CHARS = 256;
    private static final Pattern LIBVIRT_UUID = Pattern.compile("(?:[- ]*\\p{XDigit}{2}){16}");
    private static final Pattern UUID_SEPARATORS = Pattern.compile("[- ]");
    private static final String XMLNS = XMLConstants.XMLNS_ATTRIBUTE_NS_URI;
    private final HardenedXmlParser parser;

    public CookieCodec(HardenedXmlParser parser) {
        this.parser = parser;
    }

    public ParsedCookie parse(byte[] xml, EatRules rules, SectionSet sections) throws CookieException {
        Element root = document(parser, xml, WHAT).getDocumentElement();
        if (!ROOT.equals(root.getTagName())) {
            throw new CookieException("migration cookie has root element <" + root.getTagName() + ">, expected <" + ROOT + ">");
        }
        Map<String, List<Element>> children = childrenByName(root);
        CookieHeader header = readHeader(children, rules, origin(root));
        List<String> features = checkFeatures(children.getOrDefault("feature", List.of()), rules, sections);
        List<SectionHandle> read = new ArrayList<>();
        SectionCalls calls = new SectionCalls();
        for (SectionHandle handle : sections.all()) {
            if (!rules.accepts(handle.descriptor())) {
                continue;
            }
            List<Element> elements = children.get(handle.descriptor().element());
            if (elements == null && header.origin() != null && features.contains(handle.descriptor().feature())) {
                throw renamed(handle);
            } else if (elements == null) {
                calls.absent(handle);
            } else if (elements.size() > 1) {
                throw new CookieException("Too many " + handle.descriptor().element() + " elements in migration cookie");
            } else {
                calls.parse(handle, detached(withInheritedNamespaces(elements.get(0))));
            }
            read.add(handle);
        }
        List<Object> values = calls.run();
        List<ParsedCookie.Section> parsed = new ArrayList<>();
        for (int i = 0; i < read.size(); i++) {
            if (values.get(i) != null) {
                parsed.add(new ParsedCookie.Section(read.get(i), values.get(i)));
            } else if (features.contains(read.get(i).descriptor().feature())
                    && children.containsKey(read.get(i).descriptor().element())) {
                // a mandatory fragment its section made nothing of would be passed over; an announced feature without
                // its element in libvirt's cookie (a lock driver with no state to carry) is eaten as absent
                SectionHandle handle = read.get(i);
                throw new SectionFailure("cookie section " + handle.descriptor().feature() + " read its <"
                        + handle.descriptor().element() + "> element as nothing, but the migration cookie announces feature "
                        + handle.descriptor().feature() + " as mandatory", null, handle);
            }
        }
        return new ParsedCookie(header, features, parsed, new ParsedCookie.Source(xml, rules));
    }

    /**
     * A daemon's cookie (one that names its origin) announces a feature only when its section wrote its element: one
     * without it comes from a section that writes another element (renamed in a minor version, or another bundle's
     * section of the feature's name), and eaten as absent its mandatory fragment would be lost. libvirt's cookies
     * announce lockstate without its element when the lock driver has no state: those are eaten as absent.
     */
    private static SectionFailure renamed(SectionHandle handle) {
        String feature = handle.descriptor().feature();
        return new SectionFailure("the migration cookie announces feature " + feature + " as mandatory but carries no <"
                + handle.descriptor().element() + "> element, which this host's section " + feature + " reads: the"
                + " other host's section " + feature + " writes another element (update the section on both hosts"
                + " alike)", null, handle);
    }

    /**
     * The features a cookie announces as mandatory, read before any section parses anything: what negotiation
     * checks against this host's sections and their versions first.
     */
    public List<String> features(byte[] xml) throws CookieException {
        Element root = document(parser, xml, WHAT).getDocumentElement();
        List<String> names = new ArrayList<>();
        for (Element feature : childrenByName(root).getOrDefault("feature", List.of())) {
            if (feature.getAttribute("name").isEmpty()) {
                throw new CookieException("missing feature name");
            }
            names.add(feature.getAttribute("name"));
        }
        return names;
    }

    /** The cookie's top-level elements besides its header and features, each once, in its order: what it carries. */
    public List<String> carried(byte[] xml) throws CookieException {
        Element root = document(parser, xml, WHAT).getDocumentElement();
        List<String> names = new ArrayList<>(childrenByName(root).keySet());
        names.removeAll(List.of("name", "uuid", "hostname", "hostuuid", "feature"));
        return names;
    }

    /**
     * Writes a cookie: the header, one {@code <feature>} per mandatory feature, then the sections in canonical
     * order (sorted here, whatever order they come in). A cookie past the limits its peer reads it with (this codec's)
     * fails naming the section that made it so ({@link CookieLimits}).
     */
    public String format(CookieHeader header, List<String> mandatoryFeatures, List<ParsedCookie.Section> sections)
            throws CookieException {
        Document document = Documents.create();
        Element root = document.createElement(ROOT);
        document.appendChild(root);
        if (header.origin() != null) {
            root.setAttribute(MIGRATION, header.origin().migration());
            root.setAttribute(PHASE, header.origin().phase().cliName());
        }
        appendText(root, "name", header.name());
        appendText(root, "uuid", header.uuid());
        appendText(root, "hostname", header.hostname());
        appendText(root, "hostuuid", header.hostUuid().toString());
        for (String feature : mandatoryFeatures) {
            Element element = document.createElement("feature");
            element.setAttribute("name", feature);
            root.appendChild(element);
        }
        List<ParsedCookie.Section> ordered = new ArrayList<>(sections);
        ordered.sort((a, b) -> CanonicalOrder.ELEMENTS.compare(a.handle().descriptor().element(), b.handle().descriptor().element()));
        SectionCalls calls = new SectionCalls();
        List<Element> fragments = new ArrayList<>();
        for (ParsedCookie.Section section : ordered) {
            Element element = detached(document.createElement(section.handle().descriptor().element()));
            calls.format(section.handle(), section.value(), element);
            fragments.add(element);
        }
        calls.run();
        fragments.replaceAll(fragment -> (Element) root.appendChild(document.adoptNode(fragment)));
        List<SectionHandle> handles = ordered.stream().map(ParsedCookie.Section::handle).toList();
        CookieLimits.checkDepth(parser, handles, fragments);
        String xml;
        try {
            xml = XmlWriter.write(root);
        } catch (XmlChars.Refused e) {
            throw unwritable(ordered, fragments, e);
        }
        CookieLimits.checkSize(parser, xml, handles, fragments);
        return xml;
    }

    /**
     * A section wrote text XML 1.0 cannot carry: the section is found by writing each fragment alone (only now, when
     * the cookie was refused), so that its failure is its own (an optional one is left out) and names it.
     */
    private static CookieException unwritable(List<ParsedCookie.Section> ordered, List<Element> sections,
            XmlChars.Refused refused) {
        for (int i = 0; i < ordered.size(); i++) {
            try {
                XmlWriter.write(sections.get(i));
            } catch (XmlChars.Refused e) {
                SectionHandle handle = ordered.get(i).handle();
                return new SectionFailure("cookie section " + handle.descriptor().feature() + " formatted " + e.getMessage(), e, handle);
            }
        }
        return new CookieException("cannot write the migration cookie: " + refused.getMessage(), refused);
    }

    /**
     * {@code element} alone in a document of its own: what a section reads or writes, so that one that walks out of
     * its fragment finds neither the cookie nor the other sections' fragments.
     */
    private static Element detached(Element element) {
        Document own = Documents.create();
        return (Element) own.appendChild(own.adoptNode(element));
    }

    /**
     * {@code fragment} declaring the namespaces it inherits from the cookie (a root's {@code xmlns:qemu}, say):
     * detached, it would use prefixes nothing binds, and a definition written from it could not be read back. Its own
     * and its nearer ancestors' declarations win.
     */
    private static Element withInheritedNamespaces(Element fragment) {
        for (Node up = fragment.getParentNode(); up instanceof Element ancestor; up = ancestor.getParentNode()) {
            NamedNodeMap attributes = ancestor.getAttributes();
            for (int i = 0; i < attributes.getLength(); i++) {
                Attr attribute = (Attr) attributes.item(i);
                String name = attribute.getName();
                if (XMLNS.equals(attribute.getNamespaceURI()) && !fragment.hasAttribute(name)) {
                    fragment.setAttributeNS(XMLNS, name, attribute.getValue());
                }
            }
        }
        return fragment;
    }

    /** The migration and phase the root names, or null when it names none (libvirt's cookies). */
    private static CookieHeader.Origin origin(Element root) throws CookieException {
        if (!root.hasAttribute(MIGRATION) && !root.hasAttribute(PHASE)) {
            return null;
        }
        String migration = root.getAttribute(MIGRATION);
        String phase = root.getAttribute(PHASE);
        try {
            if (migration.isEmpty()) {
                throw new IllegalArgumentException("no migration");
            }
            return new CookieHeader.Origin(migration, Phase.parse(phase));
        } catch (IllegalArgumentException e) {
            // the peer's text: at most a line of it, its control characters escaped
            throw new CookieException("malformed origin of the migration cookie: migration "
                    + Xml.quote(migration.substring(0, Math.min(migration.length(), 64))) + ", phase "
                    + Xml.quote(phase.substring(0, Math.min(phase.length(), 64))));
        }
    }

    private static CookieHeader readHeader(Map<String, List<Element>> children, EatRules rules, CookieHeader.Origin origin)
            throws CookieException {
        String name = text(children, "name");
        if (rules.expectedName() != null && !rules.expectedName().equals(name)) {
            throw new CookieException("Incoming cookie data had unexpected name " + peers(name) + " vs "
                    + rules.expectedName());
        }
        String uuid = text(children, "uuid");
        if (rules.expectedUuid() != null && !rules.expectedUuid().equalsIgnoreCase(uuid)) {
            throw new CookieException("Incoming cookie data had unexpected UUID " + peers(uuid) + " vs "
                    + rules.expectedUuid());
        }
        String hostname = text(children, "hostname");
        String hostUuidText = text(children, "hostuuid");
        UUID hostUuid = libvirtUuid(hostUuidText);
        if (hostUuid == null) {
            throw new CookieException("malformed hostuuid element in migration data");
        }
        if (hostUuid.equals(rules.localHostUuid())) {
            throw new CookieException("Attempt to migrate guest to the same host " + hostUuidText);
        }
        return new CookieHeader(name, uuid, hostname, hostUuid, origin);
    }

    /** A UUID as libvirt reads one (virUUIDParse), or null when {@code text} is none. */
    public static UUID libvirtUuid(String text) {
        // exactly 32 hex digits, '-' or ' ' allowed between pairs; UUID.fromString is laxer ("1-2-3-4-5")
        if (!LIBVIRT_UUID.matcher(text).matches()) {
            return null;
        }
        String hex = UUID_SEPARATORS.matcher(text).replaceAll("");
        return new UUID(Long.parseUnsignedLong(hex.substring(0, 16), 16), Long.parseUnsignedLong(hex.substring(16), 16));
    }

    private static List<String> checkFeatures(List<Element> features, EatRules rules, SectionSet sections)
            throws CookieException {
        List<String> names = new ArrayList<>();
        for (Element feature : features) {
            String name = feature.getAttribute("name");
            if (name.isEmpty()) {
                throw new CookieException("missing feature name");
            }
            SectionHandle handle = sections.byFeature(name)
                    .orElseThrow(() -> new CookieException("Unknown migration cookie feature " + peers(name)));
            if (!rules.accepts(handle.descriptor())) {
                throw new CookieException("Unsupported migration cookie feature " + name);
            }
            names.add(name);
        }
        return names;
    }

    /**
     * The peer's text in a refusal in libvirt's words, which do not quote it: one line (its control characters escaped,
     * where CookieException would only make a line feed a space), of bounded length.
     */
    private static String peers(String text) {
        return Xml.oneLine(text, MAX_QUOTED_CHARS);
    }

    private static String text(Map<String, List<Element>> children, String element) throws CookieException {
        List<Element> elements = children.get(element);
        String value = elements == null ? "" : elements.get(0).getTextContent().trim();
        if (value.isEmpty()) {
            throw new CookieException("missing " + element + " element in migration data");
        }
        return value;
    }

    private static Map<String, List<Element>> childrenByName(Element root) {
        Map<String, List<Element>> children = new LinkedHashMap<>();
        for (Node node = root.getFirstChild(); node != null; node = node.getNextSibling()) {
            if (node instanceof Element element) {
                children.computeIfAbsent(element.getTagName(), k -> new ArrayList<>()).add(element);
            }
        }
        return children;
    }

    private static void appendText(Element parent, String name, String text) {
        Element element = parent.getOwnerDocument().createElement(name);
        element.setTextContent(text);
        parent.appendChild(element);
    }

    /** Parses untrusted XML, its refusal turned into the cookie error the user sees. */
    public static Document document(HardenedXmlParser parser, byte[] xml, String what) throws CookieException {
        try {
            return parser.parse(xml, what);
        } catch (XmlException e) {
            throw new CookieException(e.getMessage(), e);
        }
    }

}
