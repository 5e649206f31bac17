package io.ferry.protocol.xml;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ConcurrentMap;
import java.util.function.Consumer;
import java.util.function.Supplier;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import javax.xml.parsers.SAXParser;
import javax.xml.parsers.SAXParserFactory;
import org.w3c.dom.Document;
import org.xml.sax.ContentHandler;
import org.xml.sax.EntityResolver;
import org.xml.sax.ErrorHandler;
import org.xml.sax.InputSource;
import org.xml.sax.SAXException;
import org.xml.sax.SAXParseException;
import org.xml.sax.XMLReader;

/**
 * Parses untrusted XML (cookies, peer messages) into DOM, or reads it as SAX events where a caller needs a few
 * values of many documents (snapshots): no DOCTYPE at all (so no external entity and no entity expansion can
 * happen), no XInclude, a byte-size limit checked before parsing and an element-depth limit enforced by the JDK
 * parser. Both ways refuse the same documents with the same one-line message naming the cause.
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
    private static final EntityResolver NO_ENTITIES = (publicId, systemId) -> {
        throw new SAXException("external entity " + systemId + " refused");
    };

    /**
     * Builders and SAX parsers between parses, per depth limit (the only setting they hold: the size is checked
     * before), shared by every parser of that limit: one costs more than a small parse, and parsers are made per
     * store or tool.
     */
    private static final ConcurrentMap<Integer, Idle<DocumentBuilder>> BUILDERS = new ConcurrentHashMap<>();
    private static final ConcurrentMap<Integer, Idle<SAXParser>> READERS = new ConcurrentHashMap<>();

    private final int maxBytes;
    private final int maxDepth;
    private final Idle<DocumentBuilder> builders;
    private final Idle<SAXParser> readers;

    public HardenedXmlParser() {
        this(DEFAULT_MAX_BYTES, DEFAULT_MAX_DEPTH);
    }

    public HardenedXmlParser(int maxBytes, int maxDepth) {
        if (maxBytes <= 0 || maxDepth <= 0) {
            throw new IllegalArgumentException("XML limits must be positive: maxBytes=" + maxBytes + ", maxDepth=" + maxDepth);
        }
        this.maxBytes = maxBytes;
        this.maxDepth = maxDepth;
        this.builders = BUILDERS.computeIfAbsent(maxDepth, HardenedXmlParser::builders);
        this.readers = READERS.computeIfAbsent(maxDepth, HardenedXmlParser::readers);
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
        check(xml, what);
        DocumentBuilder builder = builders.take();
        try {
            builder.setErrorHandler(SILENT);
            builder.setEntityResolver(NO_ENTITIES);
            return builder.parse(new ByteArrayInputStream(xml));
        } catch (SAXException | IOException e) {
            throw refused(what, e);
        } finally {
            builders.give(builder);
        }
    }

    /**
     * Reads {@code xml} to its end into {@code handler}, refusing what {@link #parse} refuses, in the same words; a
     * {@code SAXException} the handler throws refuses the document too.
     */
    public void read(byte[] xml, String what, ContentHandler handler) throws XmlException {
        check(xml, what);
        SAXParser parser = readers.take();
        try {
            XMLReader reader = parser.getXMLReader();
            reader.setErrorHandler(SILENT);
            reader.setEntityResolver(NO_ENTITIES);
            reader.setContentHandler(handler);
            reader.parse(new InputSource(new ByteArrayInputStream(xml)));
        } catch (SAXException | IOException e) {
            throw refused(what, e);
        } finally {
            readers.give(parser);
        }
    }

    private void check(byte[] xml, String what) throws XmlException {
        if (xml.length > maxBytes) {
            throw new XmlException(what + " is " + xml.length + " bytes, over the limit of " + maxBytes + " bytes");
        }
        if (xml.length == 0) {
            throw new XmlException(what + " is empty");
        }
    }

    private static XmlException refused(String what, Exception e) {
        if (e instanceof SAXParseException parse) {
            return new XmlException("malformed " + what + " (line " + parse.getLineNumber() + ", column "
                    + parse.getColumnNumber() + "): " + explain(parse.getMessage()), e);
        }
        return new XmlException("malformed " + what + ": " + explain(e.getMessage()), e);
    }

    /** The hardened DOM factory of one depth limit. */
    private static Idle<DocumentBuilder> builders(int maxDepth) {
        DocumentBuilderFactory factory = DocumentBuilderFactory.newDefaultInstance();
        // the JDK's own implementation: a provider found on some class path might ignore these settings
        try {
            harden(factory::setFeature);
            // the tree built as it is parsed, not in Xerces's deferred tables expanded on first read: a parse of
            // the small documents the daemon reads costs a quarter less warm and two fifths less cold, and a
            // tree read from two threads is not changed under them by its expansion
            factory.setFeature("http://apache.org/xml/features/dom/defer-node-expansion", false);
        } catch (ParserConfigurationException | SAXException e) {
            throw new IllegalStateException("the JDK's XML parser cannot be hardened", e);
        }
        factory.setAttribute(XMLConstants.ACCESS_EXTERNAL_DTD, "");
        factory.setAttribute(XMLConstants.ACCESS_EXTERNAL_SCHEMA, "");
        factory.setAttribute(JDK_MAX_ELEMENT_DEPTH, maxDepth);
        factory.setNamespaceAware(true);
        factory.setXIncludeAware(false);
        factory.setExpandEntityReferences(false);
        return new Idle<>(() -> {
            try {
                return factory.newDocumentBuilder();
            } catch (ParserConfigurationException e) {
                throw new IllegalStateException(e);
            }
        }, DocumentBuilder::reset);
    }

    /** The hardened SAX factory of one depth limit, set as {@link #builders}. */
    private static Idle<SAXParser> readers(int maxDepth) {
        SAXParserFactory factory = SAXParserFactory.newDefaultInstance();
        try {
            harden(factory::setFeature);
        } catch (ParserConfigurationException | SAXException e) {
            throw new IllegalStateException("the JDK's XML parser cannot be hardened", e);
        }
        factory.setNamespaceAware(true);
        factory.setXIncludeAware(false);
        return new Idle<>(() -> {
            try {
                SAXParser parser = factory.newSAXParser();
                parser.setProperty(XMLConstants.ACCESS_EXTERNAL_DTD, "");
                parser.setProperty(XMLConstants.ACCESS_EXTERNAL_SCHEMA, "");
                parser.setProperty(JDK_MAX_ELEMENT_DEPTH, maxDepth); // kept by reset, as the parser's own setting
                return parser;
            } catch (ParserConfigurationException | SAXException e) {
                throw new IllegalStateException(e);
            }
        }, SAXParser::reset);
    }

    private interface FeatureSetter {
        void set(String feature, boolean value) throws ParserConfigurationException, SAXException;
    }

    private static void harden(FeatureSetter factory) throws ParserConfigurationException, SAXException {
        factory.set("http://apache.org/xml/features/disallow-doctype-decl", true);
        factory.set("http://xml.org/sax/features/external-general-entities", false);
        factory.set("http://xml.org/sax/features/external-parameter-entities", false);
        factory.set(XMLConstants.FEATURE_SECURE_PROCESSING, true);
    }

    /** Idle parsers of one factory (as many as parses ran at once), each reset to as the factory made it. */
    private static final class Idle<T> {
        private final Supplier<T> make;
        private final Consumer<T> reset;
        private final Queue<T> idle = new ConcurrentLinkedQueue<>();

        Idle(Supplier<T> make, Consumer<T> reset) {
            this.make = make;
            this.reset = reset;
        }

        T take() {
            T parser = idle.poll();
            if (parser != null) {
                return parser;
            }
            synchronized (this) { // a factory is not promised to be thread-safe; a parser is made rarely
                return make.get();
            }
        }

        void give(T parser) {
            reset.accept(parser); // as the factory made it, whatever this parse left
            idle.add(parser);
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
