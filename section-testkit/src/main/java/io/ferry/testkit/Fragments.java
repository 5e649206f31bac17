package io.ferry.testkit;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import org.w3c.dom.Document;
import org.w3c.dom.Element;

/** Cookie-section fragments for tests: parsed from text, or empty ones to format into. */
public final class Fragments {
    private Fragments() {
    }

    /** The document element of {@code xml}. */
    public static Element parse(String xml) {
        try {
            return builder().parse(new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8))).getDocumentElement();
        } catch (Exception e) {
            throw new AssertionError("cannot parse " + xml, e);
        }
    }

    /** An empty element {@code <name/>}, alone in its document. */
    public static Element empty(String name) {
        try {
            Document document = builder().newDocument();
            document.appendChild(document.createElement(name));
            return document.getDocumentElement();
        } catch (ParserConfigurationException e) {
            throw new AssertionError(e);
        }
    }

    private static DocumentBuilder builder() throws ParserConfigurationException {
        DocumentBuilderFactory factory = DocumentBuilderFactory.newDefaultInstance();
        factory.setNamespaceAware(true);
        factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        return factory.newDocumentBuilder();
    }
}
