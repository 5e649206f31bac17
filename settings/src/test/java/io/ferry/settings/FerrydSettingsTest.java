package io.ferry.settings;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.Test;

/** The daemon's settings: flag over configuration over default, and one line naming each bad value and where it came from. */
public class FerrydSettingsTest {
    private static final String FILE = "etc/io.ferry.daemon.cfg";

    @Test
    public void everyDefaultPassesItsCheck() {
        for (String pid : List.of(FerrydSettings.DAEMON, FerrydSettings.LOCKSTATE, FerrydSettings.OVS, FerrydSettings.ZOOKEEPER,
                FerrydSettings.FRAMEWORK)) {
            FerrydSettings.resolve(pid, List.of());
        }
        SettingValues daemon = FerrydSettings.resolve(FerrydSettings.DAEMON, List.of());
        assertEquals(new InetSocketAddress("127.0.0.1", 16570), daemon.get(FerrydSettings.LISTEN));
        assertEquals(Set.of(2, 3), daemon.get(FerrydSettings.PROTOCOLS));
        assertEquals(Duration.ofSeconds(30), daemon.get(FerrydSettings.SECTION_TIMEOUT));
        assertEquals(Duration.ofSeconds(60), daemon.get(FerrydSettings.CONFIRM_WAIT));
        assertEquals(Duration.ofSeconds(120), daemon.get(FerrydSettings.FINISH_WAIT));
        assertEquals(Duration.ofSeconds(60), daemon.get(FerrydSettings.HOOK_TIMEOUT));
        assertEquals("file", daemon.get(FerrydSettings.LOCK_MANAGER));
        assertEquals(Integer.valueOf(4 * 1024 * 1024), daemon.get(FerrydSettings.COOKIE_MAX_BYTES));
        assertNull("unset: generated", daemon.get(FerrydSettings.HOST_UUID));
        assertNull(daemon.get(FerrydSettings.TLS_KEYSTORE));
    }

    @Test
    public void aFlagWinsOverTheFileWhichWinsOverTheDefault() {
        SettingValues values = resolve(Map.of(FerrydSettings.CONFIRM_WAIT, "5"),
                Map.of("confirmWait", "7", "finishWait", "9", "protocols", "3"));
        assertEquals(Duration.ofSeconds(5), values.get(FerrydSettings.CONFIRM_WAIT));
        assertEquals(Duration.ofSeconds(9), values.get(FerrydSettings.FINISH_WAIT));
        assertEquals(Set.of(3), values.get(FerrydSettings.PROTOCOLS));
        assertEquals(Duration.ofSeconds(60), values.get(FerrydSettings.HOOK_TIMEOUT));
    }

    @Test
    public void blankTextMeansTheDefaultEvenOverALowerLayer() {
        SettingValues values = resolve(Map.of(FerrydSettings.TLS_KEYSTORE, "", FerrydSettings.TLS_TRUSTSTORE, " ",
                FerrydSettings.TLS_PASSWORD_FILE, ""), Map.of("tlsKeystore", "/k.p12", "tlsTruststore", "/t.p12",
                "tlsPasswordFile", "/p", "lockManager", " "));
        assertNull(values.get(FerrydSettings.TLS_KEYSTORE));
        assertEquals("file", values.get(FerrydSettings.LOCK_MANAGER));
    }

    @Test
    public void pathsAreRelativeToTheInstallation() {
        SettingValues values = resolve(Map.of(), Map.of("stateDir", "var/host-a"));
        assertEquals(Path.of("/opt/ferry/var/host-a"), values.path(FerrydSettings.STATE_DIR, Path.of("/opt/ferry")));
        assertEquals(Path.of("/srv/state"), resolve(Map.of(FerrydSettings.STATE_DIR, "/srv/state"), Map.of())
                .path(FerrydSettings.STATE_DIR, Path.of("/opt/ferry")));
        assertNull("unset", values.path(FerrydSettings.RUN_DIR, Path.of("/opt/ferry")));
        assertEquals("unset: the state directory's run/", Path.of("/opt/ferry/var/host-a/run"),
                FerrydSettings.runDir(values, Path.of("/opt/ferry")));
        assertEquals(Path.of("/run/ferry"), FerrydSettings.runDir(resolve(Map.of(FerrydSettings.RUN_DIR, "/run/ferry"), Map.of()),
                Path.of("/opt/ferry")));
    }

