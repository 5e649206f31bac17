package io.ferry.ovsports;

import io.ferry.api.hypervisor.HypervisorException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Text as ovs-vsctl reads and prints it (OVS lib/ovsdb-data.c, lib/table.c): a string is bare when it is a word, else
 * a JSON string in double quotes; {@code find} lists each record it found as lines {@code COLUMN : VALUE}, with a
 * blank line after it. The bundles that embed this share no code with the plug-ins, which read the same text.
 */
final class OvsdbText {
    private OvsdbText() {
    }

    /** {@code value} as a quoted string, which ovs-vsctl reads as exactly it, in ASCII alone (whatever the locale). */
    static String quoted(String value) {
        StringBuilder out = new StringBuilder(value.length() + 2).append('"');
        for (char c : value.toCharArray()) {
            if (c == '"' || c == '\\') {
                out.append('\\').append(c);
            } else if (c < 0x20 || c > 0x7e) {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        return out.append('"').toString();
    }

    /** The string a value stands for as printed: a bare one itself, a quoted one without its quotes and escapes. */
    static String string(String printed) throws HypervisorException {
        if (!printed.startsWith("\"")) {
            return printed;
        }
        StringBuilder out = new StringBuilder();
        int last = printed.length() - 1;
        for (int i = 1; i < last; i++) {
            char c = printed.charAt(i);
            if (c != '\\') {
                out.append(c);
            } else if (++i < last && printed.charAt(i) == 'u' && i + 4 < last
                    && printed.substring(i + 1, i + 5).matches("[0-9A-Fa-f]{4}")) {
                out.append((char) Integer.parseInt(printed.substring(i + 1, i + 5), 16));
                i += 4;
            } else {
                int escape = i < last ? "\"\\/bfnrt".indexOf(printed.charAt(i)) : -1;
                if (escape < 0) {
                    throw new HypervisorException("ovs-vsctl printed a malformed string: " + printed);
                }
                out.append("\"\\/\b\f\n\r\t".charAt(escape));
            }
        }
        if (last < 1 || printed.charAt(last) != '"') {
            throw new HypervisorException("ovs-vsctl printed a string without its closing quote: " + printed);
        }
        return out.toString();
    }

    /** The records {@code find} listed, in order: each a map of its columns' names to their values as printed. */
    static List<Map<String, String>> records(String printed) throws HypervisorException {
        List<Map<String, String>> records = new ArrayList<>();
        Map<String, String> record = new LinkedHashMap<>();
        for (String line : printed.lines().toList()) {
            if (line.isBlank()) {
                if (!record.isEmpty()) {
                    records.add(record);
                    record = new LinkedHashMap<>();
                }
                continue;
            }
            int colon = line.indexOf(':'); // no column's name has one
            if (colon < 0) {
                throw new HypervisorException("ovs-vsctl printed a line that is no column of a record: " + line);
            }
            record.put(line.substring(0, colon).strip(), line.substring(colon + 1).strip());
        }
        if (!record.isEmpty()) {
            records.add(record);
        }
        return records;
    }
}
