package io.ferry.core.control;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.protocol.ChannelException;
import io.ferry.protocol.ControlClient;
import io.ferry.protocol.TlsFiles;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.ClassRule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** The control channel's mutual TLS: the daemon's server as ChannelTls makes it, against ControlClient. */
public class ChannelTlsTest {
    @ClassRule
    public static final TemporaryFolder TEMP = new TemporaryFolder();

    private static TestPki pki;
    private static TestPki otherPki;
    private static Path clientStore;
    private static ChannelServer server;
    private static String url;
    private static final AtomicInteger SERVED = new AtomicInteger();

    @BeforeClass
    public static void startServer() throws Exception {
        String password = UUID.randomUUID().toString();
        pki = new TestPki(TEMP.newFolder("ca").toPath(), password);
        otherPki = new TestPki(TEMP.newFolder("other-ca").toPath(), password);
        // the daemon's certificate names the loopback address only: localhost must fail hostname verification
        Path serverStore = pki.issue("daemon", "ip:127.0.0.1");
        clientStore = pki.issue("client", "dns:client");
        SSLContext tls = pki.files(serverStore).load();
        server = new ChannelServer(new InetSocketAddress("127.0.0.1", 0), tls, new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) {
                SERVED.incrementAndGet();
                EndPoint.SslSessionData session = request.getConnectionMetaData().getConnection().getEndPoint().getSslSessionData();
                String body = "<who protocol='" + session.sslSession().getProtocol() + "' peer='"
                        + session.peerCertificates()[0].getSubjectX500Principal().getName() + "'/>";
                Content.Sink.write(response, true, body, callback);
                return true;
            }
        });
        server.start();
        url = ChannelTls.url(server.address(), tls);
    }

    @AfterClass
    public static void stopServer() {
        if (server != null) {
            server.stop();
        }
    }

    /** Listening on every address, the channel's URI names this host: 0.0.0.0 would send a peer that calls it to itself. */
    @Test
    public void aWildcardListenAddressIsPublishedAsThisHostsName() throws Exception {
        String host = InetAddress.getLocalHost().getHostName();

        assertEquals("ferry+tcp://" + host + ":16509", ChannelTls.url(new InetSocketAddress("0.0.0.0", 16509), null));
        SSLContext tls = SSLContext.getDefault();
        assertEquals("ferry+tls://" + host + ":16514", ChannelTls.url(new InetSocketAddress("::", 16514), tls));
        assertEquals("ferry+tcp://127.0.0.1:16509", ChannelTls.url(new InetSocketAddress("127.0.0.1", 16509), null));
    }

    @Test
    public void aClientWithACertificateOfTheCaIsServedOverTls13() throws Exception {
        assertTrue(url, url.startsWith("ferry+tls://127.0.0.1:"));
        String reply = new ControlClient(url, pki.files(clientStore).load()).get("who");
        assertEquals("<who protocol='TLSv1.3' peer='CN=client'/>", reply);
    }

    @Test
    public void aClientWithoutCertificateIsRefusedBeforeAnyRequestIsServed() throws Exception {
        SSLContext noCertificate = new TlsFiles(null, pki.truststore, pki.password).load();
        assertRefusedUnserved(new ControlClient(url, noCertificate));
    }

    @Test
    public void aClientWithTheCertificateOfAnotherCaIsRefusedBeforeAnyRequestIsServed() throws Exception {
        Path rogue = otherPki.issue("rogue", "ip:127.0.0.1");
        SSLContext trustsTheDaemon = new TlsFiles(rogue, pki.truststore, pki.password).load();
        assertRefusedUnserved(new ControlClient(url, trustsTheDaemon));
    }

    private static void assertRefusedUnserved(ControlClient client) {
        int served = SERVED.get();
        ChannelException e = assertThrows(ChannelException.class, () -> client.get("who"));
        assertTrue(e.getMessage(), e.getMessage().startsWith("TLS ") && e.getMessage().contains(url) && e.getMessage().contains("certificate"));
        assertFalse(e.getMessage(), e.getMessage().contains("\n"));
        assertEquals("no request was served", served, SERVED.get());
    }

    @Test
    public void theDaemonMustHoldACertificateForTheHostOfTheUri() throws Exception {
        String byName = url.replace("127.0.0.1", "localhost");
        ChannelException e = assertThrows(ChannelException.class, () -> new ControlClient(byName, pki.files(clientStore).load()).get("who"));
        assertEquals("TLS handshake with " + byName + " failed: No name matching localhost found", e.getMessage());
        assertTrue("nothing was done", e.refused());
    }

    @Test
    public void aDaemonSignedByAnotherCaIsNotTrusted() throws Exception {
        SSLContext trustsOtherCa = new TlsFiles(clientStore, otherPki.truststore, pki.password).load();
        ChannelException e = assertThrows(ChannelException.class, () -> new ControlClient(url, trustsOtherCa).get("who"));
        assertTrue(e.getMessage(), e.getMessage().startsWith("TLS handshake with " + url + " failed: PKIX path"));
        assertTrue(e.getMessage(), e.getMessage().endsWith("(the daemon's certificate is not signed by a CA of this side's trust store)"));
    }

    @Test(timeout = 30_000)
    public void plainHttpToTheTlsChannelFailsAndSaysWhy() throws Exception {
        String plain = url.replace("ferry+tls://", "ferry+tcp://");
        ChannelException e = assertThrows(ChannelException.class, () -> new ControlClient(plain).get("who"));
        assertTrue(e.getMessage(), e.getMessage().startsWith("connection to " + plain + " lost: ") && e.getMessage().contains("ferry+tls://"));
    }

    @Test(timeout = 60_000)
    public void tlsToAPlainChannelFailsAndSaysWhy() throws Exception {
        ChannelServer plain = new ChannelServer(new InetSocketAddress("127.0.0.1", 0), null, new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) {
                callback.succeeded();
                return true;
            }
        });
        plain.start();
        try {
            String plainUrl = ChannelTls.url(plain.address(), null);
            assertTrue(plainUrl, plainUrl.startsWith("ferry+tcp://127.0.0.1:"));
            String asTls = plainUrl.replace("ferry+tcp://", "ferry+tls://");
            ChannelException e = assertThrows(ChannelException.class, () -> new ControlClient(asTls, pki.files(clientStore).load()).get("who"));
            // a plain HTTP server answers the ClientHello with an HTTP error at once
            assertEquals("TLS handshake with " + asTls + " failed: Unsupported or unrecognized SSL message (the daemon there"
                    + " answered in plain TCP, not TLS: its channel is " + plainUrl + "; give that daemon --tls-* files to serve"
                    + " TLS)", e.getMessage());
            assertTrue(e.refused());
        } finally {
            plain.stop();
        }
    }

    @Test
    public void aDaemonWithoutTlsCannotCallATlsPeer() {
        ChannelException e = assertThrows(ChannelException.class, () -> new ControlClient(url, (SSLContext) null));
        assertEquals("cannot reach " + url + ": this daemon has no TLS keystore configured", e.getMessage());
    }

    @Test
    public void brokenFilesAreNamed() throws Exception {
        Path wrongPassword = secret(Files.writeString(TEMP.newFile().toPath(), "not-the-password\n"));
        assertSetupFails(new TlsFiles(clientStore, pki.truststore, wrongPassword),
                "cannot read keystore " + clientStore + " (PKCS12): keystore password was incorrect");
        Path missing = pki.dir.resolve("missing.p12");
        assertSetupFails(pki.files(missing), "cannot read keystore " + missing + " (PKCS12): no such file");
        assertSetupFails(pki.files(pki.truststore), "keystore " + pki.truststore + " holds no private key");
        assertSetupFails(new TlsFiles(clientStore, clientStore, pki.password), "trust store " + clientStore + " holds no trusted certificate");
        Path empty = secret(TEMP.newFile().toPath());
        assertSetupFails(new TlsFiles(clientStore, pki.truststore, empty), "cannot read password file " + empty + ": " + empty
                + " is empty: its first line must hold the secret");
        Path notPkcs12 = Files.writeString(TEMP.newFile().toPath(), "hello");
        TlsFiles.TlsException e = assertThrows(TlsFiles.TlsException.class, () -> pki.files(notPkcs12).load());
        assertTrue(e.getMessage(), e.getMessage().startsWith("cannot read keystore " + notPkcs12 + " (PKCS12): "));
    }

    /**
     * A password file its group or others may read gives the keystore's key away to any local user who can read the
     * keystore: refused, as ssh refuses a private key open to others, naming the file and the mend.
     */
    @Test
    public void aPasswordFileOthersMayReadIsRefused() throws Exception {
        Path open = Files.copy(pki.password, TEMP.getRoot().toPath().resolve("open-password"));
        for (String permissions : List.of("rw-r--r--", "rw-r-----", "rw-----w-")) {
            Files.setPosixFilePermissions(open, PosixFilePermissions.fromString(permissions));
            assertSetupFails(new TlsFiles(clientStore, pki.truststore, open), "cannot read password file " + open + ": " + open
                    + " holds a secret but is open to its group or others (" + permissions + "): chmod 600 " + open);
        }
        Path link = Files.createSymbolicLink(TEMP.getRoot().toPath().resolve("linked-password"), pki.password);
        assertSetupFails(new TlsFiles(clientStore, pki.truststore, link), "cannot read password file " + link + ": " + link
                + " is a symbolic link: name the file itself");
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rw-------"));
        new TlsFiles(clientStore, pki.truststore, open).load();
    }

    private static Path secret(Path file) throws IOException {
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        return file;
    }

    private static void assertSetupFails(TlsFiles files, String message) {
        TlsFiles.TlsException e = assertThrows(TlsFiles.TlsException.class, files::load);
        assertEquals(message, e.getMessage());
    }
}
