package io.ferry.core.daemon;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.protocol.TlsFiles;
import io.ferry.settings.SettingException;
import java.io.IOException;
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

    private static final UUID GIVEN = UUID.fromString("5a1e0c1d-7f3b-4e6a-9d2c-1f00d00000a1");

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

    /** Given, it is kept too: the host stays itself once no longer given, its leases and migrations naming it. */
    @Test
    public void aGivenHostUuidIsKeptForWhenItIsNoLongerGiven() throws Exception {
        configuration.put("hostUuid", GIVEN.toString());
        assertEquals(GIVEN, resolve(null).hostUuid());
        assertEquals(GIVEN + "\n", Files.readString(hostUuidFile()));
        assertEquals("the same", GIVEN, resolve(null).hostUuid());

        configuration.remove("hostUuid");
        assertEquals("no longer given", GIVEN, resolve(null).hostUuid());
    }

    /**
     * One that differs from the UUID a state directory in use was kept under is refused: the disk leases of its
     * running guests name the kept one, so each re-attached guest would be refused them, paused for good.
     */
    @Test
    public void aGivenHostUuidOtherThanTheOneAStateDirectoryInUseKeepsIsRefused() throws Exception {
        UUID kept = resolve(null).hostUuid();
        Path domain = Files.createDirectories(temp.getRoot().toPath().resolve("domains")).resolve("web.xml");
        Files.writeString(domain, "<domain/>");
        configuration.put("hostUuid", GIVEN.toString());

        IOException refused = assertThrows(IOException.class, () -> resolve(null));
        assertEquals("--host-uuid (hostUuid) " + GIVEN + " differs from " + kept + " in " + hostUuidFile()
                + ", and the state directory is in use (" + domain + "): the disk leases this host holds and its"
                + " migrations name the UUID it ran under, and under another its guests would be refused their leases;"
                + " if it ran under " + kept + ", give " + kept + "; if under " + GIVEN + " (a build before this one"
                + " kept a given UUID nowhere), write " + GIVEN + " into " + hostUuidFile() + "; to change the host's"
                + " UUID, shut off its guests, let its migrations end, then write " + GIVEN + " into " + hostUuidFile(),
                refused.getMessage());
        assertEquals("unchanged", kept + "\n", Files.readString(hostUuidFile()));

        configuration.put("hostUuid", kept.toString().toUpperCase());
        assertEquals("the kept one given", kept, resolve(null).hostUuid());
    }

    /** Where nothing names the kept UUID (no domain, no migration, no lease owed), the given one replaces it. */
    @Test
    public void aGivenHostUuidReplacesTheOneAnUnusedStateDirectoryKeeps() throws Exception {
        resolve(null);
        configuration.put("hostUuid", GIVEN.toString());
        assertEquals(GIVEN, resolve(null).hostUuid());
        assertEquals(GIVEN + "\n", Files.readString(hostUuidFile()));
    }

    /** An unreadable one is restored from the given one, as its refusal says to. */
    @Test
    public void aGivenHostUuidRestoresAnUnreadableOne() throws Exception {
        Files.createDirectories(temp.getRoot().toPath().resolve("status"));
        Files.writeString(temp.getRoot().toPath().resolve("status/web.xml"), "<status/>");
        Files.write(hostUuidFile(), new byte[] {(byte) 0xff, 0});
        assertTrue(assertThrows(IOException.class, () -> resolve(null)).getMessage()
                .startsWith(hostUuidFile() + " holds '\ufffd', which is not a UUID: "));

        configuration.put("hostUuid", GIVEN.toString());
        assertEquals(GIVEN, resolve(null).hostUuid());
        assertEquals(GIVEN + "\n", Files.readString(hostUuidFile()));
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

    private Path hostUuidFile() {
        return temp.getRoot().toPath().resolve("host-uuid");
    }

    private DaemonSettings resolve(Path home) throws Exception {
        configuration.putIfAbsent("stateDir", temp.getRoot().toString());
        configuration.putIfAbsent("hostname", "test");
        return DaemonSettings.resolve(configuration, home);
    }
}
