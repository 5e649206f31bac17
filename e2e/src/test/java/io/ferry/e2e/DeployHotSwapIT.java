package io.ferry.e2e;

import io.ferry.launcher.BundleJars;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.Test;

/**
 * A section bundle installed, updated and removed through the deploy/ directory of a running ferryd, seen
 * through the ferry command; the daemon is never restarted and stops gracefully on SIGTERM.
 */
public class DeployHotSwapIT {
    private static final String DOMAIN_UUID = "1b4e28ba-2fa1-11d2-883f-0016d3cca427";
    private static final Path TEST_SECTION = Path.of(System.getProperty("ferry.test.section"));

    @Test
    public void sectionBundleComesGoesAndUpdatesThroughDeployWhileTheDaemonRuns() throws Exception {
        try (DaemonProcess daemon = DaemonProcess.start("hotswap")) {
            String url = daemon.url();
            assertFalse(sections(url).contains("probe"));
            assertFalse(bake(url).contains("<probe"));

            BundleJars.dropInto(TEST_SECTION, daemon.deployDir, "probe.jar");
            Poll.until("probe to be listed", () -> sections(url).contains("io.ferry.test.section 0.1.0.SNAPSHOT"));
            String firstCookie = bake(url);
            assertTrue(firstCookie, firstCookie.contains("<feature name='probe'/>"));
            assertTrue(firstCookie, firstCookie.contains("<probe bundle-version='0.1.0.SNAPSHOT' domain='hotswap-vm'/>"));

            Path v2 = BundleJars.withVersion(TEST_SECTION, "2.0.0", Files.createTempFile(Installation.WORK, "probe-2", ".jar"));
            BundleJars.dropInto(v2, daemon.deployDir, "probe.jar");
            Poll.until("probe 2.0.0 to replace 0.1.0", () -> bake(url).contains("bundle-version='2.0.0'"));
            assertTrue(sections(url).contains("io.ferry.test.section 2.0.0"));

            Path cookie = Files.writeString(Files.createTempFile(Installation.WORK, "probe-cookie", ".xml"), firstCookie);
            String otherHost = "00000000-0000-4000-8000-000000000001";
            Installation.Result accepted = Installation.ferry("-c", url, "cookie", "check", "--phase", "prepare",
                    "--local-hostuuid", otherHost, cookie.toString());
            assertEquals(accepted.toString(), 0, accepted.exit());
            assertTrue(accepted.out(), accepted.out().contains("probe"));

            Files.delete(daemon.deployDir.resolve("probe.jar"));
            Poll.until("probe to be removed", () -> !sections(url).contains("probe"));
            assertFalse(bake(url).contains("<probe"));
            Installation.Result refused = Installation.ferry("-c", url, "cookie", "check", "--phase", "prepare",
                    "--local-hostuuid", otherHost, cookie.toString());
            assertEquals(refused.toString(), 1, refused.exit());
            // the bundle also holds the mandatory fault section (FailureMatrixIT's): either unknown feature refuses
            assertTrue(refused.err(), refused.err().matches("error: Unknown migration cookie feature (probe|fault)\n"));

            assertEquals("the daemon ran throughout", url, daemon.url());
            assertEquals(1, countOf(daemon.log(), "control channel listening"));
            assertEquals("the JVM's status for a SIGTERM it handled", 143, daemon.terminate());
            assertTrue("bundles were deactivated:\n" + daemon.log(), daemon.log().contains("control channel closed"));
            assertFalse("the daemon removes its control-url file", Files.exists(daemon.stateDir.resolve("control-url")));
        }
    }

