package io.ferry.cli;

import static org.junit.Assert.assertEquals;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.List;
import java.util.Map;
import org.junit.Test;

/**
 * A command whose daemon does not answer says where its URI came from when the operator did not name it (a shell
 * without the FERRY_DEFAULT_URI export, a daemon not started yet), and how to give another.
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
}
