package io.ferry.core.migration;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.api.cookie.Mandatory;
import io.ferry.api.cookie.Phase;
import io.ferry.api.snapshot.SnapshotStore.Snapshot;
import io.ferry.core.cookie.TestSections;
import io.ferry.plugin.snapshots.SnapshotsSection;
import io.ferry.protocol.ChannelException;
import io.ferry.protocol.Messages;
import io.ferry.protocol.Messages.Begun;
import io.ferry.protocol.Messages.Finished;
import io.ferry.protocol.Peer;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.List;
import org.junit.Before;
import org.junit.Test;

/**
 * A client-managed migration's Prepare names its source daemon to the destination, which fetches the side streams
 * (the snapshots' bodies) from it. Prepare names it as the command line does (the operator's name, which the
 * destination may reach too and the certificate names), unless that reaches it from the command line's host alone
 * ({@code -c ferry+tls://localhost:16570}) or is the destination's own address: the destination fetched from nowhere
 * or from itself, and every migration of a domain with snapshots was refused at Prepare. Then it names the address the
 * source daemon gave in its Begin, as peer to peer.
 */
public class SourceAddressTest {
    private static final String VM = "vm1";
    private static final List<Snapshot> SNAPSHOTS = List.of(new Snapshot("s1", null,
            "<domainsnapshot><name>s1</name></domainsnapshot>"));

    private TwoDaemons d;
    private String digest;

    @Before
    public void bootedWithASnapshot() throws Exception {
        d = new TwoDaemons();
        for (TestHost host : new TestHost[] {d.source, d.destination}) {
            host.extraSections.add(TestSections.handle(new SnapshotsSection(host.snapshots), "snapshots", "snapshots",
                    Mandatory.WHEN_BAKED, List.of(Phase.BEGIN), List.of(Phase.PREPARE)));
        }
        digest = d.source.boot(VM);
        d.source.snapshots.domains.put(TestHost.uuid(VM), SNAPSHOTS);
    }

    /** Prepare naming the driver's address: "cannot fetch the snapshots stream of migration ...: cannot connect to". */
    @Test
    public void aSourceTheDriverReachesAtLocalhostSendsItsSnapshots() throws Exception {
        Finished arrived = migrateFrom(d.network.peer(d.source.uri).seenAs("test://localhost"));

        assertArrivedWithItsSnapshots(arrived);
    }

    /** The driver names the source by the destination's address. Prepare naming it: "offers no snapshots stream". */
    @Test
    public void aSourceTheDriverNamesByAnAddressThatIsTheDestinationsSendsItsSnapshots() throws Exception {
        Finished arrived = migrateFrom(d.network.peer(d.source.uri).seenAs(d.destination.uri));

        assertArrivedWithItsSnapshots(arrived);
    }

    /**
     * The source daemon names itself by a name the destination does not resolve (a wildcard listen's short host name,
     * a container id), the driver by one it reaches: the driver's. Prepare naming Begin's: "cannot connect to".
     */
    @Test
    public void aSourceWhoseDaemonNamesItselfByANameTheDestinationCannotReachIsNamedAsTheDriverNamesIt()
            throws Exception {
        Finished arrived = migrateFrom(namingItself(d.peer(d.source), "test://3f2a9c0b71de"));

        assertArrivedWithItsSnapshots(arrived);
    }

    /** A source daemon of an earlier build names no address in its Begin: Prepare names the driver's, as before. */
    @Test
    public void aSourceOfAnEarlierBuildIsNamedAsTheDriverNamesIt() throws Exception {
        Finished arrived = migrateFrom(namingItself(d.peer(d.source), null));

        assertArrivedWithItsSnapshots(arrived);
    }

    /** ... and when the destination cannot reach it there, its refusal names that address. */
    @Test
    public void aSourceOfAnEarlierBuildTheDestinationCannotReachAsTheDriverNamesItIsRefusedNamingThatAddress()
            throws Exception {
        ChannelException refused = assertThrows(ChannelException.class,
                () -> migrateFrom(namingItself(d.network.peer(d.source.uri).seenAs("test://localhost"), null)));

        assertTrue(refused.getMessage(),
                refused.getMessage().contains("cannot fetch the snapshots stream of migration "));
        assertTrue(refused.getMessage(), refused.getMessage().contains(" from test://localhost: cannot connect to"));
        d.source.assertRuns(VM, digest);
        d.destination.assertGone(VM);
    }

    private Finished migrateFrom(Peer source) throws ChannelException {
        return d.driver().run(source, d.peer(d.destination),
                new Messages.Migrate(VM, d.destination.uri, TwoDaemons.LIVE, null, null, 0));
    }

    /** {@code peer} as a daemon whose Begin names it {@code own} answers (null: a build before Begin named it). */
    private static Peer namingItself(Peer peer, String own) {
        Class<?>[] peerClass = {Peer.class};
        return (Peer) Proxy.newProxyInstance(Peer.class.getClassLoader(), peerClass, (p, method, args) -> {
            Object answer;
            try {
                answer = method.invoke(peer, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
            return answer instanceof Begun b ? b.withSourceUri(own) : answer;
        });
    }

    private void assertArrivedWithItsSnapshots(Finished arrived) throws Exception {
        d.destination.assertRuns(VM, digest);
        d.source.assertGone(VM);
        assertEquals(SNAPSHOTS, d.destination.snapshots.list(TestHost.uuid(VM)));
        assertEquals("the source as its daemon named itself", d.source.uri,
                d.destination.journal.find(arrived.id()).orElseThrow().peer());
    }
}
