package io.ferry.core.control;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.protocol.ChannelException;
import io.ferry.protocol.ControlClient;
import io.ferry.protocol.Operation;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import org.junit.Test;

/**
 * A stream reply (a section's side stream) whose writer fails: the reader must learn of it. The reply was closed as
 * the writer's exception went by, so a stream cut short arrived whole-looking, shorter, and a section that did not
 * check its length ate it (the test section's probe read an empty stream as its data).
 */
public class StreamReplyTest {
    private static final byte[] WHOLE = new byte[300_000];

    /** A daemon whose side stream writes {@code before} bytes, then fails if {@code fails}. */
    private static ChannelServer streaming(int before, boolean fails) throws Exception {
        RouteTable routes = new RouteTable().add(Route.of(Operation.SIDE_STREAM, Route.Access.OPERATOR,
                call -> Reply.stream(out -> {
                    if (before > 0) {
                        out.write(WHOLE, 0, before);
                    }
                    if (fails) {
                        throw new IOException("cookie section probe failed in stream: NoClassDefFoundError: ProbeStream");
                    }
                })).streamed());
        ChannelServer server = new ChannelServer(new InetSocketAddress("127.0.0.1", 0), null,
                new ChannelHandler(routes, new Callers(List.of(), List.of(), null), (id, key) -> true));
        server.start();
        return server;
    }

    private static InputStream download(ChannelServer server) throws ChannelException {
        return new ControlClient(ChannelTls.url(server.address(), null)).download(Operation.SIDE_STREAM.path("m1", "probe"),
                Map.of());
    }

    @Test(timeout = 60_000)
    public void aWriterThatFailsBeforeWritingRefusesTheCallWithItsReason() throws Exception {
        ChannelServer server = streaming(0, true);
        try {
            ChannelException refused = assertThrows(ChannelException.class, () -> download(server));
            assertEquals("cookie section probe failed in stream: NoClassDefFoundError: ProbeStream", refused.getMessage());
        } finally {
            server.stop();
        }
    }

    @Test(timeout = 60_000)
    public void aWriterThatFailsMidStreamCutsItShortForItsReader() throws Exception {
        ChannelServer server = streaming(WHOLE.length, true);
        try (InputStream in = download(server)) {
            IOException cut = assertThrows(IOException.class, in::readAllBytes);
            assertTrue(cut.toString(), cut.getMessage() != null);
        } finally {
            server.stop();
        }
    }

    @Test(timeout = 60_000)
    public void aWriterThatEndsWellIsReadWhole() throws Exception {
        ChannelServer server = streaming(WHOLE.length, false);
        try (InputStream in = download(server)) {
            assertArrayEquals(WHOLE, in.readAllBytes());
        } finally {
            server.stop();
        }
    }
}
