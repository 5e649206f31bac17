package io.ferry.protocol.xml;

import java.nio.CharBuffer;
import org.xml.sax.SAXException;

/**
 * Reads one UTF-8 XML 1.0 document with namespaces, checking that it is well-formed, and reports it to a
 * {@link XmlSink}. It has no DTD support at all: a DOCTYPE is refused where it starts, so no entity other than
 * XML's five can be declared, expanded or fetched, and nothing outside the bytes given is ever read. Elements
 * deeper than the limit are refused where they start; nothing recurses. One document per scanner.
 */
final class XmlScanner extends XmlCursor {
    static final String DOCTYPE_REFUSED = "a DOCTYPE is not allowed (DTDs and entities are refused)";

    private final int maxDepth;
    private final XmlSink sink;
    private final NamespaceScope namespaces = new NamespaceScope();
    private final ScannedAttributes attributes = new ScannedAttributes();
    private final StringBuilder text = new StringBuilder();
    private final OpenElements open = new OpenElements();
    /** Where the text being read started, while it is the characters as written (nothing in {@link #text}); else -1. */
    private int plainFrom = -1;
    private final ElementNames names = new ElementNames();

    private XmlScanner(char[] in, int end, int maxDepth, XmlSink sink) {
        super(in, end);
        this.maxDepth = maxDepth;
        this.sink = sink;
    }

    /** Reads the document {@code chars} holds ({@link #decode}'s) to its end into {@code sink}. */
    static void scan(CharBuffer chars, int maxDepth, XmlSink sink) throws Malformed, SAXException {
        new XmlScanner(chars.array(), chars.limit(), maxDepth, sink).document();
    }

    private void document() throws Malformed, SAXException {
        sink.startDocument();
        if (end > 0 && in[0] == '\uFEFF') {
            pos = 1; // a byte order mark
        }
        if (startsWith("<?xml") && pos + 5 < end && isSpace(in[pos + 5])) {
            XmlDeclaration.read(this);
        }
        misc(true);
        if (pos >= end) {
            throw fail("the document has no root element");
        }
        if (in[pos] != '<') {
            throw fail("text is not allowed before the root element");
        }
        elements();
        misc(false);
        if (pos < end) {
            throw fail((in[pos] == '<' ? "markup" : "text") + " is not allowed after the root element");
        }
        sink.endDocument();
    }

    /** Comments, processing instructions and white space around the root element. */
    private void misc(boolean prolog) throws Malformed, SAXException {
        while (pos < end) {
            if (isSpace(in[pos])) {
                pos++;
            } else if (startsWith("<!--")) {
                comment();
            } else if (startsWith("<?")) {
                instruction();
            } else if (prolog && startsWith("<!DOCTYPE")) {
                throw fail(DOCTYPE_REFUSED);
            } else {
                return;
            }
        }
    }

    /** The root element and everything in it, in a loop: nesting costs no stack. */
    private void elements() throws Malformed, SAXException {
        int depth = startTag(0);
        while (depth > 0) {
            if (pos >= end) {
                throw fail("the document ends inside <" + open.qName(depth - 1) + ">");
            }
            char c = in[pos];
            if (c == '&') {
                textNoLongerPlain();
                reference(text);
            } else if (c != '<') {
                charData();
            } else {
                flushText();
                char next = pos + 1 < end ? in[pos + 1] : 0;
                if (next == '/') {
                    depth = endTag(depth);
                } else if (startsWith("<!--")) {
                    comment();
                } else if (startsWith("<![CDATA[")) {
                    cdata();
                } else if (next == '?') {
                    instruction();
                } else if (next == '!') {
                    throw fail("markup '<!' is not allowed inside <" + open.qName(depth - 1) + ">");
                } else {
                    depth = startTag(depth);
                }
            }
        }
    }

    /** The start tag at {@code pos} of an element at {@code depth + 1}; the depth after it (the same if empty). */
    private int startTag(int depth) throws Malformed, SAXException {
        int at = pos;
        pos++;
        String qName = name("an element name");
        if (depth == maxDepth) {
            throw failAt(at, "elements nest deeper than allowed: <" + qName + "> is at depth " + (depth + 1)
                    + ", over the limit of " + maxDepth);
        }
        attributes.clear();
        while (true) {
            boolean spaced = skipSpaces();
            if (pos >= end) {
                throw fail("the document ends inside the start tag of <" + qName + ">");
            }
            char c = in[pos];
            if (c == '>') {
                pos++;
                open(qName, depth, at);
                return depth + 1;
            }
            if (c == '/') {
                if (pos + 1 >= end || in[pos + 1] != '>') {
                    throw fail("'/' in the start tag of <" + qName + "> must be followed by '>'");
                }
                pos += 2;
                open(qName, depth, at);
                close(depth);
                return depth;
            }
            if (!spaced) {
                throw fail("the attributes of <" + qName + "> must be separated by white space");
            }
            if (attributes.count() == ScannedAttributes.MAX_COUNT) {
                throw fail("<" + qName + "> has more than " + ScannedAttributes.MAX_COUNT + " attributes");
            }
            int attributeAt = pos;
            String name = name("an attribute name in <", qName);
            skipSpaces();
            if (pos >= end || in[pos] != '=') {
                throw fail("attribute " + name + " of <" + qName + "> must be followed by '='");
            }
            pos++;
            skipSpaces();
            if (!attributes.add(name, attributeValue(name, qName))) {
                throw failAt(attributeAt, "<" + qName + "> has attribute " + name + " twice");
            }
        }
    }

