package io.ferry.core.cookie;

import static io.ferry.core.cookie.CookieEatingRulesTest.HEADER;
import static io.ferry.core.cookie.CookieEatingRulesTest.at;
import static io.ferry.core.cookie.CookieEatingRulesTest.cookie;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertThrows;

import io.ferry.api.cookie.CookieException;
import io.ferry.api.cookie.Mandatory;
import io.ferry.api.cookie.Phase;
import io.ferry.api.cookie.SectionContext;
import io.ferry.core.section.SectionFailure;
import io.ferry.core.section.SectionHandle;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import org.junit.Test;
import org.w3c.dom.Element;

/**
 * A fragment of a feature the cookie announces as mandatory must give its section something to eat: a section that
 * reads it as nothing refuses the cookie, naming itself, instead of being passed over; so does a daemon's cookie that
 * announces the feature without the element this host's section reads.
 */
public class AnnouncedSectionWithoutValueTest {
    /** Lease state whose parse reads an empty fragment as nothing. */
    private static final class Leases extends TextSection {
        @Override
        public String parse(Element fragment) {
            return fragment.getTextContent().isEmpty() ? null : fragment.getTextContent();
        }

        @Override
        public Optional<String> bake(SectionContext context) {
            return Optional.empty();
        }

        @Override
        public void eat(SectionContext context, String value) {
        }
    }

    private static SectionHandle leases(String element, Mandatory mandatory) {
        return TestSections.handle(new Leases(), "leases", element, mandatory, List.of(Phase.PERFORM), List.of(Phase.FINISH));
    }

    private static ParsedCookie parse(String xml, SectionHandle handle) throws CookieException {
        return TestSections.codec().parse(xml.getBytes(StandardCharsets.UTF_8), at(Phase.FINISH), TestSections.of(handle));
    }

    @Test
    public void aMandatorySectionThatReadsItsFragmentAsNothingRefusesTheCookie() {
        SectionHandle leases = leases("leases", Mandatory.WHEN_BAKED);
        SectionFailure refused = assertThrows(SectionFailure.class,
                () -> parse(cookie(HEADER, "<feature name='leases'/>", "<leases/>"), leases));
        assertEquals("cookie section leases read its <leases> element as nothing, but the migration cookie announces"
                + " feature leases as mandatory", refused.getMessage());
        assertSame(leases, refused.section().orElseThrow());
    }

    @Test
    public void anAnnouncedFeatureWithoutItsElementIsEatenAsAbsentAsLibvirtDoes() throws Exception {
        // libvirt announces lockstate without a <lockstate> when its lock driver has no state to carry
        assertEquals(List.of(), parse(cookie(HEADER, "<feature name='leases'/>"), leases("leases", Mandatory.WHEN_BAKED)).sections());
        assertEquals(List.of(), parse(cookie(HEADER, "<feature name='leases'/>", "<leases2>l1</leases2>"),
                leases("leases", Mandatory.WHEN_BAKED)).sections());
    }

    /**
     * A daemon's cookie (it names its origin) announces a feature only when its section wrote its element: one it lacks
     * was written under another name (the section updated on one host alone), and eaten as absent it would be lost.
     */
    @Test
    public void anAnnouncedFeatureWhoseElementADaemonWroteUnderAnotherNameRefusesTheCookie() {
        SectionHandle leases = leases("leases", Mandatory.WHEN_BAKED);
        String xml = cookie(HEADER, "<feature name='leases'/>", "<leases2>l1</leases2>")
                .replace("<qemu-migration>", "<qemu-migration migration='m-1' phase='perform'>");
        SectionFailure refused = assertThrows(SectionFailure.class, () -> parse(xml, leases));
        assertEquals("the migration cookie announces feature leases as mandatory but carries no <leases> element,"
                + " which this host's section leases reads: the other host's section leases writes another element"
                + " (update the section on both hosts alike)", refused.getMessage());
        assertSame(leases, refused.section().orElseThrow());
    }

    @Test
    public void aFragmentReadAsNothingThatIsNotAnnouncedIsLeftOut() throws Exception {
        assertEquals(List.of(), parse(cookie(HEADER, "<leases/>"), leases("leases", Mandatory.WHEN_BAKED)).sections());
        assertEquals(List.of(), parse(cookie(HEADER), leases("leases", Mandatory.WHEN_BAKED)).sections());
    }

    @Test
    public void anAnnouncedFragmentWithAValueIsRead() throws Exception {
        assertEquals(Optional.of("l1"), parse(cookie(HEADER, "<feature name='leases'/>", "<leases>l1</leases>"),
                leases("leases", Mandatory.WHEN_BAKED)).value("leases"));
    }
}
