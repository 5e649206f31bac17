package io.ferry.core.control;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.core.TestDirectories;
import io.ferry.core.daemon.TestDaemons;
import io.ferry.core.domain.Domain;
import io.ferry.core.migration.LiveJob;
import io.ferry.protocol.ChannelException;
import io.ferry.protocol.ControlClient;
import io.ferry.protocol.DaemonClient;
import io.ferry.protocol.Operation;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;

/**
 * Malformed requests over a real socket to the production routing table: each refused with a 4xx whose
 * {@code <error>} is one line naming the fault (the control-request fuzz target's findings, one test each).
 */
public class ChannelRefusalTest {
    private static final String COOKIE = "<qemu-migration><name>vm1</name><uuid>1b4e28ba-2fa1-11d2-883f-0016d3cca427</uuid>"
            + "<hostname>h</hostname><hostuuid>1b4e28ba-2fa1-11d2-883f-0016d3cca428</hostuuid></qemu-migration>";
    private static final long MIB = 1024 * 1024;

    private static TestChannel channel;
    private static ChannelServer server;

    @BeforeClass
    public static void start() throws Exception {
        channel = TestChannel.withOneDomain();
        server = channel.server(channel.routes);
        server.start();
    }

    @AfterClass
    public static void stop() {
        server.stop();
    }

    @Test(timeout = 60_000)
    public void aQueryParameterThatIsNotPercentEncodedUtf8IsRefusedByName() throws Exception {
        assertRefused(400, "malformed query parameter 'name=%zz': not %-encoded UTF-8",
                send("POST /v1/cookie/bake?phase=begin&name=%zz", "", false));
        assertRefused(400, "malformed query parameter 'uuid=%ff': not %-encoded UTF-8",
                send("POST /v1/cookie/bake?phase=begin&name=vm1&uuid=%ff", "", false));
    }

    @Test(timeout = 60_000)
    public void aBodyCutShortByItsClientIsRefusedNotAFailure() throws Exception {
        Reply reply = send("POST /v1/cookie/roundtrip HTTP/1.1\r\nContent-Length: 4000", COOKIE, true);
        assertEquals(reply.text, 400, reply.status);
        assertTrue(reply.text, reply.error().startsWith("migration cookie cut short after " + COOKIE.length() + " bytes: "));
    }

    @Test(timeout = 60_000)
    public void anErrorQuotingALineBreakOfTheRequestIsOneLine() throws Exception {
        assertRefused(400, "unknown phase 'prep\\u000are' (expected begin, prepare, perform, finish or confirm)",
                send("POST /v1/cookie/bake?phase=prep%0Are&name=vm1", "", false));
    }

    @Test(timeout = 60_000)
    public void aBandwidthCapWhoseBytesALongCannotHoldIsRefusedAndTheLargestThatFitsIsApplied() throws Exception {
        DaemonClient daemon = new DaemonClient(new ControlClient(ChannelTls.url(server.address(), null)));
        long largest = Long.MAX_VALUE / MIB;
        ChannelException refused = assertThrows(ChannelException.class,
                () -> daemon.setSpeed(TestChannel.DOMAIN, String.valueOf(largest + 1)));
        assertEquals("invalid mib '" + (largest + 1) + "': at most " + largest, refused.getMessage());
        assertTrue(refused.refused());
        daemon.setSpeed(TestChannel.DOMAIN, String.valueOf(largest));
        LiveJob next = channel.engine.jobs().start(TestChannel.DOMAIN, "probe", null, 0);
        channel.engine.jobs().end(TestChannel.DOMAIN, next, true);
        assertEquals(largest * MIB, next.maxBandwidth());
    }

