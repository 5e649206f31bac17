package io.ferry.core.control;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import io.ferry.protocol.ChannelException;
import io.ferry.protocol.ControlClient;
import io.ferry.protocol.DaemonClient;
import io.ferry.protocol.HttpPeer;
import io.ferry.protocol.Messages;
import io.ferry.protocol.Messages.MigrationKey;
import io.ferry.protocol.Operation;
import io.ferry.protocol.Peer;
import io.ferry.protocol.xml.HardenedXmlParser;
import io.ferry.settings.SubjectPattern;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLContext;
import org.junit.After;
import org.junit.Before;
import org.junit.ClassRule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * Each call of a peer holds one of the channel's workers while it runs (a settle waiting for a domain's job, a Finish
 * waiting for the memory, a tunnelled stream). One peer, compromised or looping, must not hold them all: operators
 * could not abort a job, and other peers' migrations could not settle, their sources keeping their guests paused. Yet
 * an honest source's migrations, each streaming its memory here for its whole Perform, must have their other calls
 * served (issue 11: sixteen at once).
 */
public class PeerCallLimitTest {
    @ClassRule
    public static final TemporaryFolder TEMP = new TemporaryFolder();
    private static final int MIGRATIONS = 16;

    private final Semaphore entered = new Semaphore(0);
    private final CountDownLatch release = new CountDownLatch(1);
    private final List<CompletableFuture<Object>> held = new ArrayList<>();
    private TestPki pki;
    private SSLContext tls;
    private ChannelServer server;
    private String url;

    /** A TLS channel whose settles and tunnels of migrations named held-* wait in their handler until released. */
    @Before
    public void start() throws Exception {
        pki = new TestPki(TEMP.newFolder().toPath(), UUID.randomUUID().toString());
        // the daemon's certificate serves as the operator's too: every certificate costs seconds of keytool
        tls = pki.files(pki.issue("daemon", "ip:127.0.0.1")).load();
        HardenedXmlParser parser = new HardenedXmlParser(64 * 1024, 16);
        RouteTable routes = new RouteTable();
        routes.add(Route.of(Operation.SETTLE, Route.Access.PARTY, call -> {
            String id = MigrationKey.fromXml(call.xml(parser, "migration message")).id();
            holdIfHeld(id); // a settle waiting for its domain's job, a Finish waiting for the memory
            return Reply.xml(new Messages.Fate(id, Messages.Outcome.UNKNOWN).toXml());
        }).body(64 * 1024, "migration message").party(call -> MigrationKey.fromXml(call.xml(parser, "migration message"))));
        routes.add(Route.of(Operation.TUNNEL, Route.Access.PARTY, call -> {
            holdIfHeld(call.parameter(0)); // a migration's memory arriving
            // read to its end, as the daemon's tunnel reads it: a reply before the body's last chunk arrived leaves
            // Jetty to close the connection after it, and the client's next stream could take that connection from its
            // pool before the close reached it ("Unexpected end of file from server", seen with the host busy)
            call.stream().readAllBytes();
            return Reply.xml("<received/>\n");
        }).party(call -> new MigrationKey(call.parameter(0), call.header(HttpPeer.KEY_HEADER))).streamed());
        routes.add(Route.of(Operation.VERSION, Route.Access.ANY, call -> Reply.xml("<version ferry='1' protocols='3'/>")));
        Callers callers = new Callers(List.of(SubjectPattern.parse("CN=daemon")), List.of(SubjectPattern.parse("CN=host-*")), null);
        server = new ChannelServer(new InetSocketAddress("127.0.0.1", 0), tls, new ChannelHandler(routes, callers, (id, key) -> true));
        server.start();
        url = ChannelTls.url(server.address(), tls);
    }

    private void holdIfHeld(String id) throws InterruptedException {
        if (id.startsWith("held")) {
            entered.release();
            release.await();
        }
    }

