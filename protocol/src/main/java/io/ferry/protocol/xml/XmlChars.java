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
}
