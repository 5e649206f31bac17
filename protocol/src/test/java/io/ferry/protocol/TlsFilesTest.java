package io.ferry.protocol;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.nio.file.Path;
import java.util.Map;
import org.junit.Test;

/** Where a client finds its TLS files: a system property wins over the environment; the password file is mandatory. */
public class TlsFilesTest {
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
}