    @Test
    public void eachBadValueIsOneLineNamingTheFlag() {
        assertFlag("--listen 'foo' is not HOST:PORT", FerrydSettings.LISTEN, "foo");
        assertFlag("--listen '127.0.0.1:65536' has no valid port (0 to 65535)", FerrydSettings.LISTEN, "127.0.0.1:65536");
        assertFlag("--listen '127.0.0.1:http' has no valid port (0 to 65535)", FerrydSettings.LISTEN, "127.0.0.1:http");
        assertFlag("--listen 'no-such-host.invalid:16509' names a host that does not resolve", FerrydSettings.LISTEN,
                "no-such-host.invalid:16509"); // .invalid never resolves (RFC 2606)
        assertFlag("--confirm-wait 'soon' is not a whole number of seconds from 0 to 2147483647", FerrydSettings.CONFIRM_WAIT, "soon");
        assertFlag("--finish-wait '-5' is not a whole number of seconds from 0 to 2147483647", FerrydSettings.FINISH_WAIT, "-5");
        assertFlag("--finish-wait '99999999999' is not a whole number of seconds from 0 to 2147483647", FerrydSettings.FINISH_WAIT,
                "99999999999");
        assertFlag("--section-timeout '0' is not a whole number of seconds from 1 to 86400", FerrydSettings.SECTION_TIMEOUT,
                "0");
        assertFlag("--hook-timeout '1.5' is not a whole number of seconds from 1 to 2147483647", FerrydSettings.HOOK_TIMEOUT, "1.5");
        assertFlag("--protocols '4' names migration protocol 4, but Ferry speaks only 2 and 3", FerrydSettings.PROTOCOLS, "4");
        assertFlag("--protocols '2,x' is not a comma-separated list of migration protocol versions (2,3)", FerrydSettings.PROTOCOLS, "2,x");
        assertFlag("--lock-manager 'bogus' is not one of file, zookeeper, none", FerrydSettings.LOCK_MANAGER, "bogus");
        assertFlag("--host-uuid 'not-a-uuid' is not a UUID", FerrydSettings.HOST_UUID, "not-a-uuid");
        assertFlag("--host-uuid '1-1-1-1-1' is not a UUID", FerrydSettings.HOST_UUID, "1-1-1-1-1");
    }

    @Test
    public void aBadValueInTheFileNamesTheFileAndTheKey() {
        assertEquals("etc/io.ferry.daemon.cfg: confirmWait 'soon' is not a whole number of seconds from 0 to 2147483647",
                assertThrows(SettingException.class, () -> resolve(Map.of(), Map.of("confirmWait", "soon"))).getMessage());
        assertEquals("etc/io.ferry.daemon.cfg: cookieMaxBytes '0' is not a whole number from 1 to 2147483647",
                assertThrows(SettingException.class, () -> resolve(Map.of(), Map.of("cookieMaxBytes", "0"))).getMessage());
    }

    @Test
    public void theSectionTimeoutIsADayAtMostSoThatTenTimesItStillFitsInNanoseconds() {
        Setting<Duration> timeout = FerrydSettings.SECTION_TIMEOUT;
        assertFlag("--section-timeout '922337204' is not a whole number of seconds from 1 to 86400", timeout, "922337204");
        assertFlag("--section-timeout '86401' is not a whole number of seconds from 1 to 86400", timeout, "86401");
        assertEquals("etc/io.ferry.daemon.cfg: sectionTimeout '2147483647' is not a whole number of seconds from 1 to 86400",
                assertThrows(SettingException.class, () -> resolve(Map.of(), Map.of("sectionTimeout", "2147483647")))
                        .getMessage());
        assertEquals(Duration.ofDays(1), resolve(Map.of(timeout, "86400"), Map.of()).get(timeout));
    }

