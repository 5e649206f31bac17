package io.ferry.protocol.xml;

import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import org.w3c.dom.DOMImplementation;
import org.w3c.dom.Document;

/** New empty DOM documents, to build messages and cookies in. */
public final class Documents {
    /**
     * The JDK's DOM implementation, found once: a factory and a builder per document cost more than most of what the
     * daemons then write into it. Creating documents with it is thread-safe.
     */
    private static final DOMImplementation DOM;

    static {
        try {
            DOM = DocumentBuilderFactory.newDefaultInstance().newDocumentBuilder().getDOMImplementation();
        } catch (ParserConfigurationException e) {
            throw new IllegalStateException(e);
        }
    }

    private Documents() {
    }

    public static Document create() {
        return DOM.createDocument(null, null, null);
    }
}
