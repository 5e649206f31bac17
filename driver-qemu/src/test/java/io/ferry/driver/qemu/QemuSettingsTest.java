package io.ferry.driver.qemu;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.api.host.HostSettings;
import io.ferry.api.hypervisor.HypervisorException;
import java.lang.annotation.Annotation;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.Test;

/** The driver's settings: its configuration (etc/io.ferry.driver.qemu.cfg, and ferryd's flags through the settings table). */
public class QemuSettingsTest {
    @Test
    public void theConfiguredProgressTimeoutHoldsWithoutAFlag() throws Exception {
        assertEquals(30_000, QemuHypervisor.settings(host(Map.of()), config(30)).progressTimeoutMillis());
    }

    @Test
    public void aProgressTimeoutThatIsNoPositiveNumberIsRefusedByName() {
        // ferryd's --progress-timeout reaches the driver as this configuration (the settings table checks the flag)
        for (long bad : new long[] {0, -1}) {
            HypervisorException e = assertThrows(HypervisorException.class,
                    () -> QemuHypervisor.settings(host(Map.of()), config(bad)));
            assertEquals("invalid progress timeout '" + bad + "': expected a positive number of seconds", e.getMessage());
        }
    }

    @Test
    public void sharedPathsAreAbsoluteDirectoriesSeparatedByCommas() throws Exception {
        assertEquals(List.of(), QemuHypervisor.settings(host(Map.of()), config(30)).sharedPaths());
        assertEquals(List.of(Path.of("/srv/images"), Path.of("/mnt/san/vm")),
                QemuHypervisor.settings(host(Map.of()), config(30, " /srv/images/ , /mnt/san/./vm,")).sharedPaths());
        HypervisorException e = assertThrows(HypervisorException.class,
                () -> QemuHypervisor.settings(host(Map.of()), config(30, "/srv/images,images")));
        assertEquals("invalid shared path 'images': not an absolute path", e.getMessage());
    }

    @Test
    public void qemuStaysTheDaemonsUserUnlessAUserIsSet() throws Exception {
        assertNull(QemuHypervisor.settings(host(Map.of()), config(30, "", " ")).user());
        QemuUser nobody = QemuHypervisor.settings(host(Map.of()), config(30, "", " nobody ")).user();
        assertEquals("nobody", nobody.name());
        assertEquals("nobody", nobody.user().getName());
    }

    @Test
    public void aQemuUserThisHostDoesNotKnowIsRefusedByName() {
        HypervisorException e = assertThrows(HypervisorException.class,
                () -> QemuHypervisor.settings(host(Map.of()), config(30, "", "no-such-ferry-user")));
        assertEquals("the QEMU user 'no-such-ferry-user' does not exist on this host", e.getMessage());
    }

    /** The name goes into QEMU's -run-with user=NAME: a comma there would add options of the caller's choosing. */
    @Test
    public void aQemuUserThatIsNoUserNameIsRefused() {
        for (String bad : new String[] {"nobody,chroot=/tmp", "-g", "ro ot", "../x"}) {
            HypervisorException e = assertThrows(HypervisorException.class,
                    () -> QemuHypervisor.settings(host(Map.of()), config(30, "", bad)));
            assertTrue(e.getMessage(), e.getMessage().startsWith("invalid QEMU user '") && e.getMessage().endsWith("': not a user name"));
        }
    }

    /**
     * A configuration the driver refuses fails its activation, and SCR tries again at each change of it or of what the
     * driver references; nothing deactivates an instance that never activated. Each refused activation left a thread
     * bounding the QEMU logs, and with it the driver instance and its bundle's class loader, for as long as the daemon ran.
     */
    @Test
    public void aRefusedActivationLeavesNoThread() {
        long before = logThreads();
        for (int i = 0; i < 20; i++) {
            QemuHypervisor driver = new QemuHypervisor();
            driver.host = host(Map.of());
            assertThrows(HypervisorException.class, () -> driver.configure(config(0)));
        }
        assertEquals("threads bounding QEMU logs after 20 refused activations", before, logThreads());
    }

    private static long logThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.isAlive() && t.getName().equals("qemu-logs")).count();
    }

    private static HostSettings host(Map<String, String> overrides) {
        return new HostSettings() {
            @Override
            public Optional<String> override(String key) {
                return Optional.ofNullable(overrides.get(key));
            }

            @Override
            public Path resolve(String path) {
                return Path.of(path);
            }

            @Override
            public Path stateDir() {
                return Path.of("/tmp/state");
            }
        };
    }

    private static QemuHypervisor.Config config(long progressTimeoutSeconds) {
        return config(progressTimeoutSeconds, "");
    }

    private static QemuHypervisor.Config config(long progressTimeoutSeconds, String sharedPaths) {
        return config(progressTimeoutSeconds, sharedPaths, "");
    }

    private static QemuHypervisor.Config config(long progressTimeoutSeconds, String sharedPaths, String user) {
        return new QemuHypervisor.Config() {
            @Override
            public String emulator() {
                return QemuSettings.DEFAULT_EMULATOR;
            }

            @Override
            public String migrationPorts() {
                return QemuSettings.DEFAULT_PORTS;
            }

            @Override
            public long progressTimeoutSeconds() {
                return progressTimeoutSeconds;
            }

            @Override
            public long quitTimeoutMillis() {
                return 3000;
            }

            @Override
            public long commandTimeoutMillis() {
                return 10_000;
            }

            @Override
            public String ovsdb() {
                return "";
            }

            @Override
            public String sharedPaths() {
                return sharedPaths;
            }

            @Override
            public String user() {
                return user;
            }

            @Override
            public Class<? extends Annotation> annotationType() {
                return QemuHypervisor.Config.class;
            }
        };
    }
}