    @Test(timeout = 120_000)
    public void aBodyThatTricklesInIsRefusedAndItsWorkerFreedWhileOtherRequestsAreAnswered() throws Exception {
        try (Socket trickling = new Socket(server.address().getAddress(), server.address().getPort())) {
            OutputStream out = trickling.getOutputStream();
            out.write(("POST /v1/" + Operation.PREPARE.path() + " HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n<")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            DaemonClient daemon = new DaemonClient(new ControlClient(ChannelTls.url(server.address(), null)));
            assertEquals(TestChannel.DOMAIN, daemon.domains().domains().get(0).name());
            // a byte a second, each of which starts Jetty's idle timeout again: until the daemon answers
            InputStream in = trickling.getInputStream();
            for (int seconds = 0; in.available() == 0; seconds++) {
                assertTrue("the body is still being read after " + seconds + " s", seconds < 60);
                out.write(' ');
                out.flush();
                Thread.sleep(1_000);
            }
            trickling.setSoTimeout(10_000);
            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            Reply reply = new Reply(Integer.parseInt(text.split(" ", 3)[1]), text);
            assertEquals(text, 408, reply.status);
            assertTrue(text, reply.error().startsWith("migration message arrived slower than " + MinimumBodyRate.BYTES_PER_SECOND
                    + " bytes a second: refused after "));
            assertEquals(TestChannel.DOMAIN, daemon.domains().domains().get(0).name());
        }
    }

    /** A body that takes longer than the grace to arrive, but faster than the minimum rate all along, is read whole. */
    @Test(timeout = 120_000)
    public void aLongBodyThatComesFasterThanTheMinimumRateIsRead() throws Exception {
        int perSecond = (int) MinimumBodyRate.BYTES_PER_SECOND * 3 / 2;
        int seconds = (int) (MinimumBodyRate.GRACE_MILLIS / 1000) + 3;
        String definition = "<domain type='sim'><name>vm-steady</name><memory unit='KiB'>65536</memory><vcpu>1</vcpu></domain>";
        byte[] body = (definition + " ".repeat(perSecond * seconds - definition.length())).getBytes(StandardCharsets.US_ASCII);
        try (Socket client = new Socket(server.address().getAddress(), server.address().getPort())) {
            OutputStream out = client.getOutputStream();
            out.write(("POST /v1/" + Operation.DEFINE.path() + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: "
                    + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            for (int second = 0; second < seconds; second++) {
                out.write(body, second * perSecond, perSecond);
                out.flush();
                Thread.sleep(1_000);
            }
            String text = new String(client.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(text, text.startsWith("HTTP/1.1 200 "));
        }
        assertTrue(channel.domains.find("vm-steady").isPresent());
        channel.domains.undefine("vm-steady"); // the class's other tests see vm1 alone
    }

    @Test(timeout = 120_000)
    public void aDefinitionOverTheLimitIsRefusedByItsDeclaredLengthOrWhenChunkedByTheBytesRead() throws Exception {
        int limit = TestDaemons.settings(TestDirectories.create("limit")).cookieMaxBytes();
        byte[] definition = ("<domain type='sim'><name>vm2</name><memory unit='KiB'>65536</memory><vcpu>1</vcpu></domain>"
                + " ".repeat(limit)).getBytes(StandardCharsets.US_ASCII);
        String over = "domain definition is over the limit of " + limit + " bytes";
        String define = "POST /v1/" + Operation.DEFINE.path() + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n";
        // a declared length over the limit is refused before a byte is read: this client sends none and waits
        assertRefused(413, over, sendWhileReading(define + "Content-Length: " + definition.length + "\r\n\r\n", new byte[0]));
        // a chunked body declares no length: it is refused once the bytes read pass the limit
        ByteArrayOutputStream chunked = new ByteArrayOutputStream();
        for (int from = 0; from < definition.length; from += 64 * 1024) {
            int length = Math.min(64 * 1024, definition.length - from);
            chunked.writeBytes((Integer.toHexString(length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
            chunked.write(definition, from, length);
            chunked.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
        }
        chunked.writeBytes("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        assertRefused(413, over, sendWhileReading(define + "Transfer-Encoding: chunked\r\n\r\n", chunked.toByteArray()));
        assertEquals(List.of(TestChannel.DOMAIN), channel.domains.list().stream().map(Domain::name).toList());
    }

    private static void assertRefused(int status, String error, Reply reply) {
        assertEquals(reply.text, status, reply.status);
        assertEquals(reply.text, error, reply.error());
    }

    /**
     * One request on a connection of its own: {@code head} (a request target alone is an HTTP/1.1 request line), then
     * {@code body}; {@code closes}: the client then closes its side, as one that gave up.
     */
    private static Reply send(String head, String body, boolean closes) throws IOException {
        String request = (head.contains(" HTTP/") ? head : head + " HTTP/1.1") + "\r\nHost: x\r\nConnection: close\r\n\r\n" + body;
        String text = RawHttp.exchange(server.address(), request, closes);
        return new Reply(Integer.parseInt(text.split(" ", 3)[1]), text);
    }

    /**
     * One request whose body a refusing daemon may leave unread: the body is written by another thread (its failure,
     * once the daemon closes, is the daemon's refusal) while the reply is read.
     */
    private static Reply sendWhileReading(String head, byte[] body) throws Exception {
        try (Socket socket = new Socket(server.address().getAddress(), server.address().getPort())) {
            OutputStream out = socket.getOutputStream();
            out.write(head.getBytes(StandardCharsets.US_ASCII));
            Thread writer = new Thread(() -> {
                try {
                    out.write(body);
                } catch (IOException closedByTheDaemon) {
                    // the daemon answered without reading it all
                }
            });
            writer.start();
            String text = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            writer.join();
            return new Reply(Integer.parseInt(text.split(" ", 3)[1]), text);
        }
    }

    private record Reply(int status, String text) {
        /** The error's text, after checking that the body is one line: the {@code <error>} document. */
        String error() {
            String body = text.substring(text.indexOf("\r\n\r\n") + 4);
            assertTrue(text, body.startsWith("<error>") && body.endsWith("</error>\n") && body.indexOf('\n') == body.length() - 1);
            try {
                return ControlClient.parse(body).getTextContent();
            } catch (ChannelException e) {
                throw new AssertionError(text, e);
            }
        }
    }
}
