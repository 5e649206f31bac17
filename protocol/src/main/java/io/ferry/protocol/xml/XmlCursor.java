package io.ferry.protocol.xml;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CoderResult;
import java.nio.charset.StandardCharsets;

/**
 * The characters of one document and a position in them, with readers of its smallest pieces: names, attribute
 * values, references, checked runs of characters. {@link XmlScanner} reads the document's structure with them.
 */
abstract class XmlCursor {
    /** A document that is not well-formed: what is wrong, and where it was found ("line L, column C"). */
    static final class Malformed extends Exception {
        private static final long serialVersionUID = 1L;
        final String where;

        Malformed(String message, char[] text, int offset) {
            super(message);
            this.where = where(text, offset);
        }

        /** The line and column of the character at {@code offset}, both from 1; a CR LF is one line break. */
        private static String where(char[] text, int offset) {
            int line = 1;
            int lineStart = 0;
            for (int i = 0; i < offset; i++) {
                if (text[i] == '\n' || text[i] == '\r' && (i + 1 >= text.length || text[i + 1] != '\n')) {
                    line++;
                    lineStart = i + 1;
                }
            }
            return "line " + line + ", column " + (offset - lineStart + 1);
        }
    }

    final char[] in;
    final int end;
    int pos;
    private final StringBuilder value = new StringBuilder();

    XmlCursor(char[] in, int end) {
        this.in = in;
        this.end = end;
    }

    /** {@code xml} as characters (the array may be longer than the count it ends with); invalid UTF-8 is refused. */
    static CharBuffer decode(byte[] xml) throws Malformed {
        CharBuffer chars = CharBuffer.allocate(xml.length);
        ByteBuffer bytes = ByteBuffer.wrap(xml);
        CoderResult result = StandardCharsets.UTF_8.newDecoder().decode(bytes, chars, true);
        if (result.isError()) {
            throw new Malformed(String.format("byte %d is 0x%02X, which is not UTF-8 there (only UTF-8 is read)",
                    bytes.position() + 1, xml[bytes.position()] & 0xFF), chars.array(), chars.position());
        }
        return chars.flip();
    }

    /** An attribute's value, references replaced and each white-space character a space, as XML normalizes it. */
    final String attributeValue(String name, String element) throws Malformed {
        if (pos >= end || in[pos] != '"' && in[pos] != '\'') {
            throw fail("the value of attribute " + name + " of <" + element + "> must be in quotes");
        }
        char quote = in[pos++];
        int start = pos;
        boolean changed = false;
        value.setLength(0);
        while (true) {
            if (pos >= end) {
                throw fail("the document ends inside the value of attribute " + name + " of <" + element + ">");
            }
            char c = in[pos];
            if (c == quote) {
                pos++;
                return changed ? value.append(in, start, pos - 1 - start).toString() : SharedStrings.of(in, start, pos - 1 - start);
            }
            if (c == '<') {
                throw fail("the value of attribute " + name + " of <" + element + "> holds '<', which must be written &lt;");
            }
            if (c == '&' || c == '\r' || c == '\n' || c == '\t') {
                value.append(in, start, pos - start);
                changed = true;
                if (c == '&') {
                    reference(value);
                } else {
                    value.append(' ');
                    pos += c == '\r' && pos + 1 < end && in[pos + 1] == '\n' ? 2 : 1;
                }
                start = pos;
                continue;
            }
            if (c < 0x20 || c >= 0xFFFE) {
                throw fail(invalid(c));
            }
            pos++;
        }
    }

    /** A character or entity reference at {@code pos}, appended to {@code into} as the character it stands for. */
    final void reference(StringBuilder into) throws Malformed {
        int at = pos;
        pos++;
        if (pos < end && in[pos] == '#') {
            into.appendCodePoint(CharacterReference.read(this, at));
            return;
        }
        String name = name("an entity name after '&'");
        if (pos >= end || in[pos] != ';') {
            throw failAt(at, "the reference to entity \"" + name + "\" must end with ';'");
        }
        pos++;
        switch (name) {
            case "amp" -> into.append('&');
            case "lt" -> into.append('<');
            case "gt" -> into.append('>');
            case "quot" -> into.append('"');
            case "apos" -> into.append('\'');
            default -> throw failAt(at, "the entity \"" + name
                    + "\" is referenced but not declared (without a DTD there are only amp, lt, gt, quot and apos)");
        }
    }

