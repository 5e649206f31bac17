package io.ferry.protocol.xml;

/**
 * The characters XML 1.0 can carry ({@code #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]}).
 * Text with any other character (C0 controls, U+FFFE, U+FFFF, a lone surrogate) written into a document makes
 * it unreadable to every parser, so Ferry refuses such text where it takes it, and {@link XmlWriter} refuses to
 * write it at all.
 */
public final class XmlChars {
    private XmlChars() {
    }

    /** Text that cannot be written as XML; the message names where it was and the first character at fault. */
    public static final class Refused extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        Refused(String message) {
            super(message);
        }
    }

    /** The index of the first character XML 1.0 cannot carry, or -1. */
    public static int firstInvalid(CharSequence text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (!allowedAt(text, i)) {
                return i;
            }
            if (Character.isHighSurrogate(c)) {
                i++; // a pair: a character beyond U+FFFF, which XML carries
            }
        }
        return -1;
    }

    /** Refuses {@code text} (named {@code what} in the message: "parameter 'description'") if XML cannot carry it. */
    public static void require(String what, CharSequence text) {
        int at = firstInvalid(text);
        if (at >= 0) {
            throw refused(what, text, at);
        }
    }

    /** The refusal of {@code text} for its character at {@code at}. */
    static Refused refused(String what, CharSequence text, int at) {
        return new Refused(what + " holds " + String.format("U+%04X", (int) text.charAt(at)) + " at character "
                + (at + 1) + ", which XML 1.0 cannot carry");
    }

    /** Whether XML carries the character at {@code i}: a surrogate only as the high half of a pair. */
    static boolean allowedAt(CharSequence text, int i) {
        char c = text.charAt(i);
        if (Character.isHighSurrogate(c)) {
            return i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1));
        }
        return allowed(c);
    }

    /** For messages to humans only (an error echoing a request): every character XML cannot carry becomes U+FFFD. */
    public static String replaceInvalid(String text) {
        StringBuilder out = new StringBuilder(text);
        for (int at = firstInvalid(out); at >= 0; at = firstInvalid(out)) {
            out.setCharAt(at, '\uFFFD');
        }
        return out.toString();
    }

    private static boolean allowed(char c) {
        return c >= 0x20 && c <= 0xD7FF || c == 0x9 || c == 0xA || c == 0xD || c >= 0xE000 && c <= 0xFFFD;
    }

    /** Whether XML carries the code point {@code c}. */
    static boolean allowed(int c) {
        return c <= 0xFFFF ? allowed((char) c) : c <= 0x10FFFF;
    }

    /**
     * How many chars the name character at {@code at} takes (XML 1.0 fifth edition, as libxml2 reads names): 1, 2
     * for one beyond U+FFFF, 0 if there is none there; {@code first} asks for a character that may start a name.
     */
    static int nameLength(char[] in, int at, boolean first) {
        char c = in[at];
        if (c < 0x80) {
            return (ASCII_NAME[c] & (first ? NAME_START : IN_NAME)) != 0 ? 1 : 0;
        }
        if (Character.isHighSurrogate(c)) {
            return at + 1 < in.length && Character.isLowSurrogate(in[at + 1])
                    && Character.toCodePoint(c, in[at + 1]) <= 0xEFFFF ? 2 : 0;
        }
        return (first ? nameStart(c) : inName(c)) ? 1 : 0;
    }

    /** Whether {@code c} (not a surrogate) may stand in an XML name after its first character. */
    private static boolean inName(char c) {
        return nameStart(c) || c == '-' || c == '.' || c >= '0' && c <= '9' || c == 0xB7 || c >= 0x300 && c <= 0x36F
                || c == 0x203F || c == 0x2040;
    }

    private static final byte NAME_START = 1;
    private static final byte IN_NAME = 2;
    /** What each ASCII character may be in a name: most names are ASCII, and read a character at a time. */
    private static final byte[] ASCII_NAME = new byte[0x80];

    static {
        for (char c = 0; c < 0x80; c++) {
            ASCII_NAME[c] = (byte) ((nameStart(c) ? NAME_START : 0) | (inName(c) ? IN_NAME : 0));
        }
    }

    /** Whether {@code c} (not a surrogate) may start an XML name. */
    static boolean nameStart(char c) {
        if (c < 0x80) {
            return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == ':';
        }
        return c >= 0xC0 && c <= 0xD6 || c >= 0xD8 && c <= 0xF6 || c >= 0xF8 && c <= 0x2FF || c >= 0x370 && c <= 0x37D
                || c >= 0x37F && c <= 0x1FFF || c == 0x200C || c == 0x200D || c >= 0x2070 && c <= 0x218F
                || c >= 0x2C00 && c <= 0x2FEF || c >= 0x3001 && c <= 0xD7FF || c >= 0xF900 && c <= 0xFDCF
                || c >= 0xFDF0 && c <= 0xFFFD;
    }
}
