package io.ferry.e2e;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.BeforeClass;
import org.junit.Test;

/**
 * ferryd's settings, from a real ferryd: flag over etc/io.ferry.daemon.cfg over default, and a daemon that cannot
 * start exits non-zero with one line on stderr naming the problem, instead of running without a control channel
 * (TLS files that cannot be read: {@link TlsChannelIT}).
 */
public class DaemonSettingsIT {
    private static Path home;

    @BeforeClass
    public static void copyTheInstallation() throws Exception {
        home = Installation.copyTo(Installation.WORK.resolve("settings-" + System.nanoTime()).resolve("ferry"));
    }

    @Test
    public void aConfiguredValueIsUsedWithoutAFlagAndAFlagBeatsIt() throws Exception {
        configure("protocols = 3\n");
        try (DaemonProcess configured = DaemonProcess.start(home, "cfg-protocols")) {
            assertTrue(configured.ferryOk("version").out().contains("(migration protocols 3)"));
        }
        try (DaemonProcess flagged = DaemonProcess.start(home, "flag-protocols", "--protocols", "2")) {
            assertTrue(flagged.ferryOk("version").out().contains("(migration protocols 2)"));
            // the connection after the command, as issue 11 writes the command
            assertTrue(Installation.ferryOk("version", "-c", flagged.url()).out().contains("(migration protocols 2)"));
        }
    }

    @Test
    public void badValuesOnTheCommandLineAreRefusedBeforeTheFrameworkStarts() throws Exception {
        configure("");
        assertRefusedAtOnce("ferryd: --listen 'foo' is not HOST:PORT", "--listen", "foo");
        assertRefusedAtOnce("ferryd: --confirm-wait 'soon' is not a whole number of seconds from 0 to 2147483647",
                "--confirm-wait", "soon");
        assertRefusedAtOnce("ferryd: --finish-wait '-5' is not a whole number of seconds from 0 to 2147483647", "--finish-wait", "-5");
        assertRefusedAtOnce("ferryd: --section-timeout '0' is not a whole number of seconds from 1 to 86400",
                "--section-timeout", "0");
        assertRefusedAtOnce("ferryd: --hook-timeout 'x' is not a whole number of seconds from 1 to 2147483647", "--hook-timeout", "x");
        assertRefusedAtOnce("ferryd: --host-uuid 'not-a-uuid' is not a UUID", "--host-uuid", "not-a-uuid");
        assertRefusedAtOnce("ferryd: --protocols '4' names migration protocol 4, but Ferry speaks only 2 and 3", "--protocols", "4");
        assertRefusedAtOnce("ferryd: --lock-manager 'bogus' is not one of file, zookeeper, none", "--lock-manager", "bogus");
        assertRefusedAtOnce("ferryd: TLS needs a keystore, a trust store and a password file (tlsKeystore, tlsTruststore, "
                + "tlsPasswordFile; ferryd --tls-keystore, --tls-truststore, --tls-password-file); missing: the trust store "
                + "(--tls-truststore, tlsTruststore), the password file (--tls-password-file, tlsPasswordFile); given: keystore "
                + "/tls/host.p12", "--tls-keystore", "/tls/host.p12");
    }

    @Test
    public void anUnknownOptionIsAUsageError() throws Exception {
        DaemonProcess.Refusal refusal = DaemonProcess.refused(home, "--listen-on", "127.0.0.1:1");
        assertEquals(refusal.toString(), 2, refusal.exit());
        assertEquals("ferryd: unknown option '--listen-on' (ferryd --help lists them)\n", refusal.stderr());
    }

    @Test
    public void aBadValueInTheConfigurationFileIsRefusedNamingTheKey() throws Exception {
        configure("confirmWait = soon\n");
        assertRefusedAtOnce("ferryd: etc/io.ferry.daemon.cfg: confirmWait 'soon' is not a whole number of seconds from 0 to 2147483647");
        configure("finsihWait = 5\n");
        assertRefusedAtOnce("ferryd: etc/io.ferry.daemon.cfg: unknown key 'finsihWait'");
    }

