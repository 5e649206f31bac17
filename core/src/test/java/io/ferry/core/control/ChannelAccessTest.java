package io.ferry.core.control;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.protocol.ChannelException;
import io.ferry.protocol.ControlClient;
import io.ferry.protocol.DaemonClient;
import io.ferry.protocol.DomainMessages.Done;
import io.ferry.protocol.HttpPeer;
import io.ferry.protocol.Messages;
import io.ferry.protocol.Messages.MigrationKey;
import io.ferry.protocol.MigrationFlags;
import io.ferry.protocol.Operation;
import io.ferry.protocol.xml.HardenedXmlParser;
import io.ferry.settings.SubjectPattern;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.ClassRule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * The routing table's roles over a real TLS channel: operators may call everything, peers only the calls of the
 * migrations they take part in, a certificate in neither list nothing; and how a path finds its route.
 */
public class ChannelAccessTest {
    @ClassRule
    public static final TemporaryFolder TEMP = new TemporaryFolder();
    /** The one migration this daemon knows, and its key. */
    private static final String KNOWN = "known-migration";
    private static final String KEY = "the-key";

    private static TestPki pki;
    private static ChannelServer listed;
    private static ChannelServer unlisted;
    private static String listedUrl;
    private static String unlistedUrl;
    /** The operator calls the servers' handlers ran: a call refused at the channel never counts. */
    private static final AtomicInteger OPERATOR_CALLS_RUN = new AtomicInteger();

    @BeforeClass
    public static void start() throws Exception {
        pki = new TestPki(TEMP.newFolder("ca").toPath(), UUID.randomUUID().toString());
        SSLContext daemon = pki.files(pki.issue("daemon", "ip:127.0.0.1")).load();
        Callers callers = new Callers(List.of(SubjectPattern.parse("CN=admin")), List.of(SubjectPattern.parse("CN=host-*")), null);
        listed = server(daemon, callers);
        unlisted = server(daemon, new Callers(List.of(), List.of(), null));
        listedUrl = ChannelTls.url(listed.address(), daemon);
        unlistedUrl = ChannelTls.url(unlisted.address(), daemon);
    }

    private static ChannelServer server(SSLContext tls, Callers callers) throws Exception {
        HardenedXmlParser parser = new HardenedXmlParser(64 * 1024, 16);
        Route.PartyKey inBody = call -> MigrationKey.fromXml(call.xml(parser, "migration message"));
        RouteTable routes = new RouteTable();
        for (Operation operation : List.of(Operation.LIST_DOMAINS, Operation.DEFINE, Operation.DESTROY, Operation.SNAPSHOT_CREATE,
                Operation.BEGIN, Operation.MIGRATE, Operation.JOB_ABORT)) {
            routes.add(Route.of(operation, Route.Access.OPERATOR, call -> {
                OPERATOR_CALLS_RUN.incrementAndGet();
                return Reply.xml(Done.of("done").toXml());
            }).body(64 * 1024, "body"));
        }
        routes.add(Route.of(Operation.VERSION, Route.Access.ANY, call -> Reply.xml("<version ferry='1' protocols='3'/>")));
        for (Operation operation : List.of(Operation.PREPARE, Operation.FINISH, Operation.KEEPALIVE)) {
            routes.add(Route.of(operation, Route.Access.PARTY, call -> Reply.xml("<alive/>")).body(64 * 1024, "migration message")
                    .party(inBody));
        }
        routes.add(Route.of(Operation.FATE, Route.Access.PARTY, call -> Reply.xml(new Messages.Fate(call.parameter(0),
                Messages.Outcome.UNKNOWN).toXml())).party(call -> new MigrationKey(call.parameter(0), call.header(HttpPeer.KEY_HEADER))));
        ChannelServer server = new ChannelServer(new InetSocketAddress("127.0.0.1", 0), tls,
                new ChannelHandler(routes, callers, (id, key) -> !id.equals(KNOWN) || KEY.equals(key)));
        server.start();
        return server;
    }

    @AfterClass
    public static void stop() {
        for (ChannelServer server : new ChannelServer[] {listed, unlisted}) {
            if (server != null) {
                server.stop();
            }
        }
    }

    @Test
    public void anOperatorMayCallEverything() throws Exception {
        ControlClient admin = client(listedUrl, "admin");
        new DaemonClient(admin).domains();
        new DaemonClient(admin).destroy("vm1");
        new HttpPeer(admin).keepalive(KNOWN, "not-the-key"); // the engine checks an operator's key itself
        assertEquals(Messages.Outcome.UNKNOWN, new HttpPeer(admin).fate(KNOWN, null).outcome());
    }

    @Test
    public void aPeerIsRefusedAllButTheCallsOfItsMigrations() throws Exception {
        ControlClient peer = client(listedUrl, "host-b");
        DaemonClient daemon = new DaemonClient(peer);
        String refusal = "certificate subject 'CN=host-b' is a peer of this daemon: it may take part in migrations, not ";
        assertRefused(refusal + "list-domains", daemon::domains);
        assertRefused(refusal + "define", () -> daemon.define("<domain/>".getBytes()));
        assertRefused(refusal + "destroy", () -> {
            daemon.destroy("vm1");
            return null;
        });
        assertRefused(refusal + "snapshot-create", () -> daemon.createSnapshot("vm1", "s1", null));
        assertRefused(refusal + "job-abort", () -> daemon.abortJob("vm1"));
        assertRefused(refusal + "begin", () -> new HttpPeer(peer).begin(new Messages.Begin("vm1", MigrationFlags.parse("live"), null,
                null, 0)));
        assertRefused(refusal + "migrate", () -> daemon.migrate(new Messages.Migrate("vm1", "ferry+tls://x:1", MigrationFlags.parse(""),
                null, null, 0)));

        HttpPeer migrating = new HttpPeer(peer);
        assertEquals(List.of(3), daemon.version().protocols());
        migrating.keepalive(KNOWN, KEY);
        migrating.keepalive("a-fresh-migration", "its-fresh-key");
        assertEquals(Messages.Outcome.UNKNOWN, migrating.fate(KNOWN, KEY).outcome());
        String notParty = "certificate subject 'CN=host-b' is a peer that does not take part in migration " + KNOWN;
        assertRefused(notParty, () -> {
            migrating.keepalive(KNOWN, "someone-elses-key");
            return null;
        });
        assertRefused(notParty, () -> migrating.fate(KNOWN, null));
        assertRefused(notParty, () -> migrating.finish(new Messages.Finish(KNOWN, "guessed", true, null)));
    }

