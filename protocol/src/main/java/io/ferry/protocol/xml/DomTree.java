package io.ferry.protocol.xml;

import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

/**
 * Builds the JDK's DOM of what {@link XmlScanner} reports, as the JDK's own parser builds it: namespace-aware, one
 * text node for each run of text between markup, CDATA sections, comments and processing instructions kept.
 */
final class DomTree implements XmlSink {
    private final Document document = Documents.create();
    private Node current = document;

    DomTree() {
        // names were checked as they were read; the JDK's parser builds with the DOM's checks off too
        document.setStrictErrorChecking(false);
    }

    /** The document built, its DOM checks back on for whoever changes it. */
    Document document() {
        document.setStrictErrorChecking(true);
        return document;
    }

    @Override
    public void startElement(String uri, String localName, String qName, ScannedAttributes attributes) {
        Element element = document.createElementNS(uri, qName);
        for (int i = 0; i < attributes.count(); i++) {
            element.setAttributeNS(attributes.uri(i), attributes.qName(i), attributes.value(i));
        }
        current.appendChild(element);
        current = element;
    }

    @Override
    public void endElement(String uri, String localName, String qName) {
        current = current.getParentNode();
    }

    @Override
    public void text(String text) {
        current.appendChild(document.createTextNode(text));
    }

    @Override
    public void cdata(String text) {
        current.appendChild(document.createCDATASection(text));
    }

    @Override
    public void comment(String text) {
        current.appendChild(document.createComment(text));
    }

    @Override
    public void instruction(String target, String data) {
        current.appendChild(document.createProcessingInstruction(target, data));
    }
}
