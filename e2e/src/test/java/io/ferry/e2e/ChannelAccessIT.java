package io.ferry.e2e;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.BeforeClass;
import org.junit.Test;

/**
 * Who may drive a daemon, with real daemons: plain TCP only on loopback unless --insecure-tcp says otherwise; on
 * TLS, operators and peers by certificate subject, and nobody else; two daemons that know each other as peers
 * migrate (peer-to-peer, direct and tunnelled, with snapshots) while a peer's certificate may do nothing else.
 */
public class ChannelAccessIT {
    private static TestCa ca;

    @BeforeClass
    public static void makeCertificates() throws Exception {
        ca = TestCa.make("access", "host-a", "host-b", "client", "stranger");
    }

    @Test
    public void plainTcpOffLoopbackIsRefusedWithOneLineUnlessInsecureTcpIsGiven() throws Exception {
        DaemonProcess.Refusal refusal = DaemonProcess.refused(Installation.HOME, "--listen", "0.0.0.0:0");
        assertEquals(refusal.toString(), 1, refusal.exit());
        assertEquals("ferryd: plain TCP serves loopback only: listening on 0.0.0.0:0 needs TLS (--tls-keystore, --tls-truststore, "
                + "--tls-password-file), or --insecure-tcp (insecureTcp) to let anyone who reaches it drive this daemon\n", refusal.stderr());

        try (DaemonProcess open = DaemonProcess.start("insecure", "--listen", "0.0.0.0:0", "--insecure-tcp")) {
            String url = open.url();
            assertTrue(url, url.startsWith("ferry+tcp://") && !url.contains("127.0.0.1"));
            open.ferryOk("list", "--all");
            assertTrue(open.log(), open.log().contains("ControlServer - insecure TCP (insecureTcp): the control channel is plain TCP "
                    + "off loopback, so anyone who reaches " + url + " may drive this daemon"));
        }
    }

    /**
     * Plain TCP on loopback: another local user reaches the port but cannot read the operator token the daemon wrote
     * for its own user (here: a command that looks for it elsewhere), and may do nothing, not even define a domain.
     * insecureTcp changes nothing on loopback, and the log says so.
     */
    @Test
    public void onPlainTcpALocalClientWithoutTheDaemonsOperatorTokenDrivesNothing() throws Exception {
        try (DaemonProcess daemon = DaemonProcess.start("token", "--insecure-tcp")) {
            Path elsewhere = Files.createDirectories(Installation.WORK.resolve("tokens-" + System.nanoTime()));
            Map<String, String> otherUser = Map.of("FERRY_TOKEN_DIR", elsewhere.toString());
            SimDomain vm = SimDomain.idle("intruder", 16);

            Installation.Result list = Installation.ferry(otherUser, "-c", daemon.url(), "list", "--all");
            Installation.Result define = Installation.ferry(otherUser, "-c", daemon.url(), "define", vm.file().toString());

            String refusal = "error: no operator token (Ferry-Operator-Token): on plain TCP only the user this daemon runs as may"
                    + " drive it, with the token the daemon wrote for that user when it started (run ferry as that user), or use TLS\n";
            assertEquals(list.toString(), refusal, list.err());
            assertEquals(define.toString(), refusal, define.err());
            assertEquals(1, define.exit());
            assertTrue(daemon.log(), daemon.log().contains("operator token for plain TCP written to "));
            assertTrue(daemon.log(), daemon.log().contains("insecureTcp is set but has no effect: the control channel is on"
                    + " loopback"));
            String listed = daemon.ferryOk("list", "--all").out(); // its own user drives it
            assertTrue(listed, !listed.contains("intruder"));
        }
    }

    /**
     * A daemon a test starts writes its operator token under the build (FERRY_TOKEN_DIR, set for every test JVM), where
     * the bin/ferry the test runs finds it: test runs wrote theirs to ~/.ferry/tokens, and each daemon a test killed
     * (which removes nothing) left its file there, some 2,000 of them. A daemon that stops withdraws it.
     */
    @Test
    public void aTestDaemonsTokenIsWrittenUnderTheBuildNotTheUsersHome() throws Exception {
        Path build = Installation.WORK.getParent(); // target/
        try (DaemonProcess daemon = DaemonProcess.start("tokens")) {
            String port = daemon.url().substring(daemon.url().lastIndexOf(':') + 1);
            Path token = build.resolve("ferry-tokens").resolve("127.0.0.1_" + port);
            assertTrue(daemon.log(), daemon.log().contains("operator token for plain TCP written to " + token + " "));
            daemon.ferryOk("list", "--all"); // bin/ferry found it there
            assertFalse("a token in the user's home", Files.exists(Path.of(System.getProperty("user.home"), ".ferry", "tokens",
                    token.getFileName().toString())));

            assertEquals("the JVM's status for a SIGTERM it handled", 143, daemon.terminate());
            assertFalse("withdrawn when the daemon stops", Files.exists(token));
        }
    }

