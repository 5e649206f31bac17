package io.ferry.settings;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A pattern of certificate subjects, as libvirt's {@code tls_allowed_dn_list}: an RFC 4514 distinguished name in
 * which an unescaped {@code *} stands for any run of characters, also across RDNs (fnmatch, as libvirt), and
 * {@code \*} for a star. Pattern and subject are compared in one canonical form, so the spelling of the same name
 * does not matter: attribute types in any case ({@code cn=} is {@code CN=}), spaces around {@code ,}, {@code +} and
 * {@code =}, and any of RFC 4514's escapes ({@code \,}, {@code \2C}, {@code \"}, UTF-8 as {@code \C3\A9}). Values
 * are compared exactly (case matters), as libvirt does. The whole subject must match: {@code CN=host-*} admits
 * {@code CN=host-a} and also {@code CN=host-a,O=Ferry}; {@code CN=host-*,O=Ferry} pins the organisation.
 */
public final class SubjectPattern {
    /** One unit of a canonical name: a character of a value or type, a separator, or (in a pattern) a wildcard. */
    private record Unit(char c, Kind kind) {
    }

    private enum Kind { TEXT, SEPARATOR, WILDCARD }

    private final String text;
    private final List<Unit> units;

    private SubjectPattern(String text, List<Unit> units) {
        this.text = text;
        this.units = units;
    }

    /**
     * @throws IllegalArgumentException whose message says what is wrong ("has an attribute without '='")
     */
    public static SubjectPattern parse(String pattern) {
        return new SubjectPattern(pattern, units(pattern, true));
    }

    /** Whether {@code subject}, an RFC 4514 name (as {@code X500Principal.getName()} gives it), matches. */
    public boolean matches(String subject) {
        List<Unit> name;
        try {
            name = units(subject, false);
        } catch (IllegalArgumentException e) {
            return false;
        }
        return glob(units, name);
    }

    @Override
    public String toString() {
        return text;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof SubjectPattern p && p.units.equals(units);
    }

    @Override
    public int hashCode() {
        return units.hashCode();
    }

    /** A pattern holds a {@code *} that the usual matching with backtracking to the last star handles in linear passes. */
    private static boolean glob(List<Unit> pattern, List<Unit> name) {
        int p = 0;
        int n = 0;
        int star = -1;
        int resume = 0;
        while (n < name.size()) {
            if (p < pattern.size() && pattern.get(p).kind() == Kind.WILDCARD) {
                star = p++;
                resume = n;
            } else if (p < pattern.size() && pattern.get(p).equals(name.get(n))) {
                p++;
                n++;
            } else if (star >= 0) {
                p = star + 1;
                n = ++resume;
            } else {
                return false;
            }
        }
        while (p < pattern.size() && pattern.get(p).kind() == Kind.WILDCARD) {
            p++;
        }
        return p == pattern.size();
    }

    /** The canonical units of a name: types upper-cased, spaces around separators dropped, escapes resolved. */
    private static List<Unit> units(String name, boolean pattern) {
        List<Unit> units = new ArrayList<>();
        String trimmed = name.strip();
        if (trimmed.isEmpty()) {
            throw new IllegalArgumentException("is empty");
        }
        int i = 0;
        while (true) {
            int eq = trimmed.indexOf('=', i);
            int end = nextSeparator(trimmed, i);
            if (pattern && trimmed.substring(i, end).strip().equals("*")) { // "*,O=Ferry": any RDNs before
                units.add(new Unit('*', Kind.WILDCARD));
            } else if (eq < 0 || eq > end) {
                throw new IllegalArgumentException("has an attribute without '=' ('" + trimmed.substring(i, end).strip() + "')");
            } else {
                String type = trimmed.substring(i, eq).strip().toUpperCase(Locale.ROOT);
                if (!type.matches("[A-Z][A-Z0-9-]*|\\d+(\\.\\d+)*")) {
                    throw new IllegalArgumentException("has an attribute type that is neither a name nor an OID ('" + type + "')");
                }
                for (char c : type.toCharArray()) {
                    units.add(new Unit(c, Kind.TEXT));
                }
                units.add(new Unit('=', Kind.SEPARATOR));
                value(trimmed.substring(eq + 1, end), pattern, units);
            }
            if (end == trimmed.length()) {
                return units;
            }
            units.add(new Unit(trimmed.charAt(end), Kind.SEPARATOR));
            i = end + 1;
        }
    }