    @After
    public void stop() {
        release.countDown();
        server.stop();
        for (CompletableFuture<Object> call : held) {
            call.exceptionally(e -> null).join();
        }
    }

    @Test(timeout = 120_000)
    public void aPeerAndAllPeersTogetherHoldAtMostTheirShareOfTheWorkersAndOperatorsAreServed() throws Exception {
        HttpPeer hostB = peer("host-b");
        hold(PeerCalls.PER_PEER, i -> hostB.settle("held-b" + i, "k"));
        assertEquals("the refusal of host-b's next call", "certificate subject 'CN=host-b' has " + PeerCalls.PER_PEER
                + " calls under way here, the most one peer may have at once: try again once one has ended",
                refusal(() -> hostB.settle("held-one-more", "k")));
        HttpPeer hostC = peer("host-c");
        hostC.settle("free", "k");
        hold(PeerCalls.ALL_PEERS - PeerCalls.PER_PEER, i -> hostC.settle("held-c" + i, "k"));
        assertEquals("the refusal of host-c's next call", "the peers of this daemon have " + PeerCalls.ALL_PEERS
                + " calls under way here, the most they may have at once: try again once one has ended",
                refusal(() -> hostC.settle("held-one-more", "k")));
        assertEquals(List.of(3), new DaemonClient(new ControlClient(url, tls)).version().protocols());
    }

    /**
     * Two sources, each with sixteen tunnelled migrations here: each migration's memory streams for its whole Perform,
     * and beside it comes a call of the same migration (its keepalive, its Finish). The streams used to count among
     * the peer's calls, so its 25th call was refused and that migration failed.
     */
    @Test(timeout = 120_000)
    public void twoPeersStreamingTheMemoryOfSixteenMigrationsEachHaveTheirOtherCallsServed() throws Exception {
        for (String host : List.of("host-b", "host-c")) {
            HttpPeer peer = peer(host);
            hold(MIGRATIONS, i -> tunnel(peer, "held-" + host + "-" + i));
            hold(MIGRATIONS, i -> peer.settle("held-" + host + "-" + i, "k"));
        }
        assertEquals(List.of(3), new DaemonClient(new ControlClient(url, tls)).version().protocols());
    }

    /**
     * A stream names its migration, and a peer may have one of each under way: its streams are as many as its
     * migrations here, and all of them together with its calls, and all peers', leave operators their workers.
     */
    @Test(timeout = 120_000)
    public void aPeerStreamsOnceForEachOfItsMigrationsAndThePeersStreamsLeaveOperatorsTheirWorkers() throws Exception {
        HttpPeer hostB = peer("host-b");
        hold(PeerCalls.STREAMS_PER_PEER, i -> tunnel(hostB, "held-b" + i));
        assertEquals("certificate subject 'CN=host-b' already has the tunnel of migration held-b0 under way here: one at a time",
                refusal(() -> tunnel(hostB, "held-b0")));
        assertEquals("certificate subject 'CN=host-b' has " + PeerCalls.STREAMS_PER_PEER + " streams under way here, the most"
                + " one peer may have at once: try again once one has ended", refusal(() -> tunnel(hostB, "held-one-more")));
        hold(PeerCalls.PER_PEER, i -> hostB.settle("held-b" + i, "k"));

        HttpPeer hostC = peer("host-c");
        hold(PeerCalls.STREAMS_ALL_PEERS - PeerCalls.STREAMS_PER_PEER, i -> tunnel(hostC, "held-c" + i));
        assertEquals("the peers of this daemon have " + PeerCalls.STREAMS_ALL_PEERS + " streams under way here, the most they"
                + " may have at once: try again once one has ended", refusal(() -> tunnel(hostC, "held-one-more")));
        hold(PeerCalls.ALL_PEERS - PeerCalls.PER_PEER, i -> hostC.settle("held-c" + i, "k"));
        assertEquals("the peers of this daemon have " + PeerCalls.ALL_PEERS + " calls under way here, the most they may have"
                + " at once: try again once one has ended", refusal(() -> hostC.settle("held-one-more", "k")));

        // every call and stream the peers may have is held: operators still have workers, several at once
        List<CompletableFuture<List<Integer>>> operators = new ArrayList<>();
        for (int i = 0; i < ChannelServer.OPERATOR_WORKERS / 2; i++) {
            operators.add(CompletableFuture.supplyAsync(() -> {
                try {
                    return new DaemonClient(new ControlClient(url, tls)).version().protocols();
                } catch (ChannelException e) {
                    throw new IllegalStateException(e.getMessage(), e);
                }
            }, runnable -> new Thread(runnable).start()));
        }
        for (CompletableFuture<List<Integer>> operator : operators) {
            assertEquals(List.of(3), operator.join());
        }
    }

