package io.ferry.cli;

import io.ferry.protocol.Xml;

/**
 * What a daemon says (or a migration's peer, through it), made safe to print on the operator's terminal: its
 * control characters, C0 and C1 alike (XML 1.0 lets a carriage return and U+0080-U+009F through, and a raw reply
 * may hold anything), are written out, so that no reply can overwrite a line, clear the screen or retitle the window.
 */
final class TerminalText {
    private TerminalText() {
    }

    /** A line of text: its control characters as {@code \\uXXXX}, line breaks among them. */
    static String line(String text) {
        return text == null ? null : Xml.escapeControls(text);
    }

    /** {@link #xml}, ending in a line break as a document printed alone does. */
    static String xmlDocument(String document) {
        return xml(document.endsWith("\n") ? document : document + "\n");
    }

    /** An XML document, its lines kept: other control characters as character references, which read back the same. */
    static String xml(String document) {
        StringBuilder safe = new StringBuilder(document.length());
        document.codePoints().forEach(c -> {
            if (c != '\n' && c != '\t' && Character.isISOControl(c)) {
                safe.append("&#x").append(Integer.toHexString(c)).append(';');
            } else {
                safe.appendCodePoint(c);
            }
        });
        return safe.toString();
    }
}