    @Test
    public void aCertificateInNeitherListIsRefusedNamingItsSubject() throws Exception {
        DaemonClient stranger = new DaemonClient(client(listedUrl, "stranger"));
        String refusal = "certificate subject 'CN=stranger' is neither an operator nor a peer of this daemon (tlsAllowOperators, "
                + "tlsAllowPeers)";
        assertRefused(refusal, stranger::version);
        assertRefused(refusal, stranger::domains);
        HttpPeer asPeer = new HttpPeer(client(listedUrl, "stranger"));
        assertRefused(refusal, () -> asPeer.fate("x", null));
        assertRefused(refusal, () -> stranger.snapshotXml("vm1", "s1"));
        ChannelException malformed = assertThrows(ChannelException.class, () -> new DaemonClient(client(listedUrl, "admin"))
                .snapshotXml("vm1", "no/such/path"));
        assertEquals("Ambiguous URI path separator", malformed.getMessage()); // Jetty's refusal, as the channel's error
    }

    /** A refused subject is the client's text (RFC 2253 keeps control characters): logged, it stays one line. */
    @Test
    public void aRefusedSubjectIsQuotedOnOneLine() {
        Callers callers = new Callers(List.of(SubjectPattern.parse("CN=admin")), List.of(), null);
        assertEquals("certificate subject 'CN=a\\u000aFORGED' is neither an operator nor a peer of this daemon "
                + "(tlsAllowOperators, tlsAllowPeers)", callers.role("CN=a\nFORGED").refusal());
    }

    /** Refused on every request, a certificate in neither list keeps no connection that others need. */
    @Test(timeout = 60_000)
    public void aCertificateInNeitherListIsRefusedAndItsConnectionClosed() throws Exception {
        InetSocketAddress address = listed.address();
        SSLContext tls = tls("stranger");
        try (Socket stranger = tls.getSocketFactory().createSocket(address.getAddress(), address.getPort())) {
            RawHttp.assertRefusedAndClosed(stranger);
        }
    }

    @Test
    public void withoutListsEveryCertificateOfTheCaIsAnOperator() throws Exception {
        int before = OPERATOR_CALLS_RUN.get();
        new DaemonClient(client(unlistedUrl, "stranger")).domains();
        new DaemonClient(client(unlistedUrl, "host-c")).destroy("vm1");
        assertEquals(before + 2, OPERATOR_CALLS_RUN.get());
        assertEquals("what the start log says", "no tlsAllowOperators or tlsAllowPeers: every certificate the trust store's CA"
                + " signed is an operator", new Callers(List.of(), List.of(), null).describe());
    }

    @Test
    public void aPathFindsItsRouteOrSaysWhatIsWrong() throws Exception {
        RouteTable routes = new RouteTable();
        Route.Handler none = call -> Reply.xml("<x/>");
        routes.add(Route.of(Operation.FATE, Route.Access.PARTY, none)).add(Route.of(Operation.SETTLE, Route.Access.PARTY, none))
                .add(Route.of(Operation.DOMAIN_INFO, Route.Access.OPERATOR, none));
        assertEquals(Operation.SETTLE, routes.find("POST", List.of("migration", "settle")).route().operation());
        RouteTable.Match fate = routes.find("GET", List.of("migration", "1f0c"));
        assertEquals(Operation.FATE, fate.route().operation());
        assertEquals(List.of("1f0c"), fate.parameters());
        assertEquals("use GET /v1/domains/vm1", assertThrows(BadRequest.class, () -> routes.find("POST", List.of("domains", "vm1")))
                .getMessage());
        BadRequest unknown = assertThrows(BadRequest.class, () -> routes.find("GET", List.of("domains", "vm1", "nothing")));
        assertEquals(404, unknown.status);
        assertEquals("no such resource: /v1/domains/vm1/nothing", unknown.getMessage());
        assertEquals("domains/a%20b%2Fc/snapshots/s%C3%A9", Operation.SNAPSHOT_XML.path("a b/c", "sé"));
        assertThrows(IllegalStateException.class, () -> routes.add(Route.of(Operation.FATE, Route.Access.ANY, none)));
    }

    private static ControlClient client(String url, String subject) throws Exception {
        return new ControlClient(url, tls(subject));
    }

    /** The TLS identity {@code CN=subject}, its certificate issued on first use. */
    private static SSLContext tls(String subject) throws Exception {
        Path store = pki.dir.resolve(subject + ".p12");
        if (!store.toFile().exists()) {
            pki.issue(subject, "dns:" + subject);
        }
        return pki.files(store).load();
    }

    /** A call of the channel, for {@link #assertRefused}. */
    interface Call0 {
        Object call() throws ChannelException;
    }

    /** The call is refused with {@code message}: a definite answer. */
    static void assertRefused(String message, Call0 call) {
        ChannelException e = assertThrows(ChannelException.class, call::call);
        assertEquals(message, e.getMessage());
        assertTrue("a definite answer", e.refused());
    }
}
