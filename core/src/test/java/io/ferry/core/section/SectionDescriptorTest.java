package io.ferry.core.section;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.api.cookie.CookieSection;
import io.ferry.api.cookie.Mandatory;
import io.ferry.api.cookie.Phase;
import io.ferry.core.cookie.TestSections;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.Test;

/** Reading a section's service properties, and the hand-written properties of {@link TestSections}. */
public class SectionDescriptorTest {
    static Map<String, Object> properties(String feature, String element) {
        Map<String, Object> properties = new HashMap<>();
        properties.put(CookieSection.FEATURE, feature);
        properties.put(CookieSection.ELEMENT, element);
        return properties;
    }

    static String refusal(Map<String, Object> properties) {
        return assertThrows(IllegalArgumentException.class,
                () -> SectionDescriptor.fromProperties(properties, "org.example.bundle 1.0.0")).getMessage();
    }

    @Test
    public void defaultsAreVersionOneNeverMandatoryNoPhases() {
        SectionDescriptor d = SectionDescriptor.fromProperties(properties("f", "e"), "b");
        assertEquals(new SectionDescriptor("f", "e", "1.0", Mandatory.NEVER, Set.of(), Set.of(), "b"), d);
        assertEquals(1, d.majorVersion());
    }

    @Test
    public void phasesAreReadFromArraysCollectionsAndSingleValuesInAnyCase() {
        Map<String, Object> p = properties("f", "e");
        p.put(CookieSection.BAKES, new String[] {"BEGIN", "perform"});
        p.put(CookieSection.EATS, List.of("Prepare", "FINISH"));
        p.put(CookieSection.VERSION, "12.3");
        p.put(CookieSection.MANDATORY, "WHEN_BAKED");
        SectionDescriptor d = SectionDescriptor.fromProperties(p, "b");
        assertEquals(EnumSet.of(Phase.BEGIN, Phase.PERFORM), d.bakes());
        assertEquals(EnumSet.of(Phase.PREPARE, Phase.FINISH), d.eats());
        assertTrue(d.bakesIn(Phase.BEGIN) && d.eatsIn(Phase.FINISH) && !d.eatsIn(Phase.CONFIRM));
        assertEquals(12, d.majorVersion());
        assertEquals(Mandatory.WHEN_BAKED, d.mandatory());

        p.put(CookieSection.EATS, "confirm");
        assertEquals(Set.of(Phase.CONFIRM), SectionDescriptor.fromProperties(p, "b").eats());
    }

    @Test
    public void badPropertiesAreRefusedNamingBundleAndProperty() {
        Map<String, Object> noFeature = properties("f", "e");
        noFeature.remove(CookieSection.FEATURE);
        assertEquals("cookie section from org.example.bundle 1.0.0 lacks the service property ferry.section.feature",
                refusal(noFeature));
        assertEquals("cookie section from org.example.bundle 1.0.0 lacks the service property ferry.section.element",
                refusal(properties("f", " ")));
        assertEquals("cookie section from org.example.bundle 1.0.0 has an invalid feature or element name: f, 1e",
                refusal(properties("f", "1e")));

        Map<String, Object> p = properties("f", "e");
        p.put(CookieSection.VERSION, "1");
        assertEquals("cookie section f from org.example.bundle 1.0.0 has version '1', expected MAJOR.MINOR", refusal(p));
        p.put(CookieSection.VERSION, "1.0");
        p.put(CookieSection.MANDATORY, "ALWAYS");
        assertEquals("cookie section f from org.example.bundle 1.0.0 has an unknown mandatory policy 'ALWAYS'", refusal(p));
        p.remove(CookieSection.MANDATORY);
        p.put(CookieSection.EATS, new String[] {"prepare", "migrate"});
        assertEquals("cookie section f from org.example.bundle 1.0.0: ferry.section.eats: unknown phase 'migrate' "
                + "(expected begin, prepare, perform, finish or confirm)", refusal(p));
    }

    /**
     * A version whose parts do not fit an int: its comparisons would throw wherever versions are compared, and a peer
     * refuses it in the section list of every migration message ("malformed section version").
     */
    @Test
    public void aVersionWhosePartsDoNotFitAnIntIsRefused() {
        Map<String, Object> p = properties("f", "e");
        for (String huge : List.of("1.99999999999", "99999999999.0")) {
            p.put(CookieSection.VERSION, huge);
            assertEquals("cookie section f from org.example.bundle 1.0.0 has version '" + huge + "', expected MAJOR.MINOR",
                    refusal(p));
        }
    }

    @Test
    public void anElementOfTheCookiesOwnIsRefused() {
        for (String envelope : List.of("qemu-migration", "name", "uuid", "hostname", "hostuuid", "feature")) {
            assertEquals("cookie section f from org.example.bundle 1.0.0 has element <" + envelope
                    + ">, which is the migration cookie's own", refusal(properties("f", envelope)));
        }
    }
}
