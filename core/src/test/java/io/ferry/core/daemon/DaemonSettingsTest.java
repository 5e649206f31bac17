package io.ferry.core.daemon;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.protocol.TlsFiles;
import io.ferry.settings.SettingException;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Dictionary;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.osgi.framework.BundleContext;

/** The daemon's settings as its configuration gives them, and a daemon that cannot start saying why. */
public class DaemonSettingsTest {
    @Rule
    public TemporaryFolder temp = new TemporaryFolder();

    private final Map<String, Object> configuration = new HashMap<>();

    @Test
    public void theConfigurationsValuesAreTyped() throws Exception {
        configuration.put("protocols", "2");
        configuration.put("confirmWait", "5");
        configuration.put("finishWait", 0);
        configuration.put("sectionTimeout", "7");
        configuration.put("hookTimeout", "11");
        configuration.put("lockManager", "zookeeper");
        DaemonSettings settings = resolve(null);
        assertEquals(Set.of(2), settings.protocols());
        assertEquals(Duration.ofSeconds(5), settings.confirmWait());
        assertEquals(Duration.ZERO, settings.finishWait());
        assertEquals(Duration.ofSeconds(7), settings.sectionTimeout());
        assertEquals(Duration.ofSeconds(11), settings.hookTimeout());
        assertEquals("zookeeper", settings.lockManager());
        assertEquals("test", settings.hostname());
    }

    @Test
    public void noTlsFilesIsAPlainChannel() throws Exception {
        assertNull(resolve(null).tls());
    }

    @Test
    public void relativePathsAreRelativeToTheInstallation() throws Exception {
        configuration.put("tlsKeystore", "etc/tls/host.p12");
        configuration.put("tlsTruststore", "/srv/ca/truststore.p12");
        configuration.put("tlsPasswordFile", "etc/tls/password");
        configuration.put("stateDir", "var/host-a");
        Path home = temp.getRoot().toPath();
        DaemonSettings settings = resolve(home);
        assertEquals(new TlsFiles(home.resolve("etc/tls/host.p12"), Path.of("/srv/ca/truststore.p12"), home.resolve("etc/tls/password")),
                settings.tls());
        assertEquals(home.resolve("var/host-a"), settings.stateDir());
        assertTrue("made", Files.isDirectory(home.resolve("var/host-a")));
        assertEquals("unset: the state directory's", home.resolve("var/host-a/run"), settings.runDir());

        configuration.put("runDir", "run/host-a");
        assertEquals(home.resolve("run/host-a"), resolve(home).runDir());
    }

    @Test
    public void anUnsetHostUuidIsMadeOnceAndKept() throws Exception {
        UUID first = resolve(null).hostUuid();
        assertEquals(first, resolve(null).hostUuid());
        assertEquals(first + "\n", Files.readString(temp.getRoot().toPath().resolve("host-uuid")));
    }

    @Test
    public void aBadValueNamesTheConfiguration() {
        configuration.put("finishWait", "-5");
        assertEquals("configuration io.ferry.daemon: finishWait '-5' is not a whole number of seconds from 0 to 2147483647",
                assertThrows(SettingException.class, () -> resolve(null)).getMessage());
    }

    @Test
    public void aDaemonThatCannotStartSaysWhyInOneLine() {
        configuration.put("protocols", "4");
        configuration.put("stateDir", temp.getRoot().toString());
        List<Dictionary<?, ?>> registered = new ArrayList<>();
        BundleContext context = (BundleContext) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {BundleContext.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("registerService")) {
                        registered.add((Dictionary<?, ?>) args[2]);
                    }
                    return null;
                });
        assertThrows(SettingException.class, () -> new Daemon(context, configuration));
        assertEquals(1, registered.size());
        assertEquals("invalid configuration: configuration io.ferry.daemon: protocols '4' names migration protocol 4, "
                + "but Ferry speaks only 2 and 3", registered.get(0).get(StartFailure.PROPERTY));
    }

    /**
     * A state directory made at the first start is synced into its parent, and so is each parent made with it: the
     * definitions and the journal synced inside it would not outlive a power cut that took its name.
     */
    @Test
    public void aNewStateDirectoryIsSyncedIntoTheDirectoriesThatHoldIt() throws Exception {
        Path root = temp.getRoot().toPath();
        configuration.put("stateDir", root.resolve("var/ferry").toString());
        configuration.put("hostname", "test");
        List<Path> synced = new ArrayList<>();
        DaemonSettings.resolve(configuration, null, synced::add);
        assertEquals(List.of(root, root.resolve("var")), synced);

        synced.clear();
        DaemonSettings.resolve(configuration, null, synced::add);
        assertEquals("nothing new", List.of(), synced);
    }

    private DaemonSettings resolve(Path home) throws Exception {
        configuration.putIfAbsent("stateDir", temp.getRoot().toString());
        configuration.putIfAbsent("hostname", "test");
        return DaemonSettings.resolve(configuration, home);
    }
}
