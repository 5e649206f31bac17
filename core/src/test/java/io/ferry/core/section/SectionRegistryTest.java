package io.ferry.core.section;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import io.ferry.api.cookie.CookieSection;
import io.ferry.api.cookie.Mandatory;
import io.ferry.core.StderrLog;
import io.ferry.core.daemon.TestDaemons;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceReference;

/**
 * Which sections left moments ago: what a Begin waits for before it bakes without a section that may be mandatory
 * (its bundle being updated), so that the domain's first migration does not go without the section's state.
 */
public class SectionRegistryTest {
    private static final long WAIT = 60_000;

    @Rule
    public TemporaryFolder folder = new TemporaryFolder();

    private SectionRegistry registry;

    @Before
    public void registry() throws Exception {
        registry = new SectionRegistry(TestDaemons.context(Map.of()), TestDaemons.at(folder.getRoot().toPath()));
    }

    @Test
    public void aSectionThatLeftStaysDepartedForTheWaitEvenOnceItIsBack() throws Exception {
        ServiceReference<CookieSection<?>> before = reference("probe", Mandatory.WHEN_BAKED);
        registry.addSection(before);
        assertEquals(Set.of(), registry.departedWithin(WAIT));

        String log = StderrLog.of(() -> registry.removeSection(before)); // the bundle being updated
        assertTrue(log, log.contains("INFO io.ferry.core.section.SectionRegistry - cookie section probe removed (an unregistered"
                + " bundle)"));
        assertEquals(Set.of("probe"), registry.departedWithin(WAIT));
        registry.addSection(reference("probe", Mandatory.WHEN_BAKED)); // its new registration
        // a Begin that took its sections while the probe was away learns here that it left, and takes them again
        assertEquals(Set.of("probe"), registry.departedWithin(WAIT));
        assertTrue(registry.get().byFeature("probe").isPresent());
        assertEquals("forgotten after the wait", Set.of(), registry.departedWithin(-1));
    }

    @Test
    public void aSectionNeverMandatoryOrStillOfferedByAnotherBundleDoesNotDepart() {
        ServiceReference<CookieSection<?>> never = reference("clock", Mandatory.NEVER);
        registry.addSection(never);
        registry.removeSection(never);

        ServiceReference<CookieSection<?>> one = reference("tpm", Mandatory.WHEN_BAKED);
        registry.addSection(one);
        registry.addSection(reference("tpm", Mandatory.WHEN_BAKED));
        registry.removeSection(one);
        assertEquals(Set.of(), registry.departedWithin(WAIT));
        assertTrue(registry.get().byFeature("tpm").isPresent());
    }

    /**
     * {@code ferry cookie check} does not eat a section whose registration left while it ran (a hot swap), and says
     * so: it said the section's bundle was built against an api of an unknown version.
     */
    @Test
    public void aSectionThatLeftWhileACheckRanIsNotEatenAndSaysWhy() {
        ServiceReference<CookieSection<?>> probe = reference("probe", Mandatory.NEVER);
        registry.addSection(probe);
        SectionHandle handle = registry.get().byFeature("probe").orElseThrow();
        assertTrue("a bundle that imports no api", registry.uncheckable(handle).startsWith("built against io.ferry.api.cookie"
                + " of an unknown version"));

        registry.removeSection(probe);

        assertEquals("its registration left this host while the check ran (its bundle stopped or being updated)",
                registry.uncheckable(handle));
    }

    @Test
    public void ofTwoFeaturesWithOneElementTheFirstRegisteredServesAndTheOtherSaysWhyNot() throws Exception {
        registry.addSection(reference("persistent", "domain", Mandatory.NEVER));
        String log = StderrLog.of(() -> registry.addSection(reference("mydomain", "domain", Mandatory.NEVER)));
        assertTrue(log, log.contains("WARN io.ferry.core.section.SectionRegistry - cookie section mydomain is not served:"
                + " its element <domain> is served by section persistent of an unregistered bundle"));
        assertEquals(List.of("persistent"), registry.get().all().stream().map(h -> h.descriptor().feature()).toList());
        assertEquals(List.of("mydomain: its element <domain> is served by section persistent of an unregistered bundle",
                "persistent: "), registry.registrations().stream().map(r -> r.handle().descriptor().feature() + ": " + r.why()).toList());
    }

