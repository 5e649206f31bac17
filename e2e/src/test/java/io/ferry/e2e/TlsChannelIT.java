package io.ferry.e2e;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.BeforeClass;
import org.junit.Test;

/**
 * ferry+tls://: a ferryd with mutual TLS from the files of bin/ferry-make-test-ca, the clients it serves, and
 * the ones it refuses: no certificate, a certificate of another CA, plain HTTP.
 */
public class TlsChannelIT {
    private static Path ca;
    private static Path otherCa;

    @BeforeClass
    public static void makeCertificates() throws Exception {
        Path dir = Files.createDirectories(Installation.WORK.resolve("tls-" + System.nanoTime()));
        ca = dir.resolve("ca");
        otherCa = dir.resolve("other-ca");
        run(List.of(script(), ca.toString(), "host-a", "client"));
        run(List.of(script(), otherCa.toString(), "client"));
        // the other CA's client, trusting the daemon: only its own certificate is wrong
        run(List.of(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(), "-importcert", "-noprompt",
                "-alias", "ca", "-file", ca.resolve("ca.crt").toString(), "-keystore", otherCa.resolve("trusts-ca.p12").toString(),
                "-storetype", "PKCS12", "-storepass:file", otherCa.resolve("password").toString()));
    }

    @Test
    public void theDaemonServesClientsOfItsCaAndRefusesTheOthers() throws Exception {
        try (DaemonProcess daemon = DaemonProcess.start("tls-a", daemonFlags(ca.resolve("password")))) {
            String url = daemon.url();
            assertTrue(url, url.matches("ferry\\+tls://127\\.0\\.0\\.1:\\d+"));
            String port = url.substring(url.lastIndexOf(':') + 1);
            Map<String, String> client = client(ca.resolve("client.p12"), ca.resolve("truststore.p12"), ca.resolve("password"));

            assertServed(Installation.ferry(client, "-c", url, "sections"));
            assertServed(Installation.ferry(client, "-c", "ferry+tls://localhost:" + port, "sections"));

            Installation.Result anonymous = Installation.ferry(
                    Map.of("FERRY_TLS_TRUSTSTORE", ca.resolve("truststore.p12").toString(), "FERRY_TLS_PASSWORD_FILE", ca.resolve("password").toString()),
                    "-c", url, "sections");
            // TLS 1.3: the daemon's alert comes after the client's handshake, before or after the client's request went out
            assertOneLineError(anonymous, "error: TLS ");
            assertTrue(anonymous.err(), refusedBeforeAnswering(anonymous, url));
            assertTrue(anonymous.err(), anonymous.err().contains("(no client certificate: FERRY_TLS_KEYSTORE is not set)"));

            Installation.Result stranger = Installation.ferry(
                    client(otherCa.resolve("client.p12"), otherCa.resolve("trusts-ca.p12"), otherCa.resolve("password")), "-c", url, "sections");
            assertOneLineError(stranger, "error: TLS ");
            assertTrue(stranger.err(), refusedBeforeAnswering(stranger, url));
            assertTrue(stranger.err(), stranger.err().contains("(the daemon refused this side's certificate)")
                    || stranger.err().contains("(does it refuse this side's certificate?)"));

            Installation.Result distrusting = Installation.ferry(
                    client(otherCa.resolve("client.p12"), otherCa.resolve("truststore.p12"), otherCa.resolve("password")), "-c", url, "sections");
            assertOneLineError(distrusting, "error: TLS handshake with " + url + " failed: PKIX path building failed");
            assertTrue(distrusting.err(), distrusting.err().contains("(the daemon's certificate is not signed by a CA of this side's trust store)"));

            Installation.Result plain = Installation.ferry(client, "-c", "ferry+tcp://127.0.0.1:" + port, "sections");
            assertOneLineError(plain, "error: connection to ferry+tcp://127.0.0.1:" + port + " lost: ");
            assertTrue(plain.err(), plain.err().contains("is it a ferry+tls:// channel?"));

            Installation.Result unconfigured = Installation.ferry("-c", url, "sections");
            assertOneLineError(unconfigured, "error: " + url + " needs a client certificate: set FERRY_TLS_KEYSTORE, FERRY_TLS_TRUSTSTORE and FERRY_TLS_PASSWORD_FILE");

            assertServed(Installation.ferry(client, "-c", url, "sections"));
            assertEquals("the JVM's status for a SIGTERM it handled", 143, daemon.terminate());
        }
    }