    /** The index of the next unescaped ',' or '+' at or after {@code from}, or the length. */
    private static int nextSeparator(String name, int from) {
        for (int i = from; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c == '\\') {
                i++;
            } else if (c == ',' || c == '+') {
                return i;
            }
        }
        return name.length();
    }

    /** A value's characters, escapes resolved (hex pairs as UTF-8); leading and trailing unescaped spaces dropped. */
    private static void value(String raw, boolean pattern, List<Unit> units) {
        int start = 0;
        int end = raw.length();
        while (start < end && raw.charAt(start) == ' ') {
            start++;
        }
        while (end > start && raw.charAt(end - 1) == ' ' && !escaped(raw, end - 1)) {
            end--;
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        for (int i = start; i < end; i++) {
            char c = raw.charAt(i);
            if (c == '\\') {
                if (i + 1 >= end) {
                    throw new IllegalArgumentException("ends with a lone '\\'");
                }
                char next = raw.charAt(i + 1);
                if (isHex(next) && i + 2 < end && isHex(raw.charAt(i + 2))) {
                    bytes.write(Integer.parseInt(raw.substring(i + 1, i + 3), 16));
                    i += 2;
                    continue;
                }
                flush(bytes, units);
                units.add(new Unit(next, Kind.TEXT));
                i++;
            } else {
                flush(bytes, units);
                units.add(pattern && c == '*' ? new Unit('*', Kind.WILDCARD) : new Unit(c, Kind.TEXT));
            }
        }
        flush(bytes, units);
    }

    private static boolean escaped(String raw, int index) {
        int backslashes = 0;
        for (int i = index - 1; i >= 0 && raw.charAt(i) == '\\'; i--) {
            backslashes++;
        }
        return backslashes % 2 == 1;
    }

    private static void flush(ByteArrayOutputStream bytes, List<Unit> units) {
        if (bytes.size() > 0) {
            for (char c : bytes.toString(StandardCharsets.UTF_8).toCharArray()) {
                units.add(new Unit(c, Kind.TEXT));
            }
            bytes.reset();
        }
    }

    private static boolean isHex(char c) {
        return Character.digit(c, 16) >= 0;
    }

    /**
     * A list of patterns as {@code etc/io.ferry.daemon.cfg} holds it: one pattern as it is ({@code CN=admin,O=Ferry}),
     * or several, each in double quotes, separated by commas ({@code "CN=admin,O=Ferry", "CN=ops-*,O=Ferry"}; in a
     * quoted pattern {@code \"} is a quote and {@code \\} a backslash), as libvirt's lists are written.
     */
    public static List<SubjectPattern> parseList(String text) {
        String trimmed = text.strip();
        if (!trimmed.startsWith("\"")) {
            if (trimmed.contains("\"")) {
                throw new IllegalArgumentException("mixes quoted and unquoted patterns: put each pattern in double quotes");
            }
            return List.of(checked(trimmed));
        }
        List<SubjectPattern> patterns = new ArrayList<>();
        int i = 0;
        while (i < trimmed.length()) {
            if (trimmed.charAt(i) != '"') {
                throw new IllegalArgumentException("has text outside the quotes at character " + (i + 1)
                        + ": separate quoted patterns with commas");
            }
            StringBuilder pattern = new StringBuilder();
            int j = i + 1;
            for (; j < trimmed.length() && trimmed.charAt(j) != '"'; j++) {
                char c = trimmed.charAt(j);
                if (c == '\\' && j + 1 < trimmed.length() && (trimmed.charAt(j + 1) == '"' || trimmed.charAt(j + 1) == '\\')) {
                    c = trimmed.charAt(++j);
                }
                pattern.append(c);
            }
            if (j >= trimmed.length()) {
                throw new IllegalArgumentException("has a quote that is never closed");
            }
            patterns.add(checked(pattern.toString()));
            i = j + 1;
            while (i < trimmed.length() && trimmed.charAt(i) == ' ') {
                i++;
            }
            if (i < trimmed.length()) {
                if (trimmed.charAt(i) != ',') {
                    throw new IllegalArgumentException("has text outside the quotes at character " + (i + 1)
                            + ": separate quoted patterns with commas");
                }
                i++;
                while (i < trimmed.length() && trimmed.charAt(i) == ' ') {
                    i++;
                }
            }
        }
        return List.copyOf(patterns);
    }

    /** Patterns as one text {@link #parseList} reads back: each quoted, comma-separated (repeated flags). */
    public static String joinQuoted(List<String> patterns) {
        List<String> quoted = new ArrayList<>();
        for (String pattern : patterns) {
            quoted.add('"' + pattern.replace("\\", "\\\\").replace("\"", "\\\"") + '"');
        }
        return String.join(", ", quoted);
    }

    private static SubjectPattern checked(String pattern) {
        try {
            return parse(pattern);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("holds a subject pattern '" + pattern + "' that " + e.getMessage());
        }
    }
}
