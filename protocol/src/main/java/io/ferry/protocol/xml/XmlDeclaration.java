package io.ferry.protocol.xml;

import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** The XML declaration, {@code <?xml version="1.0" encoding="UTF-8" standalone="yes"?>}: read, checked, dropped. */
final class XmlDeclaration {
    private XmlDeclaration() {
    }

    /** Reads the declaration {@code scanner} is at. */
    static void read(XmlCursor scanner) throws XmlCursor.Malformed {
        scanner.advance(5);
        String version = pseudoAttribute(scanner, "version");
        if (version == null) {
            throw scanner.fail("the XML declaration must give the version first");
        }
        if (!version.equals("1.0")) {
            throw scanner.fail("XML version " + version + " is not read here, only 1.0");
        }
        String encoding = pseudoAttribute(scanner, "encoding");
        if (encoding != null && !encoding.equalsIgnoreCase("UTF-8") && !encoding.equalsIgnoreCase("UTF8")
                && !(asciiCompatible(encoding) && scanner.allAscii())) {
            throw scanner.fail("the document declares encoding " + encoding
                    + "; only UTF-8 is read, or a document all ASCII in an encoding that extends ASCII");
        }
        String standalone = pseudoAttribute(scanner, "standalone");
        if (standalone != null && !standalone.equals("yes") && !standalone.equals("no")) {
            throw scanner.fail("standalone must be yes or no, not " + standalone);
        }
        scanner.skipSpaces();
        if (!scanner.startsWith("?>")) {
            throw scanner.fail("the XML declaration must end with '?>'");
        }
        scanner.advance(2);
    }

    /**
     * Whether {@code encoding} writes ASCII as ASCII (ISO-8859-1, windows-1252, US-ASCII...): a document of ASCII
     * characters alone reads the same in it as in UTF-8, as the JDK's parser and libxml2 read it.
     */
    private static boolean asciiCompatible(String encoding) {
        try {
            return Charset.isSupported(encoding) && Arrays.equals(ASCII.getBytes(Charset.forName(encoding)),
                    ASCII.getBytes(StandardCharsets.US_ASCII));
        } catch (IllegalArgumentException e) { // an illegal charset name
            return false;
        }
    }

    private static final String ASCII;

    static {
        StringBuilder ascii = new StringBuilder("\t\n\r");
        for (char c = 0x20; c < 0x7F; c++) {
            ascii.append(c);
        }
        ASCII = ascii.toString();
    }

    /** The value of {@code name} if it comes next, after white space; else null, nothing read. */
    private static String pseudoAttribute(XmlCursor scanner, String name) throws XmlCursor.Malformed {
        int start = scanner.pos();
        if (!scanner.skipSpaces() || !scanner.startsWith(name)) {
            scanner.advance(start - scanner.pos());
            return null;
        }
        scanner.advance(name.length());
        scanner.skipSpaces();
        if (scanner.at(scanner.pos()) != '=') {
            throw scanner.fail(name + " in the XML declaration must be followed by '='");
        }
        scanner.advance(1);
        scanner.skipSpaces();
        char quote = scanner.at(scanner.pos());
        if (quote != '"' && quote != '\'') {
            throw scanner.fail("the " + name + " in the XML declaration must be in quotes");
        }
        scanner.advance(1);
        StringBuilder value = new StringBuilder();
        for (char c = scanner.at(scanner.pos()); c != quote; c = scanner.at(scanner.pos())) {
            boolean plain = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_';
            if (!plain) {
                throw scanner.fail("the " + name + " in the XML declaration is not closed or holds " + XmlCursor.shown(c));
            }
            value.append(c);
            scanner.advance(1);
        }
        scanner.advance(1);
        return value.toString();
    }
}
