package io.ferry.plugin.snapshots;

import io.ferry.api.cookie.CookieException;
import io.ferry.api.snapshot.SnapshotStore.Snapshot;
import java.io.IOException;
import java.io.StringReader;
import javax.xml.XMLConstants;
import javax.xml.parsers.ParserConfigurationException;
import javax.xml.parsers.SAXParser;
import javax.xml.parsers.SAXParserFactory;
import org.xml.sax.Attributes;
import org.xml.sax.InputSource;
import org.xml.sax.SAXException;
import org.xml.sax.SAXParseException;
import org.xml.sax.helpers.DefaultHandler;

/**
 * Reads each incoming {@code <domainsnapshot>}'s name and its parent's, to the end of the document so that a
 * malformed one is refused here, with one SAX parser (no DOCTYPE, no external entity, nesting bounded) reused for
 * all the documents of a stream: a streaming reader made per document cost about three times as much CPU over the
 * first 10,000 snapshots of a daemon. Not thread-safe: one per stream.
 */
final class SnapshotNames extends DefaultHandler {
    /** A {@code <domainsnapshot>} around a domain definition, which the core allows 64 levels. */
    private static final int MAX_DEPTH = 65;

    private final SAXParser parser;
    private int depth;
    private String root;
    private String under; // the element of depth 2 we are in
    private boolean hasParent;
    private String name;
    private String parentName;
    private StringBuilder text; // the <name> being read, if any

    SnapshotNames() {
        try {
            SAXParserFactory factory = SAXParserFactory.newDefaultInstance();
            factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            factory.setFeature("http://xml.org/sax/features/external-general-entities", false);
            factory.setFeature("http://xml.org/sax/features/external-parameter-entities", false);
            factory.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            factory.setXIncludeAware(false);
            parser = factory.newSAXParser();
            // as the core's hardened parser: nesting is bounded (a 100,000-deep <name> overflowed DOM's stack)
            parser.setProperty("jdk.xml.maxElementDepth", MAX_DEPTH);
        } catch (ParserConfigurationException | SAXException e) {
            throw new IllegalStateException("the JDK's SAX parser cannot be hardened", e);
        }
    }

    /** The snapshot {@code xml} with its name and its parent's name (null: a root) as its XML says them. */
    Snapshot read(String xml) throws CookieException {
        depth = 0;
        root = null;
        under = null;
        hasParent = false;
        name = null;
        parentName = null;
        text = null;
        try {
            parser.reset();
            parser.parse(new InputSource(new StringReader(xml)), this);
        } catch (SAXParseException e) {
            throw malformed("line " + e.getLineNumber() + ", column " + e.getColumnNumber() + ": " + e.getMessage(), e);
        } catch (SAXException | IOException e) {
            throw malformed(e.getMessage(), e);
        } catch (RuntimeException e) {
            throw malformed(e.toString(), e); // the JDK's parser throws some of its errors unchecked
        }
        if (!"domainsnapshot".equals(root) || name == null || name.isEmpty()) {
            throw new CookieException("snapshots stream carries a <" + root + "> that is not a <domainsnapshot> with a <name>");
        }
        if (hasParent && (parentName == null || parentName.isEmpty())) {
            throw new CookieException("snapshot '" + name + "' has a <parent> without a <name>");
        }
        if (name.equals(parentName)) {
            throw new CookieException("snapshot '" + name + "' is part of a parent cycle in the snapshots stream");
        }
        return new Snapshot(name, parentName, xml);
    }

    private static CookieException malformed(String why, Exception cause) {
        return new CookieException("snapshots stream carries a malformed <domainsnapshot>: " + why.replaceAll("\\s*\\R\\s*", " "), cause);
    }

    @Override
    public void startElement(String uri, String localName, String tag, Attributes attributes) throws SAXException {
        if (text != null) {
            throw new SAXException("a <name> holds an element <" + tag + ">, not text only");
        }
        depth++;
        if (depth == 1) {
            root = tag;
        } else if (depth == 2 && tag.equals("name") && name == null
                || depth == 3 && "parent".equals(under) && tag.equals("name") && parentName == null) {
            text = new StringBuilder();
        } else if (depth == 2) {
            under = tag;
            hasParent |= tag.equals("parent");
        }
    }

    @Override
    public void characters(char[] chars, int start, int length) {
        if (text != null) {
            text.append(chars, start, length);
        }
    }

    @Override
    public void endElement(String uri, String localName, String tag) {
        if (text != null) {
            if (depth == 2) {
                name = text.toString().trim();
            } else {
                parentName = text.toString().trim();
            }
            text = null;
        } else if (depth == 2) {
            under = null;
        }
        depth--;
    }

    @Override
    public InputSource resolveEntity(String publicId, String systemId) throws SAXException {
        throw new SAXException("external entity " + systemId + " refused");
    }
}
