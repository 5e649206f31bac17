package io.ferry.core.control;

import static org.junit.Assert.assertTrue;

import io.ferry.core.HostAddresses;
import io.ferry.protocol.Operation;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import org.junit.Test;

/**
 * A call knows the address of this host its connection reached: a daemon listening on a wildcard address names its
 * data port by the one its Prepare's caller reached ({@code WildcardDataAddressTest}).
 */
public class CallReachedTest {
    @Test
    public void aCallOnAWildcardListenKnowsTheAddressItsConnectionReached() throws Exception {
        RouteTable routes = new RouteTable();
        routes.add(Route.of(Operation.VERSION, Route.Access.ANY,
                call -> Reply.xml("<reached address='" + call.reached().getHostAddress() + "'/>")));
        ChannelServer server = new ChannelServer(new InetSocketAddress("0.0.0.0", 0), null,
                new ChannelHandler(routes, new Callers(List.of(), List.of(), null), (id, key) -> true));
        server.start();
        try {
            for (InetAddress address : List.of(HostAddresses.notLoopback(Inet4Address.class),
                    InetAddress.getLoopbackAddress())) {
                String reply = RawHttp.exchange(new InetSocketAddress(address, server.address().getPort()),
                        RawHttp.VERSION.replace("\r\n\r\n", "\r\nConnection: close\r\n\r\n"), false);

                assertTrue(reply, reply.contains("<reached address='" + address.getHostAddress() + "'/>"));
            }
        } finally {
            server.stop();
        }
    }
}
