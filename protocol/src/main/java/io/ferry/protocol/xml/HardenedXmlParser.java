package io.ferry.protocol.xml;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ConcurrentMap;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import org.w3c.dom.Document;
import org.xml.sax.ErrorHandler;
import org.xml.sax.SAXException;
import org.xml.sax.SAXParseException;

/**
 * Parses untrusted XML (cookies, peer messages) into DOM: no DOCTYPE at all (so no external entity and no
 * entity expansion can happen), no XInclude, a byte-size limit checked before parsing and an element-depth
 * limit enforced by the JDK parser. Every failure is one line naming the cause.
 */
public final class HardenedXmlParser {
    /** libvirt's RPC cap on a message, and so on a cookie. */
    public static final int DEFAULT_MAX_BYTES = 4 * 1024 * 1024;
    /** Deeper than any domain definition nests, far shallower than a nesting attack. */
    public static final int DEFAULT_MAX_DEPTH = 64;

    private static final String JDK_MAX_ELEMENT_DEPTH = "http://www.oracle.com/xml/jaxp/properties/maxElementDepth";
    private static final ErrorHandler SILENT = new ErrorHandler() {
        @Override
        public void warning(SAXParseException e) {
        }

        @Override
        public void error(SAXParseException e) throws SAXException {
            throw e;
        }

        @Override
        public void fatalError(SAXParseException e) throws SAXException {
            throw e;
        }
    };

    /**
     * Builders between parses, per depth limit (the only setting a builder holds: the size is checked before), shared
     * by every parser of that limit: a builder costs more than a small parse, and parsers are made per store or tool.
     */
    private static final ConcurrentMap<Integer, Builders> BUILDERS = new ConcurrentHashMap<>();

    private final int maxBytes;
    private final int maxDepth;
    private final Builders builders;

    public HardenedXmlParser() {
        this(DEFAULT_MAX_BYTES, DEFAULT_MAX_DEPTH);
    }

    public HardenedXmlParser(int maxBytes, int maxDepth) {
        if (maxBytes <= 0 || maxDepth <= 0) {
            throw new IllegalArgumentException("XML limits must be positive: maxBytes=" + maxBytes + ", maxDepth=" + maxDepth);
        }
        this.maxBytes = maxBytes;
        this.maxDepth = maxDepth;
        this.builders = BUILDERS.computeIfAbsent(maxDepth, Builders::new);
    }

    public int maxBytes() {
        return maxBytes;
    }

    /** The deepest element nesting accepted; the root element is at depth 1. */
    public int maxDepth() {
        return maxDepth;
    }

    /**
     * @param what names the document in errors ("migration cookie")
     */
    public Document parse(byte[] xml, String what) throws XmlException {
        if (xml.length > maxBytes) {
            throw new XmlException(what + " is " + xml.length + " bytes, over the limit of " + maxBytes + " bytes");
        }
        if (xml.length == 0) {
            throw new XmlException(what + " is empty");
        }
        DocumentBuilder builder = builders.take();
        try {
            builder.setErrorHandler(SILENT);
            builder.setEntityResolver((publicId, systemId) -> {
                throw new SAXException("external entity " + systemId + " refused");
            });
            return builder.parse(new ByteArrayInputStream(xml));
        } catch (SAXParseException e) {
            throw new XmlException("malformed " + what + " (line " + e.getLineNumber() + ", column "
                    + e.getColumnNumber() + "): " + explain(e.getMessage()), e);
        } catch (SAXException | IOException e) {
            throw new XmlException("malformed " + what + ": " + explain(e.getMessage()), e);
        } finally {
            builders.give(builder);
        }
    }

    /** The hardened factory of one depth limit and its idle builders (as many as parses ran at once). */
    private static final class Builders {
        private final DocumentBuilderFactory factory = DocumentBuilderFactory.newDefaultInstance();
        private final Queue<DocumentBuilder> idle = new ConcurrentLinkedQueue<>();

        Builders(int maxDepth) {
            // the JDK's own implementation: a provider found on some class path might ignore these settings
            try {
                factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
                factory.setFeature("http://xml.org/sax/features/external-general-entities", false);
                factory.setFeature("http://xml.org/sax/features/external-parameter-entities", false);
                factory.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
                // the tree built as it is parsed, not in Xerces's deferred tables expanded on first read: a parse of
                // the small documents the daemon reads costs a quarter less warm and two fifths less cold, and a
                // tree read from two threads is not changed under them by its expansion
                factory.setFeature("http://apache.org/xml/features/dom/defer-node-expansion", false);
            } catch (ParserConfigurationException e) {
                throw new IllegalStateException("the JDK's XML parser cannot be hardened", e);
            }
            factory.setAttribute(XMLConstants.ACCESS_EXTERNAL_DTD, "");
            factory.setAttribute(XMLConstants.ACCESS_EXTERNAL_SCHEMA, "");
            factory.setAttribute(JDK_MAX_ELEMENT_DEPTH, maxDepth);
            factory.setNamespaceAware(true);
            factory.setXIncludeAware(false);
            factory.setExpandEntityReferences(false);
        }

        DocumentBuilder take() {
            DocumentBuilder builder = idle.poll();
            if (builder != null) {
                return builder;
            }
            try {
                synchronized (factory) { // a factory is not promised to be thread-safe; a builder is made rarely
                    return factory.newDocumentBuilder();
                }
            } catch (ParserConfigurationException e) {
                throw new IllegalStateException(e);
            }
        }

        void give(DocumentBuilder builder) {
            builder.reset(); // as the factory made it, whatever this parse left
            idle.add(builder);
        }
    }

    private static String explain(String parserMessage) {
        String message = parserMessage == null ? "unreadable XML" : parserMessage.replaceAll("\\s+", " ").trim();
        if (message.contains("DOCTYPE")) {
            return "a DOCTYPE is not allowed (DTDs and entities are refused)";
        }
        if (message.contains("maxElementDepth")) {
            return "elements nest deeper than allowed: " + message;
        }
        return message;
    }
}
