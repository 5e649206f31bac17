package io.ferry.cli;

import static org.junit.Assert.assertEquals;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.Test;

/**
 * A command whose daemon does not answer says where its URI came from when the operator did not name it (a shell
 * without the FERRY_DEFAULT_URI export, a daemon not started yet), and how to give another; one whose daemon took the
 * call and then died does not ask whether it runs.
 */
public class UnreachableDaemonTest {
    /** A loopback address nothing listens on: a port just given back. */
    private static String nobodyListens() throws Exception {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return "ferry+tcp://127.0.0.1:" + socket.getLocalPort();
        }
    }

    @Test
    public void aDaemonFromFerryDefaultUriIsSaidToComeFromIt() throws Exception {
        String uri = nobodyListens();
        CliRun run = CliRun.ferry(List.of("list", "--all"), Map.of("FERRY_DEFAULT_URI", uri));
        assertEquals(new CliRun(1, "", "error: cannot connect to " + uri + ": Connection refused (the daemon FERRY_DEFAULT_URI names: is"
                + " ferryd running there? -c URI names another)\n"), run);
    }

    @Test
    public void aDaemonNamedWithDashCIsOnlyNamed() throws Exception {
        String uri = nobodyListens();
        CliRun run = CliRun.ferry(List.of("-c", uri, "list"), Map.of("FERRY_DEFAULT_URI", "ferry+tcp://127.0.0.1:1"));
        assertEquals(new CliRun(1, "", "error: cannot connect to " + uri + ": Connection refused\n"), run);
    }

    /** The JDK's resend of the call, refused with the daemon gone, said it never got there ("is ferryd running"). */
    @Test
    public void aCallTheDaemonTookBeforeItDiedIsNotSaidUnreachable() throws Exception {
        ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        String uri = "ferry+tcp://127.0.0.1:" + server.getLocalPort();
        Thread daemon = new Thread(() -> {
            try (server; Socket socket = server.accept()) {
                // the request's headers and body, then it dies without answering
                var in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
                int length = 0;
                for (String line = in.readLine(); line != null && !line.isEmpty(); line = in.readLine()) {
                    if (line.toLowerCase().startsWith("content-length:")) {
                        length = Integer.parseInt(line.substring("content-length:".length()).trim());
                    }
                }
                in.skip(length);
                server.close();
            } catch (IOException e) {
                // the run's output tells
            }
        }, "dying-daemon");
        daemon.setDaemon(true);
        daemon.start();
        CliRun run = CliRun.ferry(List.of("domjobabort", "vm1"), Map.of("FERRY_DEFAULT_URI", uri));
        assertEquals(new CliRun(1, "", "error: connection to " + uri + " lost after the call was sent (the daemon"
                + " stopped or restarted?): what it did there is unknown\n"), run);
    }
}
