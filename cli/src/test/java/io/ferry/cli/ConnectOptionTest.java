package io.ferry.cli;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.Test;

/** {@code -c URI} is the connection before the command or after it ({@code ferry version -c URI}), never both ways apart. */
public class ConnectOptionTest {
    private record Outcome(int exit, String out, String err) {
    }

    private static Outcome ferry(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = Ferry.run(List.of(args), new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Outcome(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** A loopback port nobody listens on: a call there fails at once, naming where it went. */
    private static String deadUri() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return "ferry+tcp://127.0.0.1:" + socket.getLocalPort();
        }
    }

    @Test
    public void aConnectionAfterTheCommandIsTheOneCalled() throws Exception {
        String uri = deadUri();
        Outcome before = ferry("-c", uri, "version");
        Outcome after = ferry("version", "-c", uri);
        Outcome afterLong = ferry("version", "--connect", uri);
        assertEquals(1, before.exit());
        assertTrue(before.err(), before.err().contains(uri.substring("ferry+tcp://".length())));
        assertEquals("the same call, the same failure, wherever -c stands", before, after);
        assertEquals(before, afterLong);
    }

    @Test
    public void twoDifferentConnectionsAreRefusedBeforeAnyCall() {
        assertEquals(new Outcome(1, "", "error: two connections given: 'ferry+tcp://a:1' and 'ferry+tcp://b:2'\n"),
                ferry("-c", "ferry+tcp://a:1", "list", "-c", "ferry+tcp://b:2"));
        assertEquals(new Outcome(1, "", "error: two connections given: 'ferry+tcp://a:1' and 'ferry+tcp://b:2'\n"),
                ferry("-c", "ferry+tcp://a:1", "--connect", "ferry+tcp://b:2", "list"));
    }

    @Test
    public void aConnectOptionWithoutItsUriIsRefused() {
        assertEquals(new Outcome(1, "", "error: option '-c' needs a URI\n"), ferry("list", "-c"));
        assertEquals(new Outcome(1, "", "error: option '--connect' needs a URI\n"), ferry("--connect"));
    }
}
