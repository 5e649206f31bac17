package io.ferry.cli;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.net.ServerSocket;
import org.junit.Test;

/** {@code -c URI} is the connection before the command or after it ({@code ferry version -c URI}), never both ways apart. */
public class ConnectOptionTest {
    /** A loopback port nobody listens on: a call there fails at once, naming where it went. */
    private static String deadUri() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return "ferry+tcp://127.0.0.1:" + socket.getLocalPort();
        }
    }

    @Test
    public void aConnectionAfterTheCommandIsTheOneCalled() throws Exception {
        String uri = deadUri();
        CliRun before = CliRun.ferry("-c", uri, "version");
        CliRun after = CliRun.ferry("version", "-c", uri);
        CliRun afterLong = CliRun.ferry("version", "--connect", uri);
        assertEquals(1, before.exit());
        assertTrue(before.err(), before.err().contains(uri.substring("ferry+tcp://".length())));
        assertEquals("the same call, the same failure, wherever -c stands", before, after);
        assertEquals(before, afterLong);
    }

    @Test
    public void twoDifferentConnectionsAreRefusedBeforeAnyCall() {
        assertEquals(new CliRun(1, "", "error: two connections given: 'ferry+tcp://a:1' and 'ferry+tcp://b:2'\n"),
                CliRun.ferry("-c", "ferry+tcp://a:1", "list", "-c", "ferry+tcp://b:2"));
        assertEquals(new CliRun(1, "", "error: two connections given: 'ferry+tcp://a:1' and 'ferry+tcp://b:2'\n"),
                CliRun.ferry("-c", "ferry+tcp://a:1", "--connect", "ferry+tcp://b:2", "list"));
    }

    @Test
    public void aConnectOptionWithoutItsUriIsRefused() {
        assertEquals(new CliRun(1, "", "error: option '-c' needs a URI\n"), CliRun.ferry("list", "-c"));
        assertEquals(new CliRun(1, "", "error: option '--connect' needs a URI\n"), CliRun.ferry("--connect"));
    }
}
