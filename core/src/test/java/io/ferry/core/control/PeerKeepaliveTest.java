package io.ferry.core.control;

import static io.ferry.core.control.ChannelAccessTest.assertRefused;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.protocol.ChannelException;
import io.ferry.protocol.ControlClient;
import io.ferry.protocol.DaemonClient;
import io.ferry.protocol.HttpPeer;
import io.ferry.protocol.Messages;
import io.ferry.protocol.MigrationFlags;
import io.ferry.settings.SubjectPattern;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.UUID;
import javax.net.ssl.SSLContext;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.ClassRule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * A keepalive is its driver's sign of life: while one comes, the watchdog leaves the migration claiming its domain
 * (and, arriving, its paused VM and data port). Only the driver may send it, or an operator: a peer holding the key
 * that does not drive the migration (the destination of a source's, the source of a destination's that the command
 * line drives) would keep it for as long as that peer pleases after its driver died.
 */
public class PeerKeepaliveTest {
    @ClassRule
    public static final TemporaryFolder TEMP = new TemporaryFolder();

    private static TestPki pki;
    private static TestChannel channel;
    private static ChannelServer server;
    private static HttpPeer admin;
    private static HttpPeer hostA;
    private static HttpPeer hostB;

    @BeforeClass
    public static void start() throws Exception {
        pki = new TestPki(TEMP.newFolder("ca").toPath(), UUID.randomUUID().toString());
        SSLContext tls = pki.files(pki.issue("daemon", "ip:127.0.0.1")).load();
        channel = TestChannel.withOneDomain();
        Callers callers = new Callers(List.of(SubjectPattern.parse("CN=daemon")), List.of(SubjectPattern.parse("CN=host-*")), null);
        server = new ChannelServer(new InetSocketAddress("127.0.0.1", 0), tls,
                new ChannelHandler(channel.routes, callers, channel.engine::admits));
        server.start();
        String url = ChannelTls.url(server.address(), tls);
        admin = new HttpPeer(new ControlClient(url, tls)); // the daemon's certificate serves as the operator's
        hostA = new HttpPeer(client(url, "host-a"));
        hostB = new HttpPeer(client(url, "host-b"));
    }

    @AfterClass
    public static void stop() {
        if (server != null) {
            server.stop();
        }
    }

    /** Nor may a peer suspend a domain, not even one that migrates out (migrate --timeout's suspend is its operator's). */
    @Test(timeout = 120_000)
    public void aPeerMayNotSuspendADomain() throws Exception {
        DaemonClient peer = new DaemonClient(hostA.client());
        Messages.Begun begun = admin.begin(new Messages.Begin(TestChannel.DOMAIN, MigrationFlags.parse("offline,persistent"),
                null, null, 0));
        String refusal = "certificate subject 'CN=host-a' is a peer of this daemon: it may take part in migrations, not ";

        assertRefused(refusal + "suspend", () -> peer.suspend(TestChannel.DOMAIN));
        assertRefused(refusal + "suspend", () -> peer.suspendForMigration(TestChannel.DOMAIN, begun.id()));
        admin.confirm(new Messages.Confirm(begun.id(), begun.key(), true, null));
    }

    @Test(timeout = 120_000)
    public void aPeerHoldingTheKeyCannotKeepTheSourceSideAlive() throws Exception {
        Messages.Begun begun = admin.begin(new Messages.Begin(TestChannel.DOMAIN, MigrationFlags.parse("offline,persistent"),
                null, null, 0));
        admin.keepalive(begun.id(), begun.key());

        ChannelException e = assertThrows(ChannelException.class, () -> hostB.keepalive(begun.id(), begun.key()));
        assertEquals("migration " + begun.id() + " leaves this host: only its driver, an operator, keeps it alive here,"
                + " not a peer", e.getMessage());
        assertTrue("a definite answer", e.refused());
    }

    @Test(timeout = 120_000)
    public void onlyThePeerThatPreparedAnArrivingMigrationKeepsItAlive() throws Exception {
        Messages.Prepare byHostA = prepare("vm-a");
        hostA.prepare(byHostA);
        hostA.keepalive(byHostA.id(), byHostA.key());
        admin.keepalive(byHostA.id(), byHostA.key());
        assertRefused("migration " + byHostA.id() + " arrives here driven by certificate subject 'CN=host-a': only its driver, or"
                + " an operator, keeps it alive here", () -> {
            hostB.keepalive(byHostA.id(), byHostA.key());
            return null;
        });

        // the command line drives it: its source daemon holds the key but drives nothing
        Messages.Prepare byAnOperator = prepare("vm-b");
        admin.prepare(byAnOperator);
        admin.keepalive(byAnOperator.id(), byAnOperator.key());
        assertRefused("migration " + byAnOperator.id() + " arrives here driven by an operator: only its driver, or an operator,"
                + " keeps it alive here", () -> {
            hostA.keepalive(byAnOperator.id(), byAnOperator.key());
            return null;
        });
    }

    /** An offline Prepare of protocol 2 (no cookie to bake on another host) of a domain new here. */
    private static Messages.Prepare prepare(String domain) throws ChannelException {
        String xml = "<domain type='sim'><name>" + domain + "</name><uuid>" + UUID.randomUUID() + "</uuid>"
                + "<memory unit='MiB'>16</memory><vcpu>1</vcpu></domain>";
        return new Messages.Prepare(UUID.randomUUID().toString(), "k".repeat(40), MigrationFlags.parse("offline,v2"), xml, null,
                List.of(), "ferry+tls://host-a:16514");
    }

    private static ControlClient client(String url, String subject) throws Exception {
        return new ControlClient(url, pki.files(pki.issue(subject, "dns:" + subject)).load());
    }
}
