package io.ferry.protocol;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;
import static org.junit.Assume.assumeTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.After;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * Another local user who took ferryd's loopback port while it was down is sent nothing by the client: not its
 * operator token, not a call whose reply it would believe. Against a listener of this JVM that a fake {@code /proc}
 * says another user holds, and, run as root, against a real one of user {@code ferry-qemu}.
 */
public class ControlClientSquatterTest {
    private static final String TOKEN = "the-operators-token";
    private static final String REPLY = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\nConnection: close\r\n\r\n<version/>";

    @Rule
    public TemporaryFolder folder = new TemporaryFolder();

    private final List<String> received = new CopyOnWriteArrayList<>();
    private Path tokens;
    private ServerSocket listener;
    private FakeProc proc;

    @Before
    public void listen() throws Exception {
        tokens = folder.newFolder("tokens").toPath();
        System.setProperty("ferry.token.dir", tokens.toString());
        listener = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"));
        Thread thread = new Thread(this::answer, "listener");
        thread.setDaemon(true);
        thread.start();
        Files.writeString(tokens.resolve("127.0.0.1_" + listener.getLocalPort()), TOKEN + "\n");
        proc = new FakeProc(folder.newFolder("proc").toPath(), 0);
    }

    @After
    public void stop() throws IOException {
        listener.close();
        System.clearProperty("ferry.token.dir");
    }

    /** Each connection: the request's token header, then a version reply. */
    private void answer() {
        while (!listener.isClosed()) {
            try (Socket socket = listener.accept()) {
                var in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
                String token = "none";
                for (String line = in.readLine(); line != null && !line.isEmpty(); line = in.readLine()) {
                    if (line.startsWith(OperatorTokens.HEADER + ":")) {
                        token = line.substring(OperatorTokens.HEADER.length() + 1).trim();
                    }
                }
                received.add(token);
                OutputStream out = socket.getOutputStream();
                out.write(REPLY.getBytes(StandardCharsets.US_ASCII));
                out.flush();
            } catch (IOException e) {
                return;
            }
        }
    }

    /** The listener in the tables as the kernel lists a JVM's socket bound to 127.0.0.1, held by {@code uid}. */
    private ControlClient clientWithListenerOf(int uid) throws Exception {
        proc.v6(FakeProc.MAPPED_LOOPBACK, listener.getLocalPort(), FakeProc.LISTEN, uid);
        ControlClient client = new ControlClient("ferry+tcp://127.0.0.1:" + listener.getLocalPort());
        return client.checkingListenersIn(proc.listener());
    }

    @Test
    public void aSquatterIsSentNeitherTheTokenNorTheCall() throws Exception {
        ControlClient client = clientWithListenerOf(1001);

        ChannelException refused = assertThrows(ChannelException.class, () -> client.get("version"));
        assertTrue(refused.getMessage(), refused.getMessage().startsWith("refusing to talk to 127.0.0.1:"
                + listener.getLocalPort() + ": the port is held by uid 1001, not by the user ("));
        assertTrue(refused.refused()); // nothing was sent: nothing was done there
        assertEquals("what the squatter received", List.of(), received);
    }

    @Test
    public void theDaemonOfTheTokensUserIsSentTheCallAndTheToken() throws Exception {
        ControlClient client = clientWithListenerOf(0);

        assertEquals("<version/>", client.get("version"));
        assertEquals(List.of(TOKEN), received);
    }

    @Test
    public void aSquattersStreamsAreRefusedToo() throws Exception {
        ControlClient client = clientWithListenerOf(1001);

        assertThrows(ChannelException.class, () -> client.download("migration/m-1/stream", Map.of()));
        assertThrows(ChannelException.class, () -> client.upload("migration/m-1/stream", Map.of()));
        assertEquals("what the squatter received", List.of(), received);
    }

    /** The real thing: another user's listener on loopback, and this host's own socket tables. */
    @Test
    public void aRealSquatterOfAnotherUserIsRefused() throws Exception {
        assumeTrue("run as root", "root".equals(System.getProperty("user.name")));
        assumeTrue("runuser and perl", Files.isExecutable(Path.of("/usr/sbin/runuser"))
                && Files.isExecutable(Path.of("/usr/bin/perl")));
        // prints its port, then the first line of each connection
        String squat = "$| = 1; alarm 60; my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,"
                + " Listen => 5) or die; print $s->sockport, qq(\\n);"
                + " while (my $c = $s->accept) { my $line = <$c>; print qq(sent: $line) }";
        Process squatter = new ProcessBuilder("/usr/sbin/runuser", "-u", "ferry-qemu", "--", "/usr/bin/perl",
                "-MIO::Socket::INET", "-e", squat).redirectErrorStream(true).start();
        try {
            var out = new BufferedReader(new InputStreamReader(squatter.getInputStream(), StandardCharsets.US_ASCII));
            String port = out.readLine();
            assumeTrue("user ferry-qemu's listener: " + port, port != null && port.matches("\\d+"));
            Files.writeString(tokens.resolve("127.0.0.1_" + port), TOKEN + "\n");

            ChannelException refused = assertThrows(ChannelException.class,
                    () -> new ControlClient("ferry+tcp://127.0.0.1:" + port).get("version"));
            Process id = new ProcessBuilder("id", "-u", "ferry-qemu").start();
            String uid = new String(id.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
            assertTrue(refused.getMessage(), refused.getMessage().startsWith("refusing to talk to 127.0.0.1:" + port
                    + ": the port is held by uid " + uid + ", not by the user (root, uid 0)"));
            try (Socket marker = new Socket(InetAddress.getByName("127.0.0.1"), Integer.parseInt(port))) {
                marker.getOutputStream().write("the test's marker\n".getBytes(StandardCharsets.US_ASCII));
            }
            assertEquals("the first the squatter was sent", "sent: the test's marker", out.readLine());
        } finally {
            squatter.destroyForcibly();
        }
    }
}
