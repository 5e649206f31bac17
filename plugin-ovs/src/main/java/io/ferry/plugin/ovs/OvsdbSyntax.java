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

    /** {@code value} quoted, which ovs-vsctl reads as exactly it, whatever its characters. */
    static String quoted(String value) {
        StringBuilder out = new StringBuilder(value.length() + 2).append('"');
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '"' || c == '\\') {
                out.append('\\').append(c);
            } else if (c < 0x20) {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        return out.append('"').toString();
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
