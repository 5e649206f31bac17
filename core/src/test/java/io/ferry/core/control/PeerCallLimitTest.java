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
import org.junit.ClassRule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * Each call of a peer holds one of the channel's workers while it runs (a settle waiting for a domain's job, a Finish
 * waiting for the memory, a tunnelled stream). One peer, compromised or looping, must not hold them all: operators
 * could not abort a job, and other peers' migrations could not settle, their sources keeping their guests paused.
 */
public class PeerCallLimitTest {
    @ClassRule
    public static final TemporaryFolder TEMP = new TemporaryFolder();

    @Test(timeout = 120_000)
    public void aPeerAndAllPeersTogetherHoldAtMostTheirShareOfTheWorkersAndOperatorsAreServed() throws Exception {
        TestPki pki = new TestPki(TEMP.newFolder("ca").toPath(), UUID.randomUUID().toString());
        // the daemon's certificate serves as the operator's too: every certificate costs seconds of keytool
        SSLContext tls = pki.files(pki.issue("daemon", "ip:127.0.0.1")).load();
        Semaphore entered = new Semaphore(0);
        CountDownLatch release = new CountDownLatch(1);
        HardenedXmlParser parser = new HardenedXmlParser(64 * 1024, 16);
        RouteTable routes = new RouteTable();
        routes.add(Route.of(Operation.SETTLE, Route.Access.PARTY, call -> {
            String id = MigrationKey.fromXml(call.xml(parser, "migration message")).id();
            if (id.startsWith("held")) { // a settle waiting for its domain's job
                entered.release();
                release.await();
            }
            return Reply.xml(new Messages.Fate(id, Messages.Outcome.UNKNOWN).toXml());
        }).body(64 * 1024, "migration message").party(call -> MigrationKey.fromXml(call.xml(parser, "migration message"))));
        routes.add(Route.of(Operation.VERSION, Route.Access.ANY, call -> Reply.xml("<version ferry='1' protocols='3'/>")));
        Callers callers = new Callers(List.of(SubjectPattern.parse("CN=daemon")), List.of(SubjectPattern.parse("CN=host-*")), null);
        ChannelServer server = new ChannelServer(new InetSocketAddress("127.0.0.1", 0), tls, new ChannelHandler(routes, callers,
                (id, key) -> true));
        server.start();
        String url = ChannelTls.url(server.address(), tls);
        List<CompletableFuture<Object>> held = new ArrayList<>();
        try {
            HttpPeer hostB = new HttpPeer(client(pki, url, "host-b"));
            held.addAll(hold(hostB, PeerCalls.PER_PEER, entered));
            assertEquals("the refusal of host-b's next call", "certificate subject 'CN=host-b' has " + PeerCalls.PER_PEER
                    + " calls under way here, the most one peer may have at once: try again once one has ended",
                    refusal(hostB, entered, held.size()));
            HttpPeer hostC = new HttpPeer(client(pki, url, "host-c"));
            hostC.settle("free", "k");
            held.addAll(hold(hostC, PeerCalls.ALL_PEERS - PeerCalls.PER_PEER, entered));
            assertEquals("the refusal of host-c's next call", "the peers of this daemon have " + PeerCalls.ALL_PEERS
                    + " calls under way here, the most they may have at once: try again once one has ended",
                    refusal(hostC, entered, held.size()));
            assertEquals(List.of(3), new DaemonClient(new ControlClient(url, tls)).version().protocols());
        } finally {
            release.countDown();
            server.stop();
        }
        for (CompletableFuture<Object> call : held) {
            call.exceptionally(e -> null).join();
        }
    }

    /** {@code count} settles of {@code peer} that wait in the handler, once all of them are there. */
    private static List<CompletableFuture<Object>> hold(HttpPeer peer, int count, Semaphore entered) throws InterruptedException {
        List<CompletableFuture<Object>> calls = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String id = "held-" + i;
            calls.add(CompletableFuture.supplyAsync(() -> {
                try {
                    return peer.settle(id, "k");
                } catch (ChannelException e) {
                    throw new IllegalStateException(e.getMessage(), e);
                }
            }, runnable -> new Thread(runnable).start()));
        }
        entered.acquire(count);
        return calls;
    }

    /** The refusal of one more held call, which must come before the call gets into the handler. */
    private static String refusal(HttpPeer peer, Semaphore entered, int heldSoFar) throws Exception {
        CompletableFuture<Object> call = CompletableFuture.supplyAsync(() -> {
            try {
                return peer.settle("held-one-more", "k");
            } catch (ChannelException e) {
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
                    throw new AssertionError("call " + (heldSoFar + 1) + " of the peers was taken in while " + heldSoFar
                            + " were under way");
                }
            }
        }
    }

    private static ControlClient client(TestPki pki, String url, String subject) throws Exception {
        return new ControlClient(url, pki.files(pki.issue(subject, "dns:" + subject)).load());
    }
}