    private void open(String qName, int depth, int at) throws Malformed, SAXException {
        namespaces.push();
        String refusal = names.resolve(qName, attributes, namespaces);
        if (refusal != null) {
            throw failAt(at, refusal);
        }
        open.push(depth, qName, names.uri(), names.localName());
        sink.startElement(names.uri(), names.localName(), qName, attributes);
    }

    private void close(int depth) throws SAXException {
        sink.endElement(open.uri(depth), open.localName(depth), open.qName(depth));
        namespaces.pop();
    }

    private int endTag(int depth) throws Malformed, SAXException {
        int at = pos;
        pos += 2;
        String qName = open.qName(depth - 1);
        int after = pos + qName.length();
        if (!startsWith(qName) || after < end && XmlChars.nameLength(in, after, false) > 0) {
            throw failAt(at, "<" + qName + "> is closed by </" + name("an element name") + ">");
        }
        pos = after;
        skipSpaces();
        if (pos >= end || in[pos] != '>') {
            throw fail("the end tag of <" + qName + "> must end with '>'");
        }
        pos++;
        close(depth - 1);
        return depth - 1;
    }

    private void charData() throws Malformed {
        int run = pos;
        int start = pos;
        if (text.length() == 0 && plainFrom < 0) {
            plainFrom = pos;
        }
        while (pos < end) {
            char c = in[pos];
            if (c == '<' || c == '&') {
                break;
            }
            if (c == '\r') { // a line break written CR LF or CR is LF
                plainFrom = -1;
                text.append(in, start, pos - start).append('\n');
                pos += pos + 1 < end && in[pos + 1] == '\n' ? 2 : 1;
                start = pos;
                continue;
            }
            if (c < 0x20 && c != '\n' && c != '\t' || c >= 0xFFFE) {
                throw fail(invalid(c));
            }
            if (c == '>' && pos - 2 >= run && in[pos - 1] == ']' && in[pos - 2] == ']') {
                throw failAt(pos - 2, "']]>' is not allowed in text");
            }
            pos++;
        }
        if (plainFrom < 0) {
            text.append(in, start, pos - start);
        }
    }

    /** Before a reference: the text so far is no longer the characters as written. */
    private void textNoLongerPlain() {
        if (plainFrom >= 0) {
            text.append(in, plainFrom, pos - plainFrom);
            plainFrom = -1;
        }
    }

    private void flushText() throws SAXException {
        if (plainFrom >= 0) {
            sink.text(SharedStrings.of(in, plainFrom, pos - plainFrom));
            plainFrom = -1;
        } else if (text.length() > 0) {
            sink.text(text.toString());
            text.setLength(0);
        }
    }

    private void comment() throws Malformed, SAXException {
        int at = pos;
        pos += 4;
        int start = pos;
        while (true) {
            if (pos + 1 >= end) {
                throw failAt(at, "the comment is not closed with '-->'");
            }
            if (in[pos] == '-' && in[pos + 1] == '-') {
                if (pos + 2 >= end || in[pos + 2] != '>') {
                    throw fail("'--' is not allowed inside a comment");
                }
                String body = chars(start, pos);
                pos += 3;
                sink.comment(body);
                return;
            }
            pos++;
        }
    }

    private void cdata() throws Malformed, SAXException {
        int at = pos;
        pos += 9;
        int close = indexOf("]]>", pos);
        if (close < 0) {
            throw failAt(at, "the CDATA section is not closed with ']]>'");
        }
        String body = chars(pos, close);
        pos = close + 3;
        sink.cdata(body);
    }

    private void instruction() throws Malformed, SAXException {
        int at = pos;
        pos += 2;
        String target = name("a processing instruction's target");
        if (target.equalsIgnoreCase("xml")) {
            throw failAt(at, "an XML declaration is allowed only at the very start of the document");
        }
        if (startsWith("?>")) {
            pos += 2;
            sink.instruction(target, "");
            return;
        }
        if (!skipSpaces()) {
            throw fail("the target of processing instruction " + target + " must be followed by white space or '?>'");
        }
        int close = indexOf("?>", pos);
        if (close < 0) {
            throw failAt(at, "processing instruction " + target + " is not closed with '?>'");
        }
        String data = chars(pos, close);
        pos = close + 2;
        sink.instruction(target, data);
    }
}