    @Test
    public void aKeystoreThatCannotBeReadStopsTheDaemonWithALineNamingIt() throws Exception {
        DaemonProcess.Refusal refusal = DaemonProcess.refused(Installation.HOME, daemonFlags(otherCa.resolve("password")));
        String problem = "TLS setup failed: cannot read keystore " + ca.resolve("host-a.p12") + " (PKCS12): keystore password was incorrect";
        assertEquals(refusal.toString(), 1, refusal.exit());
        assertEquals("ferryd: " + problem + "\n", refusal.stderr());
        assertTrue(refusal.log(), refusal.log().contains("ERROR i.f.core.daemon.Daemon - TLS setup failed, the daemon does not start: "
                + problem.substring("TLS setup failed: ".length())));
    }

    @Test
    public void theScriptMakesPrivateFilesWithRandomPasswordsAndExplainsItself() throws Exception {
        String password = Files.readString(ca.resolve("password"), StandardCharsets.US_ASCII).trim();
        assertTrue(password, password.matches("[0-9a-f]{64}"));
        assertNotEquals(password, Files.readString(otherCa.resolve("password"), StandardCharsets.US_ASCII).trim());
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(ca.resolve("password"))));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(ca.resolve("host-a.p12"))));

        Process usage = new ProcessBuilder(script(), ca.toString()).redirectErrorStream(true).start();
        String output = new String(usage.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(usage.waitFor(60, TimeUnit.SECONDS));
        assertEquals(output, 2, usage.exitValue());
        assertTrue(output, output.startsWith("usage: ferry-make-test-ca DIR NAME..."));

        Process again = new ProcessBuilder(script(), ca.toString(), "client").redirectErrorStream(true).start();
        String refusal = new String(again.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(again.waitFor(60, TimeUnit.SECONDS));
        assertEquals(refusal, 1, again.exitValue());
        assertEquals("ferry-make-test-ca: " + ca.resolve("client.p12") + " exists; not replacing it\n", refusal);
    }

    private static String[] daemonFlags(Path passwordFile) {
        return new String[] {"--tls-keystore", ca.resolve("host-a.p12").toString(), "--tls-truststore",
                ca.resolve("truststore.p12").toString(), "--tls-password-file", passwordFile.toString()};
    }

    private static Map<String, String> client(Path keystore, Path truststore, Path passwordFile) {
        return Map.of("FERRY_TLS_KEYSTORE", keystore.toString(), "FERRY_TLS_TRUSTSTORE", truststore.toString(),
                "FERRY_TLS_PASSWORD_FILE", passwordFile.toString());
    }

    private static void assertServed(Installation.Result result) {
        assertEquals(result.toString(), 0, result.exit());
        assertTrue(result.out(), result.out().lines().anyMatch(line -> line.startsWith(" persistent ")));
    }

    private static void assertOneLineError(Installation.Result result, String start) {
        assertEquals(result.toString(), 1, result.exit());
        assertEquals(result.toString(), "", result.out());
        assertTrue(result.err(), result.err().startsWith(start));
        assertEquals("one line: " + result.err(), result.err().length() - 1, result.err().indexOf('\n'));
    }

    private static boolean refusedBeforeAnswering(Installation.Result result, String url) {
        return result.err().startsWith("error: TLS handshake with " + url + " failed: Received fatal alert: ")
                || result.err().startsWith("error: TLS connection to " + url + " closed by the daemon before it answered: ");
    }

    private static String script() {
        return Installation.HOME.resolve("bin/ferry-make-test-ca").toString();
    }

    private static void run(List<String> command) throws Exception {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(120, TimeUnit.SECONDS) || process.exitValue() != 0) {
            throw new AssertionError(String.join(" ", command) + " failed:\n" + output);
        }
    }
}