    @Test
    public void goodValuesAreParsed() {
        SettingValues values = resolve(Map.of(FerrydSettings.HOST_UUID, "1B4E28BA-2FA1-11D2-883F-0016D3CCA427",
                FerrydSettings.PROTOCOLS, " 3 , 2 ", FerrydSettings.LISTEN, "[::1]:0", FerrydSettings.LOCK_MANAGER, "none"), Map.of());
        assertEquals(UUID.fromString("1b4e28ba-2fa1-11d2-883f-0016d3cca427"), values.get(FerrydSettings.HOST_UUID));
        assertEquals(Set.of(2, 3), values.get(FerrydSettings.PROTOCOLS));
        assertEquals(0, values.get(FerrydSettings.LISTEN).getPort());
        assertEquals("none", values.get(FerrydSettings.LOCK_MANAGER));
    }

    @Test
    public void tlsNeedsAllThreeFilesOrNone() {
        SettingException e = assertThrows(SettingException.class, () -> resolve(Map.of(FerrydSettings.TLS_KEYSTORE, "/flags/host.p12"),
                Map.of("tlsPasswordFile", "etc/password")));
        assertEquals("TLS needs a keystore, a trust store and a password file (tlsKeystore, tlsTruststore, tlsPasswordFile; "
                + "ferryd --tls-keystore, --tls-truststore, --tls-password-file); missing: the trust store (--tls-truststore, "
                + "tlsTruststore); given: keystore /flags/host.p12, password file etc/password", e.getMessage());
        resolve(Map.of(FerrydSettings.TLS_KEYSTORE, "/k", FerrydSettings.TLS_TRUSTSTORE, "/t"), Map.of("tlsPasswordFile", "p"));
    }

    @Test
    public void aConfigurationFromTheFrameworkIsNamedByItsPid() {
        Layer admin = Layer.configuration(FerrydSettings.DAEMON, "configuration io.ferry.daemon", Map.of("listen", "nowhere",
                "service.pid", "io.ferry.daemon"));
        assertEquals("configuration io.ferry.daemon: listen 'nowhere' is not HOST:PORT", assertThrows(SettingException.class,
                () -> FerrydSettings.resolve(FerrydSettings.DAEMON, List.of(admin))).getMessage());
    }

    @Test
    public void aLayerGivesOnlyTheSettingsOfItsOwnPid() {
        Layer ovs = Layer.configuration(FerrydSettings.OVS, "etc/io.ferry.plugin.ovs.cfg", Map.of("ovsdb", "unix:/run/db.sock",
                "listen", "not checked here"));
        assertEquals("unix:/run/db.sock", FerrydSettings.resolve(FerrydSettings.OVS, List.of(ovs)).get(FerrydSettings.OVSDB));
        assertEquals(new InetSocketAddress("127.0.0.1", 16570),
                FerrydSettings.resolve(FerrydSettings.DAEMON, List.of(ovs)).get(FerrydSettings.LISTEN));
    }

    @Test
    public void aSwitchIsABooleanSetting() {
        Setting<Boolean> insecure = FerrydSettings.INSECURE_TCP;
        assertTrue(insecure.isSwitch());
        assertEquals(Boolean.FALSE, resolve(Map.of(), Map.of()).get(insecure));
        assertEquals(Boolean.TRUE, resolve(Map.of(insecure, "true"), Map.of()).get(insecure));
        assertEquals("etc/io.ferry.daemon.cfg: insecureTcp 'yes' is not true or false",
                assertThrows(SettingException.class, () -> resolve(Map.of(), Map.of("insecureTcp", "yes"))).getMessage());
    }

