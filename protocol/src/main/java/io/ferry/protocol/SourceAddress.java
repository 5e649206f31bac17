package io.ferry.protocol;

import io.ferry.protocol.Messages.Begun;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Where Prepare tells the destination its source daemon is: the destination fetches the side streams (the snapshots'
 * bodies) there. The driver's own URI for the source is the operator's ({@code -c ferry+tls://localhost:16570}, a name
 * only the operator's resolver knows), which the destination took for itself or could not reach; the source daemon's
 * Begin names its own control URL, the one a peer-to-peer destination calls it back at.
 */
final class SourceAddress {
    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");

    private SourceAddress() {
    }

    /**
     * The source daemon's own URL as its Begin named it; the driver's URI for it when it named none (a daemon of an
     * earlier build), or when it names only its own host (a loopback address: it listens there, or on a wildcard
     * address with no host name it could find) while the driver reached it at another address.
     */
    static String forPrepare(Peer source, Begun begun) {
        String own = begun.sourceUri();
        if (own == null || own.isEmpty() || loopback(own) && !loopback(source.uri())) {
            return source.uri();
        }
        return own;
    }

    /** Whether {@code uri} names a loopback host: localhost or a loopback address, told without asking a resolver. */
    static boolean loopback(String uri) {
        String host;
        try {
            host = uri == null ? null : new URI(uri).getHost();
        } catch (Exception e) {
            return false;
        }
        if (host == null) {
            return false;
        }
        host = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        if (host.toLowerCase(Locale.ROOT).equals("localhost")) {
            return true;
        }
        if (!IPV4.matcher(host).matches() && !host.contains(":")) {
            return false; // a name: the destination's resolver says where it leads
        }
        try {
            return InetAddress.getByName(host).isLoopbackAddress(); // a literal: parsed, never looked up
        } catch (UnknownHostException e) {
            return false;
        }
    }
}