    /**
     * A stream that ended gives its place back: a peer streams the memory of its migrations one after another for as
     * long as it runs. Counted out as a call, the peer's 33rd stream was refused, though none was under way.
     */
    @Test(timeout = 120_000)
    public void aPeersEndedStreamsGiveTheirPlacesBack() throws Exception {
        HttpPeer hostB = peer("host-b");
        for (int i = 0; i <= PeerCalls.STREAMS_PER_PEER; i++) {
            tunnel(hostB, "ended-" + i);
        }
        hostB.settle("ended", "k");

        hold(PeerCalls.STREAMS_PER_PEER, i -> tunnel(hostB, "held-b" + i));
        hold(PeerCalls.PER_PEER, i -> hostB.settle("held-b" + i, "k"));
    }

    /** One call of a peer, numbered. */
    private interface PeerCall {
        Object call(int i) throws ChannelException;
    }

    /** A tunnelled memory stream, sent once the daemon answers (here: once the test releases it). */
    private static Object tunnel(HttpPeer peer, String id) throws ChannelException {
        Peer.Upload upload = peer.tunnel(id, "k");
        upload.finish();
        return null;
    }

    /** {@code count} calls that wait in their handler, once all of them are there; one refused fails the test. */
    private void hold(int count, PeerCall call) throws InterruptedException {
        List<CompletableFuture<Object>> calls = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int n = i;
            calls.add(CompletableFuture.supplyAsync(() -> {
                try {
                    return call.call(n);
                } catch (ChannelException e) {
                    throw new IllegalStateException(e.getMessage(), e);
                }
            }, runnable -> new Thread(runnable).start()));
        }
        held.addAll(calls);
        while (!entered.tryAcquire(count, 10, TimeUnit.MILLISECONDS)) {
            for (CompletableFuture<Object> started : calls) {
                if (started.isCompletedExceptionally()) {
                    started.exceptionally(e -> {
                        throw new AssertionError("a call was refused while " + (held.size() - count) + " were held before these "
                                + count + ": " + e.getCause().getMessage(), e);
                    }).join();
                }
            }
        }
    }

    /** The refusal of one more held call, which must come before the call gets into the handler. */
    private String refusal(java.util.concurrent.Callable<Object> more) throws Exception {
        CompletableFuture<Object> call = CompletableFuture.supplyAsync(() -> {
            try {
                return more.call();
            } catch (Exception e) {
                return e;
            }
        }, runnable -> new Thread(runnable).start());
        while (true) {
            try {
                Object outcome = call.get(5, TimeUnit.MILLISECONDS);
                assertTrue("refused: " + outcome, outcome instanceof ChannelException e && e.refused());
                return ((ChannelException) outcome).getMessage();
            } catch (TimeoutException e) {
                if (entered.tryAcquire()) {
                    throw new AssertionError("one more call was taken in while " + held.size() + " were held");
                }
            }
        }
    }

    private HttpPeer peer(String subject) throws Exception {
        return new HttpPeer(new ControlClient(url, pki.files(pki.issue(subject, "dns:" + subject)).load()));
    }
}