    /** The characters from {@code start} to {@code stop}, checked, line breaks made LF. */
    final String chars(int start, int stop) throws Malformed {
        StringBuilder out = null;
        int from = start;
        for (int i = start; i < stop; i++) {
            char c = in[i];
            if (c == '\r') {
                out = out == null ? new StringBuilder(stop - start) : out;
                out.append(in, from, i - from).append('\n');
                from = i + 1 < stop && in[i + 1] == '\n' ? i + 2 : i + 1;
                i = from - 1;
            } else if (c < 0x20 && c != '\n' && c != '\t' || c >= 0xFFFE) {
                throw failAt(i, invalid(c));
            }
        }
        return out == null ? new String(in, start, stop - start) : out.append(in, from, stop - from).toString();
    }

    /** The XML name at {@code pos}, which it passes. */
    String name(String what) throws Malformed {
        return name(what, null);
    }

    /** As {@link #name(String)}, {@code what} followed by {@code element} and '>' if there is one. */
    final String name(String what, String element) throws Malformed {
        int start = pos;
        int length = pos < end ? XmlChars.nameLength(in, pos, true) : 0;
        if (length == 0) {
            throw fail("expected " + what + (element == null ? "" : element + ">")
                    + (pos < end ? ", found " + shown(in[pos]) : ", found the end of the document"));
        }
        int hash = length == 2 ? 31 * in[pos] + in[pos + 1] : in[pos];
        pos += length;
        while (pos < end && (length = XmlChars.nameLength(in, pos, false)) > 0) {
            hash = 31 * hash + in[pos];
            if (length == 2) {
                hash = 31 * hash + in[pos + 1];
            }
            pos += length;
        }
        return SharedStrings.of(in, start, pos - start, hash);
    }

    boolean skipSpaces() {
        int start = pos;
        while (pos < end && isSpace(in[pos])) {
            pos++;
        }
        return pos > start;
    }

    boolean startsWith(String markup) {
        return matches(markup, pos);
    }

    private boolean matches(String markup, int offset) {
        if (offset + markup.length() > end) {
            return false;
        }
        for (int i = 0; i < markup.length(); i++) {
            if (in[offset + i] != markup.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    final int indexOf(String markup, int from) {
        for (int i = from; i + markup.length() <= end; i++) {
            if (matches(markup, i)) {
                return i;
            }
        }
        return -1;
    }

    /** Whether every character of the document is ASCII. */
    boolean allAscii() {
        for (int i = 0; i < end; i++) {
            if (in[i] >= 0x80) {
                return false;
            }
        }
        return true;
    }

    char at(int offset) {
        return offset < end ? in[offset] : 0;
    }

    int pos() {
        return pos;
    }

    void advance(int count) {
        pos += count;
    }

    Malformed fail(String message) {
        return failAt(pos, message);
    }

    Malformed failAt(int offset, String message) {
        return new Malformed(message, in, Math.min(offset, end));
    }

    /** {@code c} for a one-line message: quoted if it prints, else as U+XXXX. */
    static String shown(char c) {
        boolean prints = c > 0x20 && c < 0x7F || c > 0xA0 && Character.isDefined(c) && !Character.isSurrogate(c)
                && !Character.isISOControl(c) && !Character.isSpaceChar(c) && Character.getType(c) != Character.FORMAT;
        return prints ? "'" + c + "'" : String.format("U+%04X", (int) c);
    }

    static String invalid(int c) {
        return String.format("U+%04X is not a character XML 1.0 can carry", c);
    }

    static boolean isSpace(char c) {
        return c == ' ' || c == '\n' || c == '\t' || c == '\r';
    }
}