    @Test
    public void plainTcpOffLoopbackNeedsTlsOrInsecureTcp() {
        String refusal = "plain TCP serves loopback only: listening on 0.0.0.0:16570 needs TLS (--tls-keystore, --tls-truststore, "
                + "--tls-password-file), or --insecure-tcp (insecureTcp) to let anyone who reaches it drive this daemon";
        assertEquals(refusal, assertThrows(SettingException.class,
                () -> resolve(Map.of(FerrydSettings.LISTEN, "0.0.0.0:16570"), Map.of())).getMessage());
        assertEquals(refusal, assertThrows(SettingException.class,
                () -> resolve(Map.of(), Map.of("listen", "0.0.0.0:16570"))).getMessage());
        resolve(Map.of(FerrydSettings.LISTEN, "0.0.0.0:16570", FerrydSettings.INSECURE_TCP, "true"), Map.of());
        resolve(Map.of(FerrydSettings.LISTEN, "0.0.0.0:16570"), Map.of("insecureTcp", "true"));
        resolve(Map.of(FerrydSettings.LISTEN, "0.0.0.0:16570"), Map.of("tlsKeystore", "/k", "tlsTruststore", "/t", "tlsPasswordFile", "/p"));
        resolve(Map.of(FerrydSettings.LISTEN, "localhost:16570"), Map.of());
        resolve(Map.of(FerrydSettings.LISTEN, "127.0.0.2:16570"), Map.of());
    }

    @Test
    public void allowListsAreSubjectPatternsFromTheFlagsOrTheFile() {
        SettingValues values = resolve(Map.of(FerrydSettings.TLS_ALLOW_PEERS, SubjectPattern.joinQuoted(List.of("CN=host-*,O=Ferry",
                "CN=spare,O=Ferry"))), Map.of("tlsAllowOperators", "CN=admin,O=Ferry", "tlsAllowPeers", "CN=ignored"));
        assertEquals(List.of(SubjectPattern.parse("CN=admin,O=Ferry")), values.get(FerrydSettings.TLS_ALLOW_OPERATORS));
        assertEquals(List.of(SubjectPattern.parse("CN=host-*,O=Ferry"), SubjectPattern.parse("CN=spare,O=Ferry")),
                values.get(FerrydSettings.TLS_ALLOW_PEERS));
        assertTrue(FerrydSettings.TLS_ALLOW_PEERS.isRepeatable());
        assertNull(resolve(Map.of(), Map.of()).get(FerrydSettings.TLS_ALLOW_OPERATORS));
        assertEquals("etc/io.ferry.daemon.cfg: tlsAllowOperators 'admin' holds a subject pattern 'admin' that has an attribute "
                + "without '=' ('admin')", assertThrows(SettingException.class,
                () -> resolve(Map.of(), Map.of("tlsAllowOperators", "admin"))).getMessage());
    }

    @Test
    public void sharedPathsAreAbsoluteDirectoriesSeparatedByCommas() {
        assertEquals("blank items skipped", List.of(Path.of("/srv/images"), Path.of("/mnt/san")),
                FerrydSettings.SHARED_PATHS.check().parse("/srv/images/, ,/mnt/./san,"));
        assertEquals("holds 'images', which is not an absolute path", assertThrows(IllegalArgumentException.class,
                () -> FerrydSettings.SHARED_PATHS.check().parse("/srv,images")).getMessage());
        assertTrue(FerrydSettings.SHARED_PATHS.isRepeatable());
        assertEquals("/a,/b", FerrydSettings.SHARED_PATHS.joinRepeated(List.of("/a", "/b")));
    }

    private static SettingValues resolve(Map<Setting<?>, String> flags, Map<String, String> file) {
        return FerrydSettings.resolve(FerrydSettings.DAEMON, List.of(Layer.flags(flags),
                Layer.configuration(FerrydSettings.DAEMON, FILE, file)));
    }

    private static void assertFlag(String message, Setting<?> setting, String text) {
        assertEquals(message, assertThrows(SettingException.class, () -> resolve(Map.of(setting, text), Map.of())).getMessage());
    }
}
