package io.ferry.protocol.xml;

/** A character reference, {@code &#65;} or {@code &#x41;}: the character it stands for, which XML must carry. */
final class CharacterReference {
    private CharacterReference() {
    }

    /** Reads the reference that starts at {@code at} ('&'), {@code scanner} being at its '#'. */
    static int read(XmlCursor scanner, int at) throws XmlCursor.Malformed {
        scanner.advance(1);
        int radix = 10;
        if (scanner.at(scanner.pos()) == 'x') {
            radix = 16;
            scanner.advance(1);
        }
        int digits = 0;
        int value = 0;
        for (char c = scanner.at(scanner.pos()); c < 0x80 && Character.digit(c, radix) >= 0; c = scanner.at(scanner.pos())) {
            value = Math.min(value * radix + Character.digit(c, radix), 0x110000); // past Unicode is past Unicode
            digits++;
            scanner.advance(1);
        }
        if (digits == 0 || scanner.at(scanner.pos()) != ';') {
            throw scanner.failAt(at, "a character reference must be &#DIGITS; or &#xHEXDIGITS;");
        }
        scanner.advance(1);
        if (!XmlChars.allowed(value)) {
            throw scanner.failAt(at, "a character reference to " + XmlCursor.invalid(value));
        }
        return value;
    }
}
