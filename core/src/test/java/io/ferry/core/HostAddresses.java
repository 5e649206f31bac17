package io.ferry.core;

import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.util.Comparator;
import java.util.List;

/** This host's own addresses, for tests of a daemon listening on a wildcard address. */
public final class HostAddresses {
    private HostAddresses() {
    }

    /**
     * An address of this host that is not loopback (nor link-local, which needs its interface named): of {@code kind}
     * if it has one, else any. None fails the test: what it shows needs one.
     */
    public static InetAddress notLoopback(Class<? extends InetAddress> kind) throws SocketException {
        List<InetAddress> addresses = NetworkInterface.networkInterfaces().filter(HostAddresses::up)
                .flatMap(NetworkInterface::inetAddresses)
                .filter(a -> !a.isLoopbackAddress() && !a.isLinkLocalAddress() && !a.isAnyLocalAddress())
                .sorted(Comparator.comparing(a -> !kind.isInstance(a))).toList();
        if (addresses.isEmpty()) {
            throw new AssertionError("this host has no address but loopback and link-local ones: the test needs one");
        }
        return addresses.get(0);
    }

    private static boolean up(NetworkInterface network) {
        try {
            return network.isUp() && !network.isLoopback();
        } catch (SocketException e) {
            return false;
        }
    }
}
