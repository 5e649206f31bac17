package io.ferry.core.control;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.core.StderrLog;
import io.ferry.protocol.ChannelException;
import io.ferry.protocol.ControlClient;
import io.ferry.protocol.DaemonClient;
import io.ferry.protocol.OperatorTokens;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.After;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * Plain TCP on loopback: only whoever presents the daemon's operator token drives it, and the token is its user's
 * alone. Another local user reaching the port could otherwise define and start a domain whose emulator is a
 * program of theirs, run as the daemon's user.
 */
public class OperatorTokenTest {
    @Rule
    public final TemporaryFolder folder = new TemporaryFolder();

    private final String token = OperatorTokens.generate();
    private ChannelServer server;
    private Path tokens;

    @Before
    public void startPlainChannelOnLoopback() throws Exception {
        tokens = folder.getRoot().toPath().resolve("tokens");
        System.setProperty("ferry.token.dir", tokens.toString());
        TestChannel channel = TestChannel.withOneDomain();
        server = new ChannelServer(new InetSocketAddress("127.0.0.1", 0), null,
                new ChannelHandler(channel.routes, new Callers(List.of(), List.of(), token), channel.engine::admits));
        server.start();
    }

    @After
    public void stop() {
        server.stop();
        System.clearProperty("ferry.token.dir");
    }

    @Test
    public void aClientWithoutTheTokenDrivesNothing() throws Exception {
        ChannelException refused = assertThrows(ChannelException.class, () -> client().domains());

        assertTrue(refused.getMessage(), refused.getMessage().startsWith("no operator token (Ferry-Operator-Token): on plain TCP"
                + " only the user this daemon runs as may drive it"));
        assertThrows(ChannelException.class, () -> client().version()); // not even that
    }

    /** Refused, and the daemon's log says so with the client's address: an operator learns who tried. */
    @Test
    public void aWrongTokenIsRefusedAndLogged() throws Exception {
        OperatorTokens.publish(server.address(), OperatorTokens.generate());

        String log = StderrLog.of(() -> {
            ChannelException refused = assertThrows(ChannelException.class, () -> client().domains());
            assertTrue(refused.getMessage(), refused.getMessage().startsWith("a wrong operator token"));
        });

        assertTrue(log, log.contains("WARN io.ferry.core.control.Callers - a wrong operator token (Ferry-Operator-Token)"));
        assertTrue(log, log.contains(" from 127.0.0.1:"));
    }

    /** A refused client keeps no connection: kept alive, a local user's could fill the channel's connections. */
    @Test(timeout = 60_000)
    public void aClientWithoutTheTokenIsRefusedAndItsConnectionClosed() throws Exception {
        InetSocketAddress address = server.address();
        try (Socket client = new Socket(address.getAddress(), address.getPort())) {
            RawHttp.assertRefusedAndClosed(client);
        }
    }

    /** Nor with a request Jetty refuses before anyone asks who sent it (a path with an escaped slash, say). */
    @Test(timeout = 60_000)
    public void aRequestJettyRefusesKeepsNoConnection() throws Exception {
        InetSocketAddress address = server.address();
        try (Socket client = new Socket(address.getAddress(), address.getPort())) {
            RawHttp.assertRefusedAndClosed(client, "GET /v1/domains/a%2Fb HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 400);
        }
    }

    @Test
    public void theTokenItsUserFindsMakesAnOperatorAndNobodyElseCanReadIt() throws Exception {
        Path file = OperatorTokens.publish(server.address(), token);

        assertEquals(TestChannel.DOMAIN, client().domains().domains().get(0).name());
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(tokens)));
        assertEquals(tokens, file.getParent());
    }

    @Test
    public void aDaemonThatRestartedIsReachedWithItsNewToken() throws Exception {
        OperatorTokens.publish(server.address(), OperatorTokens.generate()); // the daemon before
        DaemonClient client = client();
        assertThrows(ChannelException.class, client::domains);

        OperatorTokens.publish(server.address(), token);

        assertEquals(TestChannel.DOMAIN, client.domains().domains().get(0).name());
    }

    private DaemonClient client() throws ChannelException {
        InetSocketAddress address = server.address();
        return new DaemonClient(new ControlClient("ferry+tcp://" + address.getHostString() + ":" + address.getPort()));
    }
}
