package io.ferry.core.migration;

import io.ferry.protocol.Xml;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The address an arriving migration's memory comes to (the core's data port, or the VM's own listener): the control
 * channel's listen address, or, on a wildcard one, the address of this host the Prepare's caller reached (the source
 * daemon with {@code --p2p}, else the command line), where the source reaches it too as a rule. The host name's first
 * address is no such one: 127.0.1.1 on Debian's {@code /etc/hosts}, an IPv4 one on an IPv6-only host. A caller that
 * reached loopback tells nothing of where the source reaches this host: only a source on this host is given loopback.
 */
final class DataAddress {
    private static final Logger LOG = LoggerFactory.getLogger(DataAddress.class);

    private DataAddress() {
    }

    /** @param reached the address the caller's connection reached; null: a caller without one (on this host) */
    static InetAddress forArrival(String id, InetSocketAddress listen, InetAddress reached, String sourceUri)
            throws MigrationException {
        if (!listen.getAddress().isAnyLocalAddress()) {
            return listen.getAddress();
        }
        InetAddress caller = reached == null ? InetAddress.getLoopbackAddress() : reached;
        if (!caller.isLoopbackAddress() || onThisHost(sourceUri)) {
            LOG.info("migration {}: its memory comes to {}, where its caller reached this daemon (listening on every"
                    + " address)", id, caller.getHostAddress());
            return caller;
        }
        String wildcard = listen.getAddress().getHostAddress();
        String source = sourceUri == null ? "(not named)" : Xml.quote(sourceUri);
        throw new MigrationException("migration " + id + " refused: this daemon listens on every address (--listen "
                + (wildcard.contains(":") ? "[" + wildcard + "]" : wildcard) + ":" + listen.getPort() + ") and its"
                + " caller reached it at " + caller.getHostAddress() + ", where source " + source + ", on another host,"
                + " cannot send the memory: call the destination at an address the source reaches too, or give ferryd"
                + " --listen that address");
    }

    /** Whether {@code sourceUri}'s host is this one: a loopback name or address, or an address of its interfaces. */
    private static boolean onThisHost(String sourceUri) {
        try {
            String host = sourceUri == null ? null : new URI(sourceUri).getHost();
            if (host == null) {
                return false;
            }
            host = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
            for (InetAddress address : InetAddress.getAllByName(host)) {
                if (address.isLoopbackAddress() || address.isAnyLocalAddress()
                        || NetworkInterface.getByInetAddress(address) != null) {
                    return true;
                }
            }
            return false;
        } catch (URISyntaxException | UnknownHostException | SocketException e) {
            return false;
        }
    }
}