    /**
     * Of two registrations of one feature, a higher service ranking serves though registered second, else the newer
     * section version, and both say why (what `ferry sections` shows an operator who deployed a replacement).
     */
    @Test
    public void ofTwoRegistrationsOfOneFeatureTheHigherRankingOrNewerVersionServesAndBothSayWhy() throws Exception {
        registry.addSection(reference("probe", "probe", Mandatory.NEVER, Map.of()));
        String log = StderrLog.of(() -> registry.addSection(reference("probe", "probe", Mandatory.NEVER,
                Map.of(Constants.SERVICE_RANKING, 5))));
        assertTrue(log, log.contains("WARN io.ferry.core.section.SectionRegistry - cookie section probe is offered by 2"
                + " bundles (an unregistered bundle, an unregistered bundle): an unregistered bundle serves it"));
        assertServesAndSays("probe", "service ranking 5 over 0");

        registry.addSection(reference("clock", "clock", Mandatory.NEVER, Map.of(CookieSection.VERSION, "1.0")));
        registry.addSection(reference("clock", "clock", Mandatory.NEVER, Map.of(CookieSection.VERSION, "1.3")));
        assertServesAndSays("clock", "section version 1.3 over 1.0");
    }

    /**
     * A section that goes while `ferry sections` lists them (a hot swap) leaves a listing of one moment: it failed with
     * an internal error when the serving registration went between the choice of who serves and the words why.
     */
    @Test
    public void aSectionThatGoesWhileTheRegistrationsAreListedLeavesAListingOfOneMoment() {
        ServiceReference<CookieSection<?>> serving = reference("probe", Mandatory.NEVER);
        AtomicBoolean armed = new AtomicBoolean();
        registry.addSection(serving);
        registry.addSection(reference("probe", "probe", Mandatory.NEVER, Map.of(), () -> {
            if (armed.getAndSet(false)) {
                registry.removeSection(serving); // its bundle uninstalled as the listing ranks the two
            }
        }));
        armed.set(true);

        List<SectionRegistry.Registration> listed = registry.registrations();
        assertFalse("the section went during the listing", armed.get());
        assertEquals(List.of("registered first", "outranked by an unregistered bundle: registered first"),
                listed.stream().map(SectionRegistry.Registration::why).toList());
        assertEquals("then the one left serves", List.of(""),
                registry.registrations().stream().map(SectionRegistry.Registration::why).toList());
    }

    /** The serving registration of {@code feature} says {@code why}, and the other that it was outranked for it. */
    private void assertServesAndSays(String feature, String why) {
        List<SectionRegistry.Registration> both = registry.registrations().stream()
                .filter(r -> r.handle().descriptor().feature().equals(feature)).toList();
        assertEquals(Set.of("outranked by an unregistered bundle: " + why, why),
                both.stream().map(SectionRegistry.Registration::why).collect(java.util.stream.Collectors.toSet()));
        assertEquals(why, both.stream().filter(r -> r.handle() == registry.get().byFeature(feature).orElseThrow())
                .findFirst().orElseThrow().why());
    }

    private static ServiceReference<CookieSection<?>> reference(String feature, Mandatory mandatory) {
        return reference(feature, feature, mandatory);
    }

    private static ServiceReference<CookieSection<?>> reference(String feature, String element, Mandatory mandatory) {
        return reference(feature, element, mandatory, Map.of());
    }

    private static ServiceReference<CookieSection<?>> reference(String feature, String element, Mandatory mandatory,
            Map<String, Object> more) {
        return reference(feature, element, mandatory, more, () -> { });
    }

    private static ServiceReference<CookieSection<?>> reference(String feature, String element, Mandatory mandatory,
            Map<String, Object> more, Runnable bundleAsked) {
        return TestRegistrations.reference(feature, element, mandatory, more, bundleAsked);
    }
}
