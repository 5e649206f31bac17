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
    public void aProgressTimeoutOutsideTheFlagsRangeIsRefusedByName() throws Exception {
        // ferryd's --progress-timeout reaches the driver as this configuration (the settings table checks the flag);
        // from 9223372036854776 s on, its milliseconds overflowed negative and cancelled every migration at once
        for (long bad : new long[] {0, -1, 2_147_483_648L, 9_223_372_036_854_776L, Long.MAX_VALUE}) {
            HypervisorException e = assertThrows(HypervisorException.class,
                    () -> QemuHypervisor.settings(host(Map.of()), config(bad)));
            assertEquals("invalid progress timeout '" + bad + "': expected a whole number of seconds from 1 to 2147483647",
                    e.getMessage());
        }
        assertEquals(2_147_483_647_000L, QemuHypervisor.settings(host(Map.of()), config(2_147_483_647)).progressTimeoutMillis());
    }

    /**
     * Unchecked, a quit timeout of 0 or less let destroy kill QEMU at once and report it alive (awaitGone waited for
     * nothing), and Long.MAX_VALUE overflowed into the same. A command timeout of 0 timed every QMP command out at once;
     * Long.MAX_VALUE (a wrapped deadline) failed the connection to a starting QEMU at its first try, and let a command
     * to a hung one wait for good.
     */
    @Test
    public void quitAndCommandTimeoutsOutsideAMillisecondToADayAreRefusedByName() throws Exception {
        for (long bad : new long[] {0, -1, 86_400_001, Long.MAX_VALUE}) {
            HypervisorException quit = assertThrows(HypervisorException.class,
                    () -> QemuHypervisor.settings(host(Map.of()), timeouts(bad, 10_000)));
            assertEquals("invalid quitTimeoutMillis '" + bad + "' in etc/io.ferry.driver.qemu.cfg: expected a whole number "
                    + "of milliseconds from 1 to 86400000 (a day)", quit.getMessage());
            HypervisorException command = assertThrows(HypervisorException.class,
                    () -> QemuHypervisor.settings(host(Map.of()), timeouts(3000, bad)));
            assertEquals("invalid commandTimeoutMillis '" + bad + "' in etc/io.ferry.driver.qemu.cfg: expected a whole "
                    + "number of milliseconds from 1 to 86400000 (a day)", command.getMessage());
        }
        QemuSettings least = QemuHypervisor.settings(host(Map.of()), timeouts(1, 1));
        assertEquals(1, least.quitTimeoutMillis());
        assertEquals(1, least.commandTimeoutMillis());
        QemuSettings most = QemuHypervisor.settings(host(Map.of()), timeouts(86_400_000, 86_400_000));
        assertEquals(86_400_000, most.quitTimeoutMillis());
        assertEquals(86_400_000, most.commandTimeoutMillis());
    }

    /**
     * Arrivals may overcommit the memory available by a decimal ratio from 1 (none: the default, also blank) to 4: less
     * would refuse arrivals that fit, and anything else (a typo, NaN, an exponent) must not lift or drop the bound.
     */
    @Test
    public void anArrivalMemoryOvercommitOutsideOneToFourIsRefusedByName() throws Exception {
        assertEquals(1.0, QemuHypervisor.settings(host(Map.of()), config(30)).arrivalMemoryOvercommit(), 0);
        assertEquals(1.0, QemuHypervisor.settings(host(Map.of()), overcommit(" ")).arrivalMemoryOvercommit(), 0);
        for (String good : new String[] {"1", "1.0", " 1.5 ", "2.25", "4", "4.000"}) {
            assertEquals(Double.parseDouble(good),
                    QemuHypervisor.settings(host(Map.of()), overcommit(good)).arrivalMemoryOvercommit(), 0);
        }
        for (String bad : new String[] {"0", "0.99", "-1", "4.01", "5", "1,5", "1.5x", "NaN", "Infinity", "1e0",
                "off", ".5", "1."}) {
            HypervisorException e = assertThrows(HypervisorException.class,
                    () -> QemuHypervisor.settings(host(Map.of()), overcommit(bad)));
            assertEquals("invalid arrivalMemoryOvercommit '" + bad + "' in etc/io.ferry.driver.qemu.cfg: expected a"
                    + " decimal ratio from 1 (arrivals take at most the memory available) to 4", e.getMessage());
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
        return config(progressTimeoutSeconds, sharedPaths, user, 3000, 10_000, "1.0");
    }

    private static QemuHypervisor.Config timeouts(long quitTimeoutMillis, long commandTimeoutMillis) {
        return config(30, "", "", quitTimeoutMillis, commandTimeoutMillis, "1.0");
    }

    private static QemuHypervisor.Config overcommit(String arrivalMemoryOvercommit) {
        return config(30, "", "", 3000, 10_000, arrivalMemoryOvercommit);
    }

    private static QemuHypervisor.Config config(long progressTimeoutSeconds, String sharedPaths, String user,
            long quitTimeoutMillis, long commandTimeoutMillis, String arrivalMemoryOvercommit) {
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
                return quitTimeoutMillis;
            }

            @Override
            public long commandTimeoutMillis() {
                return commandTimeoutMillis;
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
            public String arrivalMemoryOvercommit() {
                return arrivalMemoryOvercommit;
            }

            @Override
            public Class<? extends Annotation> annotationType() {
                return QemuHypervisor.Config.class;
            }
        };
    }
}
