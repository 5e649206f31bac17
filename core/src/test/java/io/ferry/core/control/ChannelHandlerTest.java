package io.ferry.core.control;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import io.ferry.protocol.ChannelException;
import io.ferry.protocol.ControlClient;
import io.ferry.protocol.DaemonClient;
import io.ferry.protocol.DomainMessages.Done;
import io.ferry.protocol.Operation;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.Test;

/** The channel's handling of a request beyond routing: a client that is gone, a call kept alive while it runs. */
public class ChannelHandlerTest {
    @Test(timeout = 120_000)
    public void aStateChangingRequestWhoseClientLeftWhileItWaitedForAWorkerIsNotRun() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger busy = new AtomicInteger();
        AtomicInteger destroyed = new AtomicInteger();
        ChannelServer server = listingsWaitFor(release, busy, destroyed);
        String url = ChannelTls.url(server.address(), null);
        ExecutorService clients = Executors.newCachedThreadPool();
        try {
            List<Future<?>> holding = new ArrayList<>();
            for (int i = 0; i < ChannelServer.WORKERS; i++) { // more than the workers left by the selector and the acceptor
                holding.add(clients.submit(() -> new DaemonClient(new ControlClient(url)).domains()));
            }
            while (!server.saturated()) { // every worker held by a listing, and listings still waiting for one
                Thread.sleep(50);
            }
            try (Socket gone = new Socket("127.0.0.1", server.address().getPort())) {
                OutputStream out = gone.getOutputStream();
                out.write(("POST /v1/" + Operation.DESTROY.path("vm1") + " HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                out.flush();
                Thread.sleep(500); // queued behind the busy workers
            }
            release.countDown();
            for (Future<?> call : holding) {
                call.get(60, TimeUnit.SECONDS);
            }
            new DaemonClient(new ControlClient(url)).destroy("vm2");
            assertEquals("only the request whose client waited for its reply ran", 1, destroyed.get());
        } finally {
            release.countDown();
            clients.shutdownNow();
            server.stop();
        }
    }

    @Test(timeout = 60_000)
    public void aStateChangingRequestWhoseClientClosedItsSendingSideIsRefusedAndNotRun() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger destroyed = new AtomicInteger();
        ChannelServer server = listingsWaitFor(release, new AtomicInteger(), destroyed);
        try (Socket client = new Socket("127.0.0.1", server.address().getPort())) {
            client.setSoTimeout(30_000);
            // the destroy waits behind the listing on the connection, until after the client closed its side
            client.getOutputStream().write(("GET /v1/" + Operation.LIST_DOMAINS.path() + " HTTP/1.1\r\nHost: x\r\n\r\n"
                    + "POST /v1/" + Operation.DESTROY.path("vm1") + " HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            client.shutdownOutput();
            release.countDown();
            String replies = new String(client.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            String second = replies.substring(replies.indexOf("HTTP/1.1", 1));
            assertTrue(replies, second.startsWith("HTTP/1.1 400 "));
            assertTrue(replies, second.endsWith("\r\n\r\n<error>destroy not run: the client closed its side of the connection</error>\n"));
            assertEquals(0, destroyed.get());
        } finally {
            release.countDown();
            server.stop();
        }
    }

    /** A started channel whose domain listings wait for {@code release} ({@code busy} counts them) and which counts destroys. */
    private static ChannelServer listingsWaitFor(CountDownLatch release, AtomicInteger busy, AtomicInteger destroyed) throws Exception {
        RouteTable routes = new RouteTable()
                .add(Route.of(Operation.LIST_DOMAINS, Route.Access.OPERATOR, call -> {
                    busy.incrementAndGet();
                    release.await();
                    return Reply.xml("<domains/>");
                }))
                .add(Route.of(Operation.DESTROY, Route.Access.OPERATOR, call -> {
                    destroyed.incrementAndGet();
                    return Reply.xml(Done.of("destroyed").toXml());
                }));
        ChannelServer server = new ChannelServer(new InetSocketAddress("127.0.0.1", 0), null,
                new ChannelHandler(routes, new Callers(List.of(), List.of(), null), (id, key) -> true));
        server.start();
        return server;
    }

    @Test(timeout = 120_000)
    public void aLongCallIsKeptAliveAndItsLateErrorIsStillARefusal() throws Exception {
        RouteTable routes = new RouteTable()
                .add(Route.of(Operation.DESTROY, Route.Access.OPERATOR, call -> {
                    Thread.sleep(ControlClient.HEARTBEAT_MILLIS + 2_000);
                    throw new BadRequest(400, "Requested operation is not valid: domain is not running");
                }))
                .add(Route.of(Operation.START, Route.Access.OPERATOR, call -> {
                    Thread.sleep(ControlClient.HEARTBEAT_MILLIS + 2_000);
                    return Reply.xml(Done.of("started").toXml());
                }));
        ChannelServer server = new ChannelServer(new InetSocketAddress("127.0.0.1", 0), null,
                new ChannelHandler(routes, new Callers(List.of(), List.of(), null), (id, key) -> true));
        server.start();
        ExecutorService raw = Executors.newSingleThreadExecutor();
        try {
            // what any HTTP client sees of the same late error, beside the calls below (its first heartbeat sent the status)
            Future<String> seen = raw.submit(() -> RawHttp.exchange(server.address(), "POST /v1/" + Operation.DESTROY.path("vm1")
                    + " HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", false));
            DaemonClient daemon = new DaemonClient(new ControlClient(ChannelTls.url(server.address(), null)).withTimeout(
                    ControlClient.HEARTBEAT_MILLIS + 1_000)); // shorter than the call: only the heartbeat keeps it
            daemon.start("vm1");
            ChannelException refused = org.junit.Assert.assertThrows(ChannelException.class, () -> daemon.destroy("vm1"));
            assertEquals("Requested operation is not valid: domain is not running", refused.getMessage());
            assertTrue(refused.refused());

            String reply = seen.get(60, TimeUnit.SECONDS);
            assertTrue(reply, reply.startsWith("HTTP/1.1 200 OK\r\n"));
            assertTrue(reply, reply.contains("\r\nContent-Type: " + KeptAliveReply.XML + "\r\n"));
            String body = reply.substring(reply.indexOf("\r\n\r\n") + 4);
            assertTrue(reply, body.contains(" ") && body.contains("<error>Requested operation is not valid: domain is not"
                    + " running</error>"));
        } finally {
            raw.shutdownNow();
            server.stop();
        }
    }
}
