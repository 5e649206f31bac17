package io.ferry.protocol.xml;

import org.xml.sax.SAXException;

/**
 * What {@link XmlScanner} reports of a well-formed document, in document order, names already checked and
 * resolved against their namespaces. Text is reported whole between two pieces of markup, references replaced.
 */
interface XmlSink {
    default void startDocument() throws SAXException {
    }

    default void endDocument() throws SAXException {
    }

    void startElement(String uri, String localName, String qName, ScannedAttributes attributes) throws SAXException;

    void endElement(String uri, String localName, String qName) throws SAXException;

    void text(String text) throws SAXException;

    void cdata(String text) throws SAXException;

    void comment(String text) throws SAXException;

    void instruction(String target, String data) throws SAXException;
}
