package io.ferry.core.daemon;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.protocol.TlsFiles;
import java.lang.annotation.Annotation;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** The TLS settings: all three files or none, flags over configuration, configured paths relative to the installation. */
public class DaemonSettingsTlsTest {
    @Rule
    public TemporaryFolder temp = new TemporaryFolder();

    private final Map<String, String> properties = new HashMap<>();

    @Test
    public void noFilesIsAPlainChannel() throws Exception {
        assertNull(resolve(config("", "", "")).tls());
    }

    @Test
    public void configuredPathsAreRelativeToTheInstallation() throws Exception {
        properties.put("ferry.home", "/opt/ferry");
        TlsFiles tls = resolve(config("etc/tls/host.p12", "/srv/ca/truststore.p12", "etc/tls/password")).tls();
        assertEquals(new TlsFiles(Path.of("/opt/ferry/etc/tls/host.p12"), Path.of("/srv/ca/truststore.p12"),
                Path.of("/opt/ferry/etc/tls/password")), tls);
    }

    @Test
    public void frameworkPropertiesWinOverTheConfiguration() throws Exception {
        properties.put(DaemonSettings.TLS_KEYSTORE, "/flags/host.p12");
        properties.put(DaemonSettings.TLS_PASSWORD_FILE, "/flags/password");
        TlsFiles tls = resolve(config("/cfg/host.p12", "/cfg/truststore.p12", "/cfg/password")).tls();
        assertEquals(new TlsFiles(Path.of("/flags/host.p12"), Path.of("/cfg/truststore.p12"), Path.of("/flags/password")), tls);
    }

    @Test
    public void someButNotAllFilesIsAnError() {
        properties.put(DaemonSettings.TLS_KEYSTORE, "/flags/host.p12");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> resolve(config("", "", "")));
        assertTrue(e.getMessage(), e.getMessage().startsWith("TLS needs a keystore, a trust store and a password file"));
        assertTrue(e.getMessage(), e.getMessage().endsWith("keystore /flags/host.p12, trust store null, password file null"));
    }

    @Test
    public void theCommandLinesOfflineFrameworkStaysPlain() throws Exception {
        properties.put(DaemonSettings.OFFLINE, "true");
        assertNull(resolve(config("/cfg/host.p12", "/cfg/truststore.p12", "/cfg/password")).tls());
    }

    private DaemonSettings resolve(DaemonConfig config) throws Exception {
        properties.put(DaemonSettings.STATE_DIR, temp.getRoot().toString());
        properties.put(DaemonSettings.HOST_UUID, "1b4e28ba-2fa1-11d2-883f-0016d3cca427");
        return DaemonSettings.resolve(config, properties::get);
    }

    private static DaemonConfig config(String keystore, String truststore, String passwordFile) {
        return new DaemonConfig() {
            @Override
            public Class<? extends Annotation> annotationType() {
                return DaemonConfig.class;
            }

            @Override
            public String listen() {
                return "127.0.0.1:0";
            }

            @Override
            public String lockManager() {
                return "none";
            }

            @Override
            public String hostUuid() {
                return "";
            }

            @Override
            public String hostname() {
                return "test";
            }

            @Override
            public String stateDir() {
                return "var";
            }

            @Override
            public int cookieMaxBytes() {
                return 1024;
            }

            @Override
            public int cookieMaxDepth() {
                return 16;
            }

            @Override
            public String tlsKeystore() {
                return keystore;
            }

            @Override
            public String tlsTruststore() {
                return truststore;
            }

            @Override
            public String tlsPasswordFile() {
                return passwordFile;
            }
        };
    }
}
