package io.ferry.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.Version;
import org.w3c.dom.Element;

/**
 * A cookie section is installed, updated to a new version and removed while the daemon runs: its control channel
 * lists it, bakes it and then refuses cookies that need it, and nothing else in the framework restarts.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class HotSwapIT extends FerryTestSupport {
    private static final String PROBE_BSN = "io.ferry.test.section";
    private static final String DOMAIN = "itest-guest";
    private static final String DOMAIN_UUID = "c0ffee00-1234-4abc-8def-000000000042";
    /** The destination host in check requests: another host than the one that baked. */
    private static final String OTHER_HOST_UUID = "5a1e0c1d-7f3b-4e6a-9d2c-1f00d0000002";

    @Test
    public void sectionsComeAndGoWhileTheDaemonRuns() throws Exception {
        Path work = workDir("hotswap-");
        try (RestartWatch watch = RestartWatch.start(context, PROBE_BSN)) {
            ServiceReference<?> control = startDaemon(work.resolve("state"));
            Object controlId = control.getProperty(Constants.SERVICE_ID);
            ControlClient daemon = new ControlClient((String) control.getProperty(CONTROL_URL));
            Map<String, String> shipped = shippedSections();

            // (1) the shipped sections (snapshots waits for the core's snapshot store, which waits for the daemon's
            // configuration: it may register just after the control channel), and no probe in a cookie
            Await.until("the shipped sections", daemon::sections, shipped::equals);
            String plain = daemon.bake("begin", DOMAIN, DOMAIN_UUID);
            assertNull("probe in " + plain, probe(plain));
            assertFalse(features(plain).contains("probe"));

            // (2) a third-party section installed at run time
            Path jar = reactorJar("testSection").toPath();
            String firstVersion = BundleJars.version(jar);
            Bundle section = context.installBundle(jar.toUri().toString());
            section.start();
            Map<String, String> listed = Await.until("the probe section listed", daemon::sections,
                    s -> s.containsKey("probe") && s.containsKey("fault") && s.containsKey("gate"));
            assertEquals(PROBE_BSN + " " + firstVersion, listed.get("probe"));
            assertEquals(withTestSection(shipped, PROBE_BSN + " " + firstVersion), listed);
            String firstCookie = daemon.bake("begin", DOMAIN, DOMAIN_UUID);
            assertProbe(firstCookie, firstVersion);

            // (3) updated in place to 2.0.0, then refreshed
            Path secondJar = BundleJars.withVersion(jar, "2.0.0", work.resolve("test-section-2.0.0.jar"));
            long sectionId = section.getBundleId();
            try (InputStream in = Files.newInputStream(secondJar)) {
                section.update(in);
            }
            refresh(section);
            assertEquals(sectionId, section.getBundleId());
            assertEquals(new Version(2, 0, 0), section.getVersion());
            assertEquals(Bundle.ACTIVE, section.getState());
            listed = Await.until("the probe section from 2.0.0 listed", daemon::sections,
                    s -> (PROBE_BSN + " 2.0.0").equals(s.get("probe")) && (PROBE_BSN + " 2.0.0").equals(s.get("fault"))
                            && (PROBE_BSN + " 2.0.0").equals(s.get("gate")));
            assertEquals(withTestSection(shipped, PROBE_BSN + " 2.0.0"), listed);
            assertProbe(daemon.bake("begin", DOMAIN, DOMAIN_UUID), "2.0.0");

            // the earlier cookie, with its <feature name='probe'/>, is eaten while a probe section is there
            ControlClient.Reply accepted = daemon.check("prepare", OTHER_HOST_UUID, firstCookie);
            assertEquals(accepted.body(), 200, accepted.status());
            Element acceptance = accepted.xml();
            assertEquals("accepted", acceptance.getTagName());
            assertTrue(accepted.body(), Arrays.asList(acceptance.getAttribute("sections").split(",")).contains("probe"));

            // (4) removed: no longer listed nor baked, and a cookie that needs it is refused
            section.uninstall();
            refresh(section);
            listed = Await.until("the probe section gone", daemon::sections,
                    s -> !s.containsKey("probe") && !s.containsKey("fault") && !s.containsKey("gate"));
            assertEquals(shipped, listed);
            String after = daemon.bake("begin", DOMAIN, DOMAIN_UUID);
            assertNull("probe in " + after, probe(after));
            assertFalse(features(after).contains("probe"));
            ControlClient.Reply refused = daemon.check("prepare", OTHER_HOST_UUID, firstCookie);
            assertEquals(refused.body(), 400, refused.status());
            Element error = refused.xml();
            assertEquals("error", error.getTagName());
            // the test bundle also holds the mandatory fault section (the e2e FailureMatrixIT's): either refuses
            assertTrue(error.getTextContent(), error.getTextContent().trim().matches("Unknown migration cookie feature (probe|fault)"));

            // the daemon and its control channel lived through all of it, and so did everything else
            assertEquals(controlId, awaitReference("(" + CONTROL_URL + "=*)").getProperty(Constants.SERVICE_ID));
            watch.assertNoRestart();
        }
    }

    /**
     * Two bundles offer the same features: both are listed, the higher version serves the same way every time, and
     * the listing says why; removing the one that serves hands its features to the other.
     */
    @Test
    public void twoBundlesOfOneFeatureAreBothListedAndTheHigherVersionServes() throws Exception {
        Path work = workDir("twobundles-");
        ServiceReference<?> control = startDaemon(work.resolve("state"));
        ControlClient daemon = new ControlClient((String) control.getProperty(CONTROL_URL));
        Path jar = reactorJar("testSection").toPath();
        String older = PROBE_BSN + " " + BundleJars.version(jar);
        Bundle newer = context.installBundle(BundleJars.withVersion(jar, "1.2.0", work.resolve("test-section-1.2.0.jar"))
                .toUri().toString());
        Bundle first = context.installBundle(jar.toUri().toString());
        try {
            newer.start();
            first.start();
            Await.until("the newer bundle serving the probe", daemon::sections, s -> (PROBE_BSN + " 1.2.0").equals(s.get("probe")));
            List<Element> probes = daemon.registrations().stream().filter(s -> s.getAttribute("feature").equals("probe")).toList();
            assertEquals("both registrations of probe listed", 2, probes.size());
            assertEquals(PROBE_BSN + " 1.2.0", probes.get(0).getAttribute("bundle"));
            assertEquals("yes", probes.get(0).getAttribute("serving"));
            assertEquals("bundle version 1.2.0 over " + BundleJars.version(jar), probes.get(0).getAttribute("why"));
            assertEquals(older, probes.get(1).getAttribute("bundle"));
            assertEquals("no", probes.get(1).getAttribute("serving"));
            assertEquals("outranked by " + PROBE_BSN + " 1.2.0: bundle version 1.2.0 over " + BundleJars.version(jar),
                    probes.get(1).getAttribute("why"));
            assertProbe(daemon.bake("begin", DOMAIN, DOMAIN_UUID), "1.2.0");

            newer.uninstall();
            refresh(newer);
            Await.until("the older bundle serving the probe alone", daemon::registrations,
                    all -> all.stream().filter(s -> s.getAttribute("feature").equals("probe")).map(s -> s.getAttribute("bundle")
                            + " " + s.getAttribute("serving")).toList().equals(List.of(older + " yes")));
            assertProbe(daemon.bake("begin", DOMAIN, DOMAIN_UUID), BundleJars.version(jar));
        } finally {
            for (Bundle bundle : List.of(newer, first)) {
                if (bundle.getState() != Bundle.UNINSTALLED) {
                    bundle.uninstall();
                }
            }
            refresh(first);
        }
    }

    /** What {@code GET /v1/sections} lists with only the shipped bundles, their names read from the jars. */
    private static Map<String, String> shippedSections() throws Exception {
        String core = BundleJars.describe(reactorJar("core").toPath());
        Map<String, String> sections = new LinkedHashMap<>();
        sections.put("capabilities", core);
        sections.put("graphics", BundleJars.describe(reactorJar("graphics").toPath()));
        sections.put("lockstate", BundleJars.describe(reactorJar("lockstate").toPath()));
        sections.put("network", BundleJars.describe(reactorJar("ovs").toPath()));
        sections.put("persistent", core);
        sections.put("snapshots", BundleJars.describe(reactorJar("snapshots").toPath()));
        sections.put("statistics", core);
        return sections;
    }

    /** {@code sections} plus the test bundle's three (probe, fault and gate), in the daemon's order (by feature). */
    private static Map<String, String> withTestSection(Map<String, String> sections, String bundle) {
        Map<String, String> all = new TreeMap<>(sections);
        all.put("probe", bundle);
        all.put("fault", bundle);
        all.put("gate", bundle);
        return new LinkedHashMap<>(all);
    }

    private static void assertProbe(String cookie, String bundleVersion) {
        Element probe = probe(cookie);
        assertNotNull("no <probe> in " + cookie, probe);
        assertEquals(cookie, bundleVersion, probe.getAttribute("bundle-version"));
        assertEquals(cookie, DOMAIN, probe.getAttribute("domain"));
        assertTrue(cookie, features(cookie).contains("probe"));
        assertTrue(cookie, cookie.contains("<feature name='probe'/>"));
    }

    private static Element probe(String cookie) {
        List<Element> probes = ControlClient.children(ControlClient.parse(cookie), "probe");
        assertTrue(cookie, probes.size() <= 1);
        return probes.isEmpty() ? null : probes.get(0);
    }

    private static List<String> features(String cookie) {
        return ControlClient.children(ControlClient.parse(cookie), "feature").stream()
                .map(feature -> feature.getAttribute("name")).collect(Collectors.toList());
    }
}