    @Test
    public void aCertificateInNeitherListIsRefusedNamingItsSubject() throws Exception {
        try (DaemonProcess daemon = DaemonProcess.start("listed", tls("host-a"))) {
            String refusal = "certificate subject 'CN=stranger' is neither an operator nor a peer of this daemon (tlsAllowOperators, "
                    + "tlsAllowPeers)";
            Installation.Result stranger = ca.ferry("stranger", daemon, "list", "--all");
            assertEquals(stranger.toString(), "error: " + refusal + "\n", stranger.err());
            assertEquals(1, stranger.exit());
            assertTrue(daemon.log(), daemon.log().contains("Callers - " + refusal + " from 127.0.0.1:"));
            assertTrue(daemon.log(), daemon.log().contains("ControlServer - TLS clients: operators [CN=client], peers [CN=host-*]; any "
                    + "other certificate is refused"));
            assertEquals(0, ca.ferry("client", daemon, "list", "--all").exit());
        }
    }

    @Test
    public void peersMigrateButMayDoNothingElse() throws Exception {
        try (DaemonProcess a = DaemonProcess.start("host-a", tls("host-a")); DaemonProcess b = DaemonProcess.start("host-b", tls("host-b"))) {
            SimDomain direct = SimDomain.idle("peered", 16);
            SimDomain tunnelled = SimDomain.idle("tunnelled", 16);
            ok(a, "define", direct.file().toString());
            ok(a, "start", direct.name());
            ok(a, "snapshot-create-as", direct.name(), "before");
            ok(a, "define", tunnelled.file().toString());
            ok(a, "start", tunnelled.name());
            String digest = digest(a, direct.name());

            // host-b's certificate, as a command line would use it, on host-a: a peer
            String refusal = "error: certificate subject 'CN=host-b' is a peer of this daemon: it may take part in migrations, not ";
            assertRefused(refusal + "define", ferry("host-b", a, "define", SimDomain.idle("intruder", 16).file().toString()));
            assertRefused(refusal + "destroy", ferry("host-b", a, "destroy", direct.name()));
            assertRefused(refusal + "snapshot-create", ferry("host-b", a, "snapshot-create-as", direct.name(), "mine"));
            assertRefused(refusal + "snapshot-list", ferry("host-b", a, "snapshot-list", direct.name()));
            assertRefused(refusal + "list-domains", ferry("host-b", a, "list", "--all"));
            assertRefused(refusal + "migrate", ferry("host-b", a, "migrate", "--live", "--p2p", direct.name(), b.url()));
            assertEquals("running (booted)", state(a, direct.name()));

            ok(a, "migrate", "--live", "--p2p", direct.name(), b.url());
            ok(a, "migrate", "--live", "--p2p", "--tunnelled", tunnelled.name(), b.url());
            assertEquals("running (migrated)", state(b, direct.name()));
            assertEquals("running (migrated)", state(b, tunnelled.name()));
            assertEquals(digest, digest(b, direct.name()));
            assertTrue(ok(b, "snapshot-list", direct.name()).out().contains(" before "));
            Installation.Result left = ferry("client", a, "dominfo", direct.name());
            assertTrue(left.toString(), left.exit() != 0 || !left.out().contains("State:          running"));

            assertTrue(a.log(), a.log().contains("INFO  io.ferry.audit - CN=client (operator) migrate domain " + direct.name() + ": ok"));
            assertTrue(a.log(), a.log().contains("INFO  io.ferry.audit - CN=host-b (peer) define -: refused: " + refusal.substring(7)
                    + "define"));
            assertTrue(b.log(), b.log().matches("(?s).*INFO  io\\.ferry\\.audit - CN=host-a \\(peer\\) prepare migration [0-9a-f-]+: ok.*"));
            assertTrue(b.log(), b.log().matches("(?s).*INFO  io\\.ferry\\.audit - CN=host-a \\(peer\\) tunnel migration [0-9a-f-]+: ok.*"));
            assertTrue(b.log(), b.log().matches("(?s).*INFO  io\\.ferry\\.audit - CN=host-a \\(peer\\) finish migration [0-9a-f-]+: ok.*"));
            ok(b, "destroy", direct.name());
            ok(b, "destroy", tunnelled.name());
        }
    }

    private static String[] tls(String name) {
        return ca.daemonFlags(name);
    }

    private static Installation.Result ferry(String identity, DaemonProcess daemon, String... args) throws Exception {
        return ca.ferry(identity, daemon, args);
    }

    private static Installation.Result ok(DaemonProcess daemon, String... args) throws Exception {
        return ca.ok(daemon, args);
    }

    private static String state(DaemonProcess daemon, String domain) throws Exception {
        return ca.field(daemon, domain, "State:");
    }

    private static String digest(DaemonProcess daemon, String domain) throws Exception {
        return ca.field(daemon, domain, "Memory digest:");
    }

    private static void assertRefused(String line, Installation.Result result) {
        assertEquals(result.toString(), 1, result.exit());
        assertEquals(result.toString(), line + "\n", result.err());
    }
}
