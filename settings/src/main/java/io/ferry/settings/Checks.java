package io.ferry.settings;

import java.net.InetSocketAddress;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.regex.Pattern;

/** The checks of {@link FerrydSettings}: each turns a setting's text into its value or says what is wrong with it. */
public final class Checks {
    public static final Setting.Check<String> TEXT = text -> text;
    public static final Setting.Check<Path> PATH = Checks::path;
    public static final Setting.Check<InetSocketAddress> LISTEN = Checks::listen;
    public static final Setting.Check<UUID> UUID = Checks::uuid;
    public static final Setting.Check<Boolean> BOOLEAN = Checks::bool;
    /** The migration protocol versions Ferry speaks. */
    public static final Set<Integer> PROTOCOL_VERSIONS = Set.of(2, 3);
    public static final Setting.Check<Set<Integer>> PROTOCOLS = Checks::protocols;
    /**
     * Certificate subject patterns ({@link SubjectPattern#parseList}); a flag of such a setting may be repeated, each
     * giving one pattern.
     */
    public static final Setting.Check<List<SubjectPattern>> SUBJECT_PATTERNS = SubjectPattern::parseList;
    /** Absolute paths separated by commas; a flag of such a setting may be repeated, each giving one path. */
    public static final Setting.Check<List<Path>> ABSOLUTE_PATHS = Checks::absolutePaths;
    private static final Pattern CANONICAL_UUID = Pattern.compile("\\p{XDigit}{8}-\\p{XDigit}{4}-\\p{XDigit}{4}-\\p{XDigit}{4}-\\p{XDigit}{12}");

    private Checks() {
    }

    /** A whole number of seconds, at least {@code minimum}. */
    public static Setting.Check<Duration> seconds(int minimum) {
        return seconds(minimum, Integer.MAX_VALUE);
    }

    /** A whole number of seconds from {@code minimum} to {@code maximum}. */
    public static Setting.Check<Duration> seconds(int minimum, int maximum) {
        return text -> Duration.ofSeconds(whole(text, minimum, maximum, "seconds"));
    }

    /** A whole number, at least {@code minimum}. */
    public static Setting.Check<Integer> atLeast(int minimum) {
        return text -> whole(text, minimum, Integer.MAX_VALUE, null);
    }

    public static Setting.Check<String> oneOf(String... choices) {
        List<String> allowed = List.of(choices);
        return text -> {
            if (!allowed.contains(text)) {
                throw new IllegalArgumentException("is not one of " + String.join(", ", allowed));
            }
            return text;
        };
    }

    private static int whole(String text, int minimum, int maximum, String unit) {
        try {
            int value = Integer.parseInt(text);
            if (value >= minimum && value <= maximum) {
                return value;
            }
        } catch (NumberFormatException e) {
            // said below
        }
        throw new IllegalArgumentException("is not a whole number" + (unit == null ? "" : " of " + unit) + " from " + minimum
                + " to " + maximum);
    }

    private static Path path(String text) {
        try {
            return Path.of(text);
        } catch (InvalidPathException e) {
            throw new IllegalArgumentException("is not a path: " + e.getReason());
        }
    }

    private static List<Path> absolutePaths(String text) {
        List<Path> paths = new ArrayList<>();
        for (String item : text.split(",")) {
            if (item.isBlank()) {
                continue;
            }
            Path path = path(item.trim());
            if (!path.isAbsolute()) {
                throw new IllegalArgumentException("holds '" + item.trim() + "', which is not an absolute path");
            }
            paths.add(path.normalize());
        }
        return List.copyOf(paths);
    }

    /** HOST:PORT, {@code [v6]:PORT} for IPv6; the host must resolve. */
    private static InetSocketAddress listen(String text) {
        int colon = text.lastIndexOf(':');
        if (colon <= 0 || colon == text.length() - 1) {
            throw new IllegalArgumentException("is not HOST:PORT");
        }
        String host = text.substring(0, colon).replace("[", "").replace("]", "");
        int port;
        try {
            port = Integer.parseInt(text.substring(colon + 1));
        } catch (NumberFormatException e) {
            port = -1;
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("has no valid port (0 to 65535)");
        }
        InetSocketAddress address = new InetSocketAddress(host, port);
        if (address.isUnresolved()) {
            throw new IllegalArgumentException("names a host that does not resolve");
        }
        return address;
    }

    /** The canonical 36-character form only, as libvirt's host_uuid. */
    private static UUID uuid(String text) {
        if (!CANONICAL_UUID.matcher(text).matches()) {
            throw new IllegalArgumentException("is not a UUID");
        }
        return java.util.UUID.fromString(text);
    }

    private static Boolean bool(String text) {
        return switch (text) {
            case "true" -> Boolean.TRUE;
            case "false" -> Boolean.FALSE;
            default -> throw new IllegalArgumentException("is not true or false");
        };
    }

    /** A comma-separated list of the versions this daemon speaks, each one Ferry knows. */
    private static Set<Integer> protocols(String text) {
        Set<Integer> versions = new TreeSet<>();
        for (String item : text.split(",", -1)) {
            try {
                versions.add(Integer.parseInt(item.trim()));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("is not a comma-separated list of migration protocol versions (2,3)");
            }
        }
        for (int version : versions) {
            if (!PROTOCOL_VERSIONS.contains(version)) {
                throw new IllegalArgumentException("names migration protocol " + version + ", but Ferry speaks only 2 and 3");
            }
        }
        return Set.copyOf(versions);
    }
}
