package io.ferry.core.control;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.protocol.ChannelException;
import io.ferry.protocol.ControlClient;
import io.ferry.protocol.HttpPeer;
import io.ferry.protocol.Messages;
import io.ferry.protocol.MigrationFlags;
import io.ferry.settings.SubjectPattern;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import javax.net.ssl.SSLContext;
import org.junit.ClassRule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * A source's migration is driven by an operator (Begin, Perform and Confirm are theirs): a peer holding the
 * migration's key (its destination) cannot keep it alive once its driver went silent, or a domain whose driver
 * died would stay claimed by the migration for as long as that peer pleases.
 */
public class PeerKeepaliveTest {
    @ClassRule
    public static final TemporaryFolder TEMP = new TemporaryFolder();

    @Test(timeout = 120_000)
    public void aPeerHoldingTheKeyCannotKeepTheSourceSideAlive() throws Exception {
        TestPki pki = new TestPki(TEMP.newFolder("ca").toPath(), UUID.randomUUID().toString());
        SSLContext tls = pki.files(pki.issue("daemon", "ip:127.0.0.1")).load();
        TestChannel channel = TestChannel.withOneDomain();
        Callers callers = new Callers(List.of(SubjectPattern.parse("CN=admin")), List.of(SubjectPattern.parse("CN=host-*")), null);
        ChannelServer server = new ChannelServer(new InetSocketAddress("127.0.0.1", 0), tls,
                new ChannelHandler(channel.routes, callers, channel.engine::admits));
        server.start();
        try {
            String url = ChannelTls.url(server.address(), tls);
            HttpPeer driver = new HttpPeer(client(pki, url, "admin"));
            Messages.Begun begun = driver.begin(new Messages.Begin(TestChannel.DOMAIN, MigrationFlags.parse("offline,persistent"),
                    null, null, 0));
            driver.keepalive(begun.id(), begun.key());

            HttpPeer destination = new HttpPeer(client(pki, url, "host-b"));
            ChannelException e = assertThrows(ChannelException.class, () -> destination.keepalive(begun.id(), begun.key()));
            assertEquals("migration " + begun.id() + " leaves this host: only its driver, an operator, keeps it alive here,"
                    + " not a peer", e.getMessage());
            assertTrue("a definite answer", e.refused());
        } finally {
            server.stop();
        }
    }

    private static ControlClient client(TestPki pki, String url, String subject) throws Exception {
        Path store = pki.issue(subject, "dns:" + subject);
        return new ControlClient(url, pki.files(store).load());
    }
}
