package io.ferry.protocol;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyStore;
import java.util.Map;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * Where a client finds its TLS files: a system property wins over the environment; the password file is mandatory; a
 * store that holds nothing to use is refused naming it.
 */
public class TlsFilesTest {
    @Rule
    public TemporaryFolder folder = new TemporaryFolder();

    @Test
    public void nothingNamedIsNoTls() throws Exception {
        assertNull(TlsFiles.fromEnvironment(Map.<String, String>of()::get, Map.<String, String>of()::get));
        assertNull(TlsFiles.fromEnvironment(Map.<String, String>of()::get, Map.of(TlsFiles.PASSWORD_FILE_ENV, "pw")::get));
    }

    @Test
    public void aSystemPropertyWinsOverTheEnvironment() throws Exception {
        Map<String, String> environment = Map.of(TlsFiles.KEYSTORE_ENV, "env.p12", TlsFiles.TRUSTSTORE_ENV, "env-trust.p12",
                TlsFiles.PASSWORD_FILE_ENV, "env-password");
        Map<String, String> properties = Map.of(TlsFiles.KEYSTORE_PROPERTY, "/etc/ferry/prop.p12", TlsFiles.TRUSTSTORE_PROPERTY, " ");
        TlsFiles files = TlsFiles.fromEnvironment(properties::get, environment::get);
        assertEquals(Path.of("/etc/ferry/prop.p12"), files.keystore());
        assertEquals(Path.of("env-trust.p12").toAbsolutePath(), files.truststore());
        assertEquals(Path.of("env-password").toAbsolutePath(), files.passwordFile());
    }

    @Test
    public void aStoreWithoutPasswordFileIsAnError() {
        TlsFiles.TlsException e = assertThrows(TlsFiles.TlsException.class,
                () -> TlsFiles.fromEnvironment(Map.<String, String>of()::get, Map.of(TlsFiles.TRUSTSTORE_ENV, "/t.p12")::get));
        assertEquals("FERRY_TLS_PASSWORD_FILE (or -Dferry.tls.password.file) is not set: it names the file holding the password of /t.p12",
                e.getMessage());
    }

    @Test
    public void theSchemeDecidesTheTransport() throws Exception {
        ChannelException e = assertThrows(ChannelException.class, () -> new ControlClient("https://127.0.0.1:1"));
        assertTrue(e.getMessage(), e.getMessage().contains("expected ferry+tcp://HOST:PORT or ferry+tls://HOST:PORT"));
        assertEquals("ferry+tcp://127.0.0.1:1", new ControlClient("ferry+tcp://127.0.0.1:1", null).uri());
    }

    /** A daemon set up with such a keystore would start and then fail every handshake, saying nothing of its file. */
    @Test
    public void aKeystoreWithoutPrivateKeyIsRefusedNamingIt() throws Exception {
        Path store = emptyStore("keys.p12");
        TlsFiles.TlsException e = assertThrows(TlsFiles.TlsException.class, () -> new TlsFiles(store, null, password()).load());
        assertEquals("keystore " + store + " holds no private key", e.getMessage());
    }

    @Test
    public void aTrustStoreWithoutCertificateIsRefusedNamingIt() throws Exception {
        Path store = emptyStore("trust.p12");
        TlsFiles.TlsException e = assertThrows(TlsFiles.TlsException.class, () -> new TlsFiles(null, store, password()).load());
        assertEquals("trust store " + store + " holds no trusted certificate", e.getMessage());
    }

    /** The client's message, not the exception's bare path: which file of the three, and that it is not there. */
    @Test
    public void aMissingTrustStoreIsNamedAsMissing() throws Exception {
        Path store = folder.getRoot().toPath().resolve("nowhere.p12");
        TlsFiles.TlsException e = assertThrows(TlsFiles.TlsException.class, () -> new TlsFiles(null, store, password()).load());
        assertEquals("cannot read trust store " + store + " (PKCS12): no such file", e.getMessage());
    }

    private Path emptyStore(String name) throws Exception {
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        Path file = folder.getRoot().toPath().resolve(name);
        try (OutputStream out = Files.newOutputStream(file)) {
            store.store(out, "changeit".toCharArray());
        }
        return file;
    }

    private Path password() throws Exception {
        Path file = folder.getRoot().toPath().resolve("password");
        if (!Files.exists(file)) {
            Files.writeString(file, "changeit\n");
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        }
        return file;
    }
}