    /**
     * An operator updates a shipped section by dropping a newer version into deploy/ and rolls it back by deleting
     * it: the shipped bundle is never touched. A copy of the very same version is refused (FileInstall would take it
     * for an update of the shipped bundle otherwise, and deleting the copy would uninstall the shipped one).
     */
    @Test
    public void aShippedSectionIsUpdatedAndRolledBackThroughDeployWithoutEverLosingIt() throws Exception {
        Path shipped = Installation.HOME.resolve("bundle/ferry-plugin-graphics-0.1.0-SNAPSHOT.jar");
        try (DaemonProcess daemon = DaemonProcess.start("shipped")) {
            String url = daemon.url();
            BundleJars.dropInto(shipped, daemon.deployDir, "graphics-copy.jar");
            // not an update of the shipped bundle: a second bundle of the same name and version, which the framework refuses
            Poll.until("the copy to be refused", () -> daemon.log().contains(
                    "Bundle symbolic name and version are not unique: io.ferry.plugin.graphics:0.1.0.SNAPSHOT"));
            Files.delete(daemon.deployDir.resolve("graphics-copy.jar"));
            assertFalse(daemon.log(), daemon.log().contains("Updating this bundle instead"));

            Path newer = BundleJars.withVersion(shipped, "0.2.0", Files.createTempFile(Installation.WORK, "graphics-0.2", ".jar"));
            BundleJars.dropInto(newer, daemon.deployDir, "graphics.jar");
            Poll.until("the newer graphics section to serve", () -> serves(sections(url), "io.ferry.plugin.graphics 0.2.0"));
            // the shipped one stays installed, listed as outranked: deleting the copy goes back to it
            assertTrue(sections(url), sections(url).lines().anyMatch(line -> line.contains("io.ferry.plugin.graphics 0.1.0.SNAPSHOT")
                    && line.endsWith("no (outranked by io.ferry.plugin.graphics 0.2.0: bundle version 0.2.0 over 0.1.0.SNAPSHOT)")));
            Files.delete(daemon.deployDir.resolve("graphics.jar"));
            Poll.until("the shipped graphics section back", () -> !sections(url).contains("io.ferry.plugin.graphics 0.2.0")
                    && serves(sections(url), "io.ferry.plugin.graphics 0.1.0.SNAPSHOT"));
            // never stopped nor updated by FileInstall: the shipped section was added once and never removed
            assertEquals(daemon.log(), 1, countOf(daemon.log(),
                    "added by io.ferry.plugin.graphics 0.1.0.SNAPSHOT"));
            assertEquals(daemon.log(), 1, countOf(daemon.log(),
                    "cookie section graphics removed (io.ferry.plugin.graphics 0.2.0)"));
            assertEquals(daemon.log(), 0, countOf(daemon.log(),
                    "cookie section graphics removed (io.ferry.plugin.graphics 0.1.0.SNAPSHOT)"));
        }
    }

    /**
     * A section updated in place between Begin, whose bake offered its side stream, and the destination's Prepare, which
     * reads it: the old bundle's class loader can no longer load the writer's class (the test section's probe writes
     * with a class of its own), so the new bundle offers the stream again and the migration goes on.
     */
    @Test
    public void aSectionUpdatedAfterBeginOfferedItsStreamHasTheNewBundleWriteIt() throws Exception {
        Path v2 = BundleJars.withVersion(TEST_SECTION, "2.0.0", Files.createTempFile(Installation.WORK, "probe-2", ".jar"));
        try (DaemonProcess source = DaemonProcess.start("stream-src");
                DaemonProcess destination = DaemonProcess.start("stream-dst")) {
            for (DaemonProcess host : new DaemonProcess[] {source, destination}) {
                BundleJars.dropInto(TEST_SECTION, host.deployDir, "probe.jar");
                Poll.until("probe on " + host, () -> sections(host.url()).contains("io.ferry.test.section 0.1.0.SNAPSHOT"));
            }
            String digest = source.boot(SimDomain.idle("stream-vm", 16));

            Phases phases = Phases.begun(source, destination, "stream-vm");
            BundleJars.dropInto(v2, source.deployDir, "probe.jar");
            Poll.until("probe 2.0.0 to replace 0.1.0 on the source", () -> sections(source.url())
                    .contains("io.ferry.test.section 2.0.0") && !sections(source.url()).contains("io.ferry.test.section 0.1.0"));
            phases.prepare().perform();
            phases.confirm(phases.finish(false));

            assertTrue(destination.log(), destination.log().contains("probe: probe baked by version 0.1.0.SNAPSHOT"));
            assertTrue(destination.log(), destination.log().contains("probe: probe stream written by version 2.0.0"));
            Placement.assertRunsOnlyOn(destination, source, "stream-vm", digest);
        }
    }

    private static String sections(String url) throws Exception {
        Installation.Result result = Installation.ferry("-c", url, "sections");
        assertEquals(result.toString(), 0, result.exit());
        return result.out();
    }

    /** Whether {@code sections} lists {@code bundle} as the one serving its feature. */
    private static boolean serves(String sections, String bundle) {
        return sections.lines().anyMatch(line -> line.matches(".* " + java.util.regex.Pattern.quote(bundle) + " +yes\\b.*"));
    }

    private static String bake(String url) throws Exception {
        Installation.Result result = Installation.ferry("-c", url, "cookie", "bake", "--phase", "begin",
                "--name", "hotswap-vm", "--uuid", DOMAIN_UUID);
        assertEquals(result.toString(), 0, result.exit());
        return new String(result.out().getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8);
    }

    private static int countOf(String text, String needle) {
        int count = 0;
        for (int at = text.indexOf(needle); at >= 0; at = text.indexOf(needle, at + 1)) {
            count++;
        }
        return count;
    }
}
