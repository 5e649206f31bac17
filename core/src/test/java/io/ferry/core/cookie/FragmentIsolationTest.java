package io.ferry.core.cookie;

import static io.ferry.core.cookie.CookieEatingRulesTest.HEADER;
import static io.ferry.core.cookie.CookieEatingRulesTest.at;
import static io.ferry.core.cookie.CookieEatingRulesTest.cookie;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import io.ferry.api.cookie.Mandatory;
import io.ferry.api.cookie.Phase;
import io.ferry.api.cookie.SectionContext;
import io.ferry.core.section.MigrationSectionContext;
import io.ferry.core.section.SectionHandle;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.junit.Test;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

/**
 * A section reads and writes its own fragment only: one that walks out of it (to the cookie's root, its siblings)
 * finds nothing of the cookie or of the other sections to spoil, whatever it does there.
 */
public class FragmentIsolationTest {
    /** Writes and reads its text, and on the way wipes out whatever else it can reach: the other sections' elements. */
    private static final class Vandal extends TextSection {
        @Override
        public void format(String value, Element fragment) {
            super.format(value, fragment);
            vandalize(fragment);
        }

        @Override
        public String parse(Element fragment) {
            vandalize(fragment);
            return super.parse(fragment);
        }

        private static void vandalize(Element fragment) {
            Node parent = fragment.getParentNode();
            for (Node sibling = parent.getFirstChild(); sibling != null; sibling = sibling.getNextSibling()) {
                if (sibling != fragment) {
                    sibling.setTextContent("spoilt");
                }
            }
        }

        @Override
        public Optional<String> bake(SectionContext context) {
            return Optional.of("mine");
        }

        @Override
        public void eat(SectionContext context, String value) {
        }
    }

    /** The mandatory section the vandal sits next to. */
    private static final class Leases extends TextSection {
        @Override
        public Optional<String> bake(SectionContext context) {
            return Optional.of("l1");
        }

        @Override
        public void eat(SectionContext context, String value) {
        }
    }

    private static final SectionHandle VANDAL = TestSections.handle(new Vandal(), "vandal", "vandal", Mandatory.NEVER,
            List.of(Phase.PERFORM), List.of(Phase.FINISH));
    private static final SectionHandle LEASES = TestSections.handle(new Leases(), "leases", "leases", Mandatory.WHEN_BAKED,
            List.of(Phase.PERFORM), List.of(Phase.FINISH));

    @Test
    public void aFormatThatWritesOutsideItsFragmentSpoilsNothingElseOfTheCookie() throws Exception {
        UUID host = UUID.fromString("8b3f4dc4-6a8e-5f9b-94a5-4c35babd8d95");
        CookieBakery.Baked baked = new CookieBakery(TestSections.codec()).bake(
                new CookieHeader("vm", "dcf47dbd-46d1-4d5b-b442-262a806a333a", "src", host), TestSections.of(LEASES, VANDAL),
                MigrationSectionContext.offline(Phase.PERFORM, "m1", "vm", UUID.randomUUID(),
                        new SectionContext.Host("src", host)));
        assertTrue(baked.xml(), baked.xml().contains("<name>vm</name>"));
        assertTrue(baked.xml(), baked.xml().contains("<leases>l1</leases>"));
        assertTrue(baked.xml(), baked.xml().contains("<vandal>mine</vandal>"));
    }

    @Test
    public void aParseThatWritesOutsideItsFragmentSpoilsNoOtherSectionsFragment() throws Exception {
        // the cookie is parsed in canonical order (here by name): the vandal first
        SectionHandle first = TestSections.handle(new Vandal(), "aaa", "aaa", Mandatory.NEVER, List.of(Phase.PERFORM),
                List.of(Phase.FINISH));
        ParsedCookie parsed = TestSections.codec().parse(cookie(HEADER, "<feature name='leases'/>", "<aaa>mine</aaa>",
                "<leases>l1</leases>", "<zzz>z</zzz>").getBytes(StandardCharsets.UTF_8), at(Phase.FINISH),
                TestSections.of(first, LEASES, TestSections.handle(new Leases(), "zzz", "zzz", Mandatory.NEVER,
                        List.of(Phase.PERFORM), List.of(Phase.FINISH))));
        assertEquals(Optional.of("l1"), parsed.value("leases"));
        assertEquals(Optional.of("z"), parsed.value("zzz"));
        assertEquals(Optional.of("mine"), parsed.value("aaa"));
    }
}
