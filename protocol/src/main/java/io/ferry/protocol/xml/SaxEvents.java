package io.ferry.protocol.xml;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import org.xml.sax.ContentHandler;
import org.xml.sax.SAXException;
import org.xml.sax.helpers.AttributesImpl;

/**
 * Hands what {@link XmlScanner} reports to a SAX {@link ContentHandler} as a namespace-aware SAX parser would:
 * prefix mappings around their element, declarations not among the attributes, CDATA as characters.
 */
final class SaxEvents implements XmlSink {
    private final ContentHandler handler;
    private final AttributesImpl attributes = new AttributesImpl();
    private final Deque<String[]> declared = new ArrayDeque<>(); // each open element's declared prefixes
    private static final String[] NONE = {};

    SaxEvents(ContentHandler handler) {
        this.handler = handler;
    }

    @Override
    public void startDocument() throws SAXException {
        handler.startDocument();
    }

    @Override
    public void endDocument() throws SAXException {
        handler.endDocument();
    }

    @Override
    public void startElement(String uri, String localName, String qName, ScannedAttributes scanned) throws SAXException {
        attributes.clear();
        String[] prefixes = NONE;
        for (int i = 0; i < scanned.count(); i++) {
            if (scanned.isDeclaration(i)) {
                String prefix = scanned.qName(i).length() == 5 ? "" : scanned.localName(i);
                handler.startPrefixMapping(prefix, scanned.value(i));
                prefixes = append(prefixes, prefix);
            } else {
                String attributeUri = scanned.uri(i) == null ? "" : scanned.uri(i);
                attributes.addAttribute(attributeUri, scanned.localName(i), scanned.qName(i), "CDATA", scanned.value(i));
            }
        }
        declared.push(prefixes);
        handler.startElement(uri == null ? "" : uri, localName, qName, attributes);
    }

    private static String[] append(String[] prefixes, String prefix) {
        String[] more = Arrays.copyOf(prefixes, prefixes.length + 1);
        more[prefixes.length] = prefix;
        return more;
    }

    @Override
    public void endElement(String uri, String localName, String qName) throws SAXException {
        handler.endElement(uri == null ? "" : uri, localName, qName);
        for (String prefix : declared.pop()) {
            handler.endPrefixMapping(prefix);
        }
    }

    @Override
    public void text(String text) throws SAXException {
        handler.characters(text.toCharArray(), 0, text.length());
    }

    @Override
    public void cdata(String text) throws SAXException {
        text(text);
    }

    @Override
    public void comment(String text) {
        // a ContentHandler is not told of comments
    }

    @Override
    public void instruction(String target, String data) throws SAXException {
        handler.processingInstruction(target, data);
    }
}
