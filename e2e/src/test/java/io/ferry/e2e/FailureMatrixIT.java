package io.ferry.e2e;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.nio.file.Path;
import java.util.Map;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;

/**
 * The failure matrix with real daemons: the test section's {@code fault} section (mandatory, in every phase)
 * throws at one bake or eat, and {@code ferry migrate --live} of an idle guest must end with the guest running
 * on exactly one host: on the source for a failure before the destination committed, on the destination after.
 * The fault is per JVM, so each case starts its own faulty daemon against one fault-free peer.
 */
public class FailureMatrixIT {
    private static final Path TEST_SECTION = Path.of(System.getProperty("ferry.test.section"));
    private static DaemonProcess healthy;

    @BeforeClass
    public static void startHealthyPeer() throws Exception {
        healthy = withFaultSection("healthy", null);
    }

    @AfterClass
    public static void stopHealthyPeer() throws Exception {
        if (healthy != null) {
            healthy.close();
        }
    }

    @Test
    public void bakeAtBeginOnTheSource() throws Exception {
        failsAndStaysOnTheSource(true, "bake:begin");
    }

    @Test
    public void eatAtPrepareOnTheDestination() throws Exception {
        failsAndStaysOnTheSource(false, "eat:prepare");
    }

    @Test
    public void bakeAtPrepareOnTheDestination() throws Exception {
        failsAndStaysOnTheSource(false, "bake:prepare");
    }

    @Test
    public void eatAtPerformOnTheSource() throws Exception {
        failsAndStaysOnTheSource(true, "eat:perform");
    }

    @Test
    public void bakeAtPerformOnTheSourceAfterTheMemoryWentOut() throws Exception {
        failsAndStaysOnTheSource(true, "bake:perform");
    }

    @Test
    public void eatAtFinishOnTheDestination() throws Exception {
        failsAndStaysOnTheSource(false, "eat:finish");
    }

    @Test
    public void bakeAtFinishAfterTheDestinationCommittedIsOnlyLogged() throws Exception {
        succeedsAfterTheCommit(false, "bake:finish");
    }

    @Test
    public void eatAtConfirmAfterTheDestinationCommittedIsOnlyLogged() throws Exception {
        succeedsAfterTheCommit(true, "eat:confirm");
    }

    private static void failsAndStaysOnTheSource(boolean onSource, String fault) throws Exception {
        try (DaemonProcess faulty = withFaultSection("faulty", fault)) {
            DaemonProcess source = onSource ? faulty : healthy;
            DaemonProcess destination = onSource ? healthy : faulty;
            String vm = guestName(fault);
            String digest = Guests.startIdle(source, vm, 16);

            Installation.Result result = Guests.ferry(source, "migrate", "--live", vm, destination.url());
            assertEquals(fault + "\n" + result, 1, result.exit());
            assertEquals("", result.out());
            String err = result.err();
            assertTrue(fault + ": one line: " + err, err.startsWith("error: ") && err.indexOf('\n') == err.length() - 1);
            assertTrue(fault + ": names the section: " + err, err.contains("cookie section fault "));
            assertTrue(fault + ": says what failed: " + err, err.contains("fault injected at " + fault));

            Guests.assertRunsOnlyOn(source, destination, vm, digest);
            assertFalse(fault + ": the destination keeps nothing of " + vm, Guests.listed(destination, vm));
        }
    }

    private static void succeedsAfterTheCommit(boolean onSource, String fault) throws Exception {
        try (DaemonProcess faulty = withFaultSection("faulty", fault)) {
            DaemonProcess source = onSource ? faulty : healthy;
            DaemonProcess destination = onSource ? healthy : faulty;
            String vm = guestName(fault);
            String digest = Guests.startIdle(source, vm, 16);

            Installation.Result result = Guests.ferry(source, "migrate", "--live", vm, destination.url());
            assertEquals(fault + "\n" + result, 0, result.exit());

            Guests.assertRunsOnlyOn(destination, source, vm, digest);
            assertTrue(fault + ": the failure is logged:\n" + faulty.log(), faulty.log().contains("fault injected at " + fault));
        }
    }

    /** A daemon with the test section installed (seen by {@code ferry sections}); {@code fault} null: none. */
    private static DaemonProcess withFaultSection(String name, String fault) throws Exception {
        Map<String, String> env = fault == null ? Map.of() : Map.of("FERRYD_JAVA_OPTS", "-Dferry.test.fault=" + fault);
        DaemonProcess daemon = DaemonProcess.start(name, env);
        try {
            Jars.dropInto(TEST_SECTION, daemon.deployDir, "test-section.jar");
            Poll.until("the fault section on " + name, () -> Guests.ok(daemon, "sections").out()
                    .lines().anyMatch(line -> line.startsWith(" fault ")));
            return daemon;
        } catch (Exception | AssertionError e) {
            daemon.close();
            throw e;
        }
    }

    private static String guestName(String fault) {
        return "vm-" + fault.replace(':', '-');
    }
}