    @Test
    public void aPortInUseStopsTheDaemonWithOneLineAndAnErrorInTheLog() throws Exception {
        configure("");
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            String listen = "127.0.0.1:" + taken.getLocalPort();
            DaemonProcess.Refusal refusal = DaemonProcess.refused(home, "--listen", listen);
            assertEquals(refusal.toString(), 1, refusal.exit());
            assertEquals("ferryd: cannot listen on " + listen + ": Address already in use\n", refusal.stderr());
            assertTrue(refusal.log(), refusal.log().contains(
                    "ERROR i.f.c.c.ControlServer - cannot listen on " + listen + ": Address already in use, the daemon does not start"));
        }
    }

    /**
     * An OutOfMemoryError ends ferryd's JVM (exit status 3) rather than leaving a daemon half alive, whatever thread it
     * struck gone for good (the migration watchdog's): its init system restarts it, and the restart's recovery settles.
     */
    @Test
    public void anOutOfMemoryErrorEndsTheDaemon() throws Exception {
        configure("");
        try (DaemonProcess daemon = DaemonProcess.start(home, "oom")) {
            daemon.url(); // up: bin/ferryd's shell has become the JVM
            byte[] cmdline = Files.readAllBytes(Path.of("/proc/" + daemon.pid() + "/cmdline"));
            List<String> arguments = List.of(new String(cmdline, StandardCharsets.UTF_8).split("\0"));
            assertTrue(arguments.toString(), arguments.contains("-XX:+ExitOnOutOfMemoryError"));
        }
    }

    /**
     * {@code --run-dir}: each VM's files go there (its memory on tmpfs, say); the run and state directories are one
     * daemon's alone (a second daemon given either does not start: on the run directory it would create its incoming
     * VMs over the first one's); and a daemon restarted with another run directory while domains are active refuses
     * to start rather than lose sight of them.
     */
    @Test
    public void theRunDirectoryHoldsEachVmAndServesOneDaemon() throws Exception {
        configure("");
        Path work = Files.createTempDirectory(Installation.work(), "run-dirs");
        Path runA = work.resolve("run-a");
        Path runB = work.resolve("run-b");
        SimDomain guest = SimDomain.idle("guest", 16);
        try (DaemonProcess a = DaemonProcess.start(home, "run-dir-a", "--run-dir", runA.toString());
                DaemonProcess b = DaemonProcess.start(home, "run-dir-b", "--run-dir", runB.toString())) {
            String digest = a.boot(guest);
            assertTrue("memory in the run directory", Files.exists(runA.resolve(guest.uuid().toString()).resolve("memory")));
            assertFalse("nothing in the state directory's run/", Files.exists(a.stateDir.resolve("run").resolve(guest.uuid().toString())));

            assertRefusedAtOnce("ferryd: the run directory " + runA + " is in use by another ferryd (process " + a.pid()
                    + "): give each daemon its own --run-dir (runDir)", "--run-dir", runA.toString());
            DaemonProcess.Refusal sameState = DaemonProcess.refusedOn(home, a.stateDir, "--run-dir", work.resolve("run-c").toString());
            assertEquals(sameState.toString(), 1, sameState.exit());
            assertEquals(sameState.toString(), "ferryd: the state directory " + a.stateDir + " is in use by another ferryd (process "
                    + a.pid() + "): give each daemon its own --state-dir (stateDir)\n", sameState.stderr());
            assertEquals("the first daemon's VM untouched", digest, a.digest("guest"));

            a.ferryOk("migrate", "--live", "guest", b.url());
            assertEquals(digest, b.digest("guest"));
            assertTrue("memory in the destination's run directory", Files.exists(runB.resolve(guest.uuid().toString()).resolve("memory")));
            assertFalse("the source's VM gone", Files.exists(runA.resolve(guest.uuid().toString())));

            DaemonProcess moved = b.restart("--run-dir", work.resolve("elsewhere").toString());
            DaemonProcess.Refusal refusal = moved.awaitRefusal();
            assertEquals(refusal.toString(), 1, refusal.exit());
            assertTrue(refusal.toString(), refusal.log().contains("ferryd: cannot load the domains: the run directory is "
                    + work.resolve("elsewhere") + " but the active domains (guest) run from " + runB + ": start the daemon with"
                    + " --run-dir " + runB + " (runDir) until they are shut off\n"));
            try (DaemonProcess back = b.restart("--run-dir", runB.toString())) {
                assertEquals("the VM re-attached", digest, back.digest("guest"));
                back.ferryOk("destroy", "guest");
            }
        }
        Path state = work.resolve("state-as-run");
        try (DaemonProcess own = DaemonProcess.startOn(state, "state-as-run", "--run-dir", state.toString())) {
            assertTrue("one directory for both is one daemon's", own.url().startsWith("ferry+tcp://"));
        }
    }

    /** Replaces the copy's etc/io.ferry.daemon.cfg: {@code lines}, nothing else (every other key at its default). */
    private static void configure(String lines) throws Exception {
        Files.writeString(home.resolve("etc/io.ferry.daemon.cfg"), lines, StandardCharsets.UTF_8);
    }

    /**
     * Whoever may write where ferryd takes its bundles or hook script from runs code as ferryd: an installation whose
     * bundle/ or etc/hooks/ its group may write does not start, and the one line says what to change.
     */
    @Test
    public void aBundleOrHookDirectoryOthersMayWriteIsRefusedBeforeTheFrameworkStarts() throws Exception {
        Path bundles = home.resolve("bundle");
        Files.setPosixFilePermissions(bundles, PosixFilePermissions.fromString("rwxrwxr-x"));
        try {
            assertUntrusted("bundle directory", bundles, "775");
        } finally {
            Files.setPosixFilePermissions(bundles, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        // etc/hooks itself is checked with etc/; what is in it, the hook script, on its own
        Path hooks = Files.createDirectory(home.resolve("etc/hooks"));
        Path script = Files.writeString(hooks.resolve("ferry"), "#!/bin/sh\n");
        try {
            Files.setPosixFilePermissions(hooks, PosixFilePermissions.fromString("rwxr-xr-x")); // whatever the umask
            Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxrwxrwx"));
            assertUntrusted("hook directory", script, "777");
        } finally {
            Files.delete(script);
            Files.delete(hooks);
        }
    }

    /** Refused with status 1 and one line naming the directory checked and the path at fault, with the fix. */
    private static void assertUntrusted(String what, Path writable, String mode) throws Exception {
        DaemonProcess.Refusal refusal = DaemonProcess.refused(home);
        assertEquals(refusal.toString(), 1, refusal.exit());
        String line = refusal.stderr();
        assertTrue(line, line.startsWith("ferryd: the " + what + " ") && line.indexOf('\n') == line.length() - 1);
        assertTrue(line, line.contains(" may be written by its group or others (mode " + mode + ")"));
        assertTrue(line, line.contains("; chmod go-w " + writable.toRealPath()));
        assertFalse("the framework started:\n" + refusal, refusal.log().contains("INFO"));
    }

    /** {@code ferryd --help} (or {@code -h}) alone prints the options and their settings, and starts nothing. */
    @Test
    public void helpPrintsTheOptions() throws Exception {
        for (String help : List.of("--help", "-h")) {
            Installation.Result usage = Installation.run(null, home.resolve("bin/ferryd").toString(), help);
            assertEquals(usage.toString(), 0, usage.exit());
            assertTrue(usage.toString(), usage.out().startsWith("usage: ferryd [OPTION]...\n"));
            assertTrue(usage.toString(), usage.out().contains("--state-dir DIR"));
            assertEquals(usage.toString(), "", usage.err());
        }
    }

    /** Refused with status 1 and exactly this one line, before the framework booted (so the log is empty). */
    private static void assertRefusedAtOnce(String line, String... flags) throws Exception {
        DaemonProcess.Refusal refusal = DaemonProcess.refused(home, flags);
        assertEquals(refusal.toString(), 1, refusal.exit());
        assertEquals(refusal.toString(), line + "\n", refusal.stderr());
        assertFalse("the framework started:\n" + refusal, refusal.log().contains("INFO"));
    }
}
