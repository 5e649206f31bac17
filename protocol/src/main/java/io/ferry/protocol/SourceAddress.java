package io.ferry.protocol;

import io.ferry.protocol.Messages.Begun;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Where Prepare tells the destination its source daemon is: the destination fetches the side streams (the snapshots'
 * bodies) there. The driver's own URI for the source is the operator's: an FQDN or address the destination may reach
 * too, and the one a TLS certificate names, where the source daemon's own control URL (its Begin names it, the one a
 * peer-to-peer destination calls it back at) is on a wildcard listen its host name, often a short name or a container
 * id the destination does not resolve and the certificate does not name. The driver's URI fails only when it reaches
 * the source from the driver's host alone ({@code -c ferry+tls://localhost:16570}) or is the destination's own address.
 */
final class SourceAddress {
    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");

    private SourceAddress() {
    }

    /**
     * The driver's URI for the source, unless it is a loopback one or names the destination: then the source daemon's
     * own URL as its Begin named it, if it named one (a daemon of an earlier build names none) that is not loopback
     * while the driver's is not (it listens there, or on a wildcard address with no host name it could find).
     */
    static String forPrepare(Peer source, Peer destination, Begun begun) {
        String driver = source.uri();
        if (!loopback(driver) && !sameAddress(driver, destination.uri())) {
            return driver;
        }
        String own = begun.sourceUri();
        if (own == null || own.isEmpty() || loopback(own) && !loopback(driver)) {
            return driver;
        }
        return own;
    }

    /** Whether the two URIs name the same host (case aside) and port, as given: no resolver is asked. */
    static boolean sameAddress(String a, String b) {
        URI one = parse(a);
        URI other = parse(b);
        return one != null && other != null && one.getHost() != null
                && one.getHost().equalsIgnoreCase(other.getHost()) && one.getPort() == other.getPort();
    }

    /**
     * Whether {@code uri} names a loopback host: {@code localhost}, a name under it ({@code *.localhost}, RFC 6761),
     * {@code localhost.localdomain}, a loopback address (127/8, ::1) or the wildcard (0.0.0.0, ::, which reach this
     * host alone too), told without asking a resolver.
     */
    static boolean loopback(String uri) {
        URI parsed = parse(uri);
        String host = parsed == null ? null : parsed.getHost();
        if (host == null) {
            return false;
        }
        host = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        String name = host.toLowerCase(Locale.ROOT);
        name = name.endsWith(".") ? name.substring(0, name.length() - 1) : name;
        if (name.equals("localhost") || name.endsWith(".localhost") || name.equals("localhost.localdomain")) {
            return true;
        }
        if (!IPV4.matcher(host).matches() && !host.contains(":")) {
            return false; // a name: the destination's resolver says where it leads
        }
        try {
            // a literal: parsed, never looked up; the wildcard (0.0.0.0, ::) reaches this host's own daemon too
            InetAddress address = InetAddress.getByName(host);
            return address.isLoopbackAddress() || address.isAnyLocalAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    private static URI parse(String uri) {
        try {
            return uri == null ? null : new URI(uri);
        } catch (URISyntaxException e) {
            return null;
        }
    }
}
