package io.ferry.core.migration;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.core.HostAddresses;
import io.ferry.protocol.ChannelException;
import io.ferry.protocol.Messages.Finished;
import io.ferry.protocol.Messages.Prepare;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import org.junit.Test;

/**
 * A destination daemon listening on a wildcard address ({@code --listen 0.0.0.0:16570}, {@code [::]:16570}) names its
 * data port by the address of this host its Prepare's caller reached: it handed out its host name's first address,
 * 127.0.1.1 on Debian (127.0.0.1 here), and every source elsewhere connected to its own loopback. A caller that reached
 * it on loopback, for a source elsewhere, is refused; a source on this host gets loopback.
 */
public class WildcardDataAddressTest {
    private static final String VM = "vm1";

    @Test
    public void aDestinationListeningOnEveryIpv4AddressNamesTheOneItsCallerReached() throws Exception {
        assertArrivesThroughTheAddressReached("0.0.0.0:0", false, HostAddresses.notLoopback(Inet4Address.class));
    }

    @Test
    public void aDestinationListeningOnEveryAddressNamesTheOneItsCallerReached() throws Exception {
        assertArrivesThroughTheAddressReached("[::]:0", false, HostAddresses.notLoopback(Inet6Address.class));
    }

    /** QEMU's own listener (no TLS control channel) listens at the address the caller reached too. */
    @Test
    public void theVmsOwnListenerListensWhereTheCallerReachedTheDestination() throws Exception {
        assertArrivesThroughTheAddressReached("0.0.0.0:0", true, HostAddresses.notLoopback(Inet4Address.class));
    }

    /** An operator on the destination's host calling it at 127.0.0.1 for a source elsewhere: loopback would not do. */
    @Test
    public void aCallerThatReachedItOnLoopbackForASourceElsewhereIsRefusedNamingListen() throws Exception {
        TwoDaemons d = destinationListeningOn("0.0.0.0:0", false);
        String digest = d.source.boot(VM);
        TwoDaemons.ByHand run = d.byHand(VM);

        ChannelException refused = assertThrows(ChannelException.class,
                () -> prepare(d, run, InetAddress.getLoopbackAddress(), "ferry+tls://192.0.2.250:16570"));

        assertEquals("migration " + run.begun.id() + " refused: this daemon listens on every address (--listen"
                + " 0.0.0.0:0) and its caller reached it at 127.0.0.1, where source 'ferry+tls://192.0.2.250:16570', on"
                + " another host, cannot send the memory: call the destination at an address the source reaches too, or"
                + " give ferryd --listen that address", refused.getMessage());
        assertTrue("a definite answer", refused.refused());
        d.destination.assertGone(VM);
        run.confirm(true, null);
        d.source.assertRuns(VM, digest);
    }

    /** Daemons on one host (a test's, a developer's): a source named by a loopback address gets loopback. */
    @Test
    public void aSourceOnThisHostIsGivenLoopbackWhereTheCallerReachedItThere() throws Exception {
        TwoDaemons d = destinationListeningOn("0.0.0.0:0", false);
        String digest = d.source.boot(VM);
        TwoDaemons.ByHand run = d.byHand(VM);

        String dataUri = prepare(d, run, InetAddress.getLoopbackAddress(), "test://localhost").prepared.dataUri();

        assertTrue(dataUri, dataUri.matches("tcp:127\\.0\\.0\\.1:[0-9]+"));
        completes(d, run, digest);
    }

    private static void assertArrivesThroughTheAddressReached(String listen, boolean direct, InetAddress reached)
            throws Exception {
        TwoDaemons d = destinationListeningOn(listen, direct);
        String digest = d.source.boot(VM);
        TwoDaemons.ByHand run = d.byHand(VM);
        Object sending = d.source.vm(VM);

        String dataUri = prepare(d, run, reached, d.source.uri).prepared.dataUri();

        assertTrue("the data URI names " + reached.getHostAddress() + ": " + dataUri,
                dataUri.startsWith("tcp:" + reached.getHostAddress() + ":"));
        completes(d, run, digest);
        if (direct) {
            assertEquals("send " + dataUri, ((FakeDirectVm) sending).events.get(0));
        }
    }

    private static TwoDaemons destinationListeningOn(String listen, boolean direct) throws Exception {
        TwoDaemons d = new TwoDaemons();
        d.source.hypervisor.direct = direct;
        d.destination.hypervisor.direct = direct;
        d.destination.listen = listen;
        d.destination.restart();
        return d;
    }

    private static TwoDaemons.ByHand prepare(TwoDaemons d, TwoDaemons.ByHand run, InetAddress reached, String sourceUri)
            throws ChannelException {
        Prepare prepare = new Prepare(run.begun.id(), run.begun.key(), run.flags, run.begun.domainXml(),
                run.begun.cookie(), run.begun.sections(), sourceUri);
        run.prepared = d.network.peer(d.destination.uri).reachingIt(reached).prepare(prepare);
        return run;
    }

    private static void completes(TwoDaemons d, TwoDaemons.ByHand run, String digest) throws Exception {
        run.perform();
        Finished finished = run.finish();
        run.confirm(false, finished.cookie());
        d.destination.assertRuns(VM, digest);
        d.source.assertGone(VM);
    }
}
