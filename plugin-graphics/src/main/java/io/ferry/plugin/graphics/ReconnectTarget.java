package io.ferry.plugin.graphics;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Checks what a destination names as where the source's graphics clients reconnect. The source's graphics servers
 * pass it on to every connected client (the embedded hypervisor's clients read one line per command, QEMU's SPICE
 * clients resolve the name and connect), so only a host name, an IP address and TCP ports go through.
 */
final class ReconnectTarget {
    private static final String LABEL = "[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?";
    private static final Pattern HOST_NAME = Pattern.compile("(?=.{1,253}$)" + LABEL + "(?:\\." + LABEL + ")*\\.?");
    private static final Pattern IPV4_SHAPE = Pattern.compile("[0-9.]+");
    private static final Pattern IPV4 = Pattern.compile("(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})");
    /** Hex digits, colons and dots only: InetAddress parses such text as a literal and never asks DNS. */
    private static final Pattern IPV6 = Pattern.compile("\\[?([0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*)]?");
    private static final int MAX_PORT = 65535;

    private ReconnectTarget() {
    }

    /** Why {@code relocation} cannot be passed on to clients, or empty if it can. */
    static Optional<String> refusal(GraphicsRelocation relocation) {
        String listen = relocation.listen().trim();
        if (!isWildcard(listen) && !isHost(listen)) {
            return Optional.of("destination graphics listen on " + printable(relocation.listen())
                    + ", which is no host name or IP address: clients are not relocated");
        }
        if (relocation.port() < 1 || relocation.port() > MAX_PORT) {
            return Optional.of("destination graphics port " + relocation.port() + " is no TCP port: clients are not relocated");
        }
        if (relocation.tlsPort() != null && relocation.tlsPort() > MAX_PORT) { // 0 or less: no TLS port, as libvirt's -1
            return Optional.of("destination graphics TLS port " + relocation.tlsPort() + " is no TCP port: clients are not relocated");
        }
        return Optional.empty();
    }

    /**
     * Whether {@code listen} names no host a client could reach, in any spelling (libvirt's virSocketAddrIsWildcard):
     * the peer's hostname stands for it.
     */
    static boolean isWildcard(String listen) {
        String text = listen.trim();
        if (text.isEmpty()) {
            return true;
        }
        if (IPV4_SHAPE.matcher(text).matches()) {
            return isIpv4(text) && text.chars().allMatch(c -> c == '0' || c == '.');
        }
        var ipv6 = IPV6.matcher(text);
        return ipv6.matches() && text.startsWith("[") == text.endsWith("]")
                && ipv6Literal(ipv6.group(1)).map(InetAddress::isAnyLocalAddress).orElse(false);
    }

    /** Whether {@code text} is a host name or an IP address, and nothing else. */
    static boolean isHost(String text) {
        if (IPV4_SHAPE.matcher(text).matches()) {
            return isIpv4(text);
        }
        var ipv6 = IPV6.matcher(text);
        if (ipv6.matches()) {
            return text.startsWith("[") == text.endsWith("]") && ipv6Literal(ipv6.group(1)).isPresent();
        }
        return HOST_NAME.matcher(text).matches();
    }

    private static boolean isIpv4(String text) {
        var parts = IPV4.matcher(text);
        if (!parts.matches()) {
            return false;
        }
        for (int i = 1; i <= 4; i++) {
            if (Integer.parseInt(parts.group(i)) > 255) {
                return false;
            }
        }
        return true;
    }

    /** The address {@code text} spells (an IPv4-mapped one as IPv4), or empty if it spells none. */
    private static Optional<InetAddress> ipv6Literal(String text) {
        try {
            return Optional.of(InetAddress.getByName(text)); // a literal: no lookup (see IPV6)
        } catch (UnknownHostException e) {
            return Optional.empty();
        }
    }

    /** The peer's text for a log line: quoted, control characters escaped, cut short. */
    static String printable(String text) {
        StringBuilder out = new StringBuilder("'");
        text.codePoints().limit(100).forEach(c -> {
            if (Character.isISOControl(c)) {
                out.append(String.format("\\x%02x", c));
            } else {
                out.appendCodePoint(c);
            }
        });
        return out.append(text.codePointCount(0, text.length()) > 100 ? "'..." : "'").toString();
    }
}
