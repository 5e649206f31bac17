package io.ferry.protocol.xml;

import java.nio.CharBuffer;
import org.w3c.dom.Document;
import org.xml.sax.ContentHandler;
import org.xml.sax.SAXException;

/**
 * Parses untrusted XML (cookies, peer messages) into DOM, or reads it as SAX events where a caller needs a few
 * values of many documents (snapshots). It reads UTF-8 XML 1.0 with namespaces and nothing else ({@link XmlScanner},
 * Ferry's own reader): no DOCTYPE at all (so no external entity and no entity expansion can happen), no XInclude,
 * nothing read but the bytes given, a byte-size limit checked before reading and an element-depth limit checked as
 * each element starts. Both ways refuse the same documents with the same one-line message naming the cause and where
 * it is. Thread-safe; each parse has its own state.
 */
public final class HardenedXmlParser {
    /** libvirt's RPC cap on a message, and so on a cookie. */
    public static final int DEFAULT_MAX_BYTES = 4 * 1024 * 1024;
    /** Deeper than any domain definition nests, far shallower than a nesting attack. */
    public static final int DEFAULT_MAX_DEPTH = 64;

    /** The longest refusal message past its "malformed WHAT (line L, column C): ". */
    static final int MAX_MESSAGE = 512;

    private final int maxBytes;
    private final int maxDepth;

    public HardenedXmlParser() {
        this(DEFAULT_MAX_BYTES, DEFAULT_MAX_DEPTH);
    }

    public HardenedXmlParser(int maxBytes, int maxDepth) {
        if (maxBytes <= 0 || maxDepth <= 0) {
            throw new IllegalArgumentException("XML limits must be positive: maxBytes=" + maxBytes + ", maxDepth=" + maxDepth);
        }
        this.maxBytes = maxBytes;
        this.maxDepth = maxDepth;
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
        DomTree tree = new DomTree();
        scan(xml, what, tree);
        return tree.document();
    }

    /**
     * Reads {@code xml} to its end into {@code handler}, refusing what {@link #parse} refuses, in the same words; a
     * {@code SAXException} the handler throws refuses the document too.
     */
    public void read(byte[] xml, String what, ContentHandler handler) throws XmlException {
        scan(xml, what, new SaxEvents(handler));
    }

    /**
     * Reads a document already decoded, as {@link #read(byte[], String, ContentHandler)} reads its UTF-8 bytes (the
     * byte limit counts those), without encoding it to read it back.
     */
    public void read(String xml, String what, ContentHandler handler) throws XmlException {
        checkSize(xml.length() * 3L <= maxBytes ? xml.length() : utf8Length(xml), what);
        scan(CharBuffer.wrap(xml.toCharArray()), what, new SaxEvents(handler));
    }

    private void scan(byte[] xml, String what, XmlSink sink) throws XmlException {
        checkSize(xml.length, what);
        CharBuffer chars;
        try {
            chars = XmlCursor.decode(xml);
        } catch (XmlCursor.Malformed e) {
            throw malformed(what, e);
        }
        scan(chars, what, sink);
    }

    private void checkSize(long bytes, String what) throws XmlException {
        if (bytes > maxBytes) {
            throw new XmlException(what + " is " + bytes + " bytes, over the limit of " + maxBytes + " bytes");
        }
        if (bytes == 0) {
            throw new XmlException(what + " is empty");
        }
    }

    /** The length of {@code text} in UTF-8 (a surrogate pair is 4 bytes; a lone surrogate, which no reader takes, 2). */
    private static long utf8Length(String text) {
        long bytes = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            bytes += c < 0x80 ? 1 : c < 0x800 || Character.isSurrogate(c) ? 2 : 3;
        }
        return bytes;
    }

    private void scan(CharBuffer chars, String what, XmlSink sink) throws XmlException {
        try {
            XmlScanner.scan(chars, maxDepth, sink);
        } catch (XmlCursor.Malformed e) {
            throw malformed(what, e);
        } catch (SAXException e) {
            throw new XmlException("malformed " + what + ": " + oneLine(e.getMessage()), e);
        }
    }

    private static XmlException malformed(String what, XmlCursor.Malformed e) {
        return new XmlException("malformed " + what + " (" + e.where + "): " + cut(e.getMessage()), e);
    }

    private static String oneLine(String message) {
        return message == null ? "unreadable XML" : cut(message.replaceAll("\\s+", " ").trim());
    }

    /**
     * A refusal names what it found, which a hostile document can make megabytes long: logs and the peer get its start
     * and its end (where the reason often is), the middle cut out.
     */
    private static String cut(String message) {
        return message.length() <= MAX_MESSAGE ? message : message.substring(0, MAX_MESSAGE - 160) + " [" + (message.length()
                - MAX_MESSAGE + 100) + " characters cut] " + message.substring(message.length() - 100);
    }
}
