package io.ferry.plugin.ovs;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The syntax ovs-vsctl prints values in and reads them back (OVS lib/ovsdb-data.c): a string is bare when it is a word,
 * else a JSON string in double quotes; a map is {@code {KEY=VALUE, ...}}.
 */
final class OvsdbSyntax {
    private OvsdbSyntax() {
    }

    /** {@code value} quoted, in ASCII alone (see {@link #ascii}), which ovs-vsctl reads as exactly it. */
    static String quoted(String value) {
        StringBuilder out = new StringBuilder(value.length() + 2).append('"');
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '"' || c == '\\') {
                out.append('\\').append(c);
            } else {
                escaped(c, out);
            }
        }
        return out.append('"').toString();
    }

    /**
     * A value as printed (bare, or quoted), to be given back to ovs-vsctl, in ASCII alone: the JVM passes a command's
     * arguments in the encoding of its locale, ASCII under LANG=C (bin/ferryd and its systemd unit set none), which
     * makes '?' of any other character. In a quoted value each character past '~' becomes a JSON escape (two for one
     * past U+FFFF, as Java holds it), which ovs-vsctl reads back as it; a bare one with such characters is quoted.
     */
    static String ascii(String printed) throws IOException {
        if (printed.chars().allMatch(c -> c <= 0x7e)) {
            return printed;
        }
        if (!printed.startsWith("\"")) {
            return quoted(printed);
        }
        if (printed.length() < 2 || !printed.endsWith("\"")) { // as ovs-vsctl refuses it
            throw new IOException("malformed string (no closing quote): " + printed);
        }
        StringBuilder out = new StringBuilder(printed.length() + 16).append('"');
        for (int i = 1; i < printed.length() - 1; i++) {
            char c = printed.charAt(i);
            if (c == '\\' && i + 1 < printed.length() - 1) {
                char next = printed.charAt(++i);
                if (next > 0x7e) { // an escape ovs-vsctl refuses; escaping the character would make it another value
                    throw new IOException("malformed string (a backslash before '" + next + "'): " + printed);
                }
                out.append(c).append(next);
            } else {
                escaped(c, out);
            }
        }
        return out.append('"').toString();
    }

    /** Appends {@code c} as it is, or its JSON escape when it is a control character or past '~'. */
    private static void escaped(char c, StringBuilder out) {
        if (c < 0x20 || c > 0x7e) {
            out.append(String.format("\\u%04x", (int) c));
        } else {
            out.append(c);
        }
    }

    /** The string a printed value stands for: a bare one itself, a quoted one unescaped. */
    static String string(String printed) throws IOException {
        if (!printed.startsWith("\"")) {
            return printed;
        }
        if (printed.length() < 2 || !printed.endsWith("\"")) {
            throw new IOException("ovs-vsctl printed a string without its closing quote: " + printed);
        }
        StringBuilder out = new StringBuilder();
        for (int i = 1; i < printed.length() - 1; i++) {
            char c = printed.charAt(i);
            if (c != '\\') {
                out.append(c);
                continue;
            }
            char escaped = ++i < printed.length() - 1 ? printed.charAt(i) : ' ';
            switch (escaped) {
                case '"', '\\', '/' -> out.append(escaped);
                case 'b' -> out.append('\b');
                case 'f' -> out.append('\f');
                case 'n' -> out.append('\n');
                case 'r' -> out.append('\r');
                case 't' -> out.append('\t');
                case 'u' -> {
                    if (i + 4 >= printed.length() - 1 || !printed.substring(i + 1, i + 5).matches("[0-9A-Fa-f]{4}")) {
                        throw new IOException("ovs-vsctl printed a malformed \\u escape: " + printed);
                    }
                    out.append((char) Integer.parseInt(printed.substring(i + 1, i + 5), 16));
                    i += 4;
                }
                default -> throw new IOException("ovs-vsctl printed a malformed escape: " + printed);
            }
        }
        return out.toString();
    }

    /** A printed map's entries, in order: each key's string, and its value as printed. */
    static Map<String, String> map(String printed) throws IOException {
        if (!printed.startsWith("{") || !printed.endsWith("}")) {
            throw new IOException("ovs-vsctl printed no map: " + printed);
        }
        Map<String, String> entries = new LinkedHashMap<>();
        int end = printed.length() - 1;
        int at = 1;
        while (at < end) {
            int keyEnd = tokenEnd(printed, at, end);
            if (keyEnd >= end || printed.charAt(keyEnd) != '=') {
                throw new IOException("ovs-vsctl printed a map entry without its value: " + printed);
            }
            int valueEnd = tokenEnd(printed, keyEnd + 1, end);
            entries.put(string(printed.substring(at, keyEnd)), printed.substring(keyEnd + 1, valueEnd));
            at = valueEnd;
            if (at < end && !printed.startsWith(", ", at)) {
                throw new IOException("ovs-vsctl printed a malformed map: " + printed);
            }
            at += at < end ? 2 : 0;
        }
        return entries;
    }

    /** Where the token from {@code start} ends: past its closing quote, or at the next '=', ',' or the map's end. */
    private static int tokenEnd(String printed, int start, int end) throws IOException {
        int at = start;
        if (at < end && printed.charAt(at) == '"') {
            for (at++; at < end && printed.charAt(at) != '"'; at++) {
                at += printed.charAt(at) == '\\' ? 1 : 0;
            }
            if (at >= end) {
                throw new IOException("ovs-vsctl printed a string without its closing quote: " + printed);
            }
            return at + 1;
        }
        while (at < end && printed.charAt(at) != '=' && printed.charAt(at) != ',') {
            at++;
        }
        return at;
    }
}
