package io.ferry.protocol;

import static org.junit.Assert.assertEquals;

import com.sun.net.httpserver.HttpServer;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * A host name with two addresses ({@code localhost}: 127.0.0.1 and ::1) where the daemon listens on one and another
 * local user on the other: the client connects to the first address, and must not present the token of the daemon
 * at the second, which that user would then drive. Run in a JVM of its own, whose host names come from a hosts file.
 */
public class TokenAddressTest {
    @Rule
    public TemporaryFolder folder = new TemporaryFolder();

    @Test
    public void theTokenOfTheDaemonAtAnotherAddressOfTheNameIsNotPresented() throws Exception {
        Path hosts = Files.writeString(folder.getRoot().toPath().resolve("hosts"), "127.0.0.1 twofold\n::1 twofold\n");
        Path tokens = folder.newFolder("tokens").toPath();
        Path told = folder.getRoot().toPath().resolve("told");
        Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "-Djdk.net.hosts.file=" + hosts, "-Djava.net.preferIPv6Addresses=false",
                "-Dferry.token.dir=" + tokens, Child.class.getName(), told.toString()).inheritIO().start();
        boolean ended = child.waitFor(60, TimeUnit.SECONDS);
        if (!ended) {
            child.destroyForcibly();
        }
        assertEquals("the child ended", true, ended);
        assertEquals(0, child.exitValue());
        assertEquals("what the listener at 127.0.0.1 was given", "null", Files.readString(told));
    }

    /** The other user's listener at 127.0.0.1:PORT, the daemon's token for [::1]:PORT, and a call of twofold:PORT. */
    public static final class Child {
        public static void main(String[] args) throws Exception {
            HttpServer other = HttpServer.create(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0), 0);
            other.createContext("/", exchange -> {
                Files.writeString(Path.of(args[0]), String.valueOf(exchange.getRequestHeaders().getFirst(OperatorTokens.HEADER)));
                byte[] reply = "<version/>".getBytes(StandardCharsets.UTF_8);
                exchange.sendResponseHeaders(200, reply.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(reply);
                }
            });
            other.start();
            int port = other.getAddress().getPort();
            OperatorTokens.publish(new InetSocketAddress(InetAddress.getByName("::1"), port), "the-daemons-token");
            try {
                new ControlClient("ferry+tcp://twofold:" + port).get("version");
            } finally {
                other.stop(0);
            }
            System.exit(0);
        }
    }
}
