package io.ferry.core.cookie;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.api.cookie.Mandatory;
import io.ferry.api.cookie.Phase;
import io.ferry.api.cookie.SectionContext;
import io.ferry.core.section.MigrationSectionContext;
import io.ferry.core.section.SectionFailure;
import io.ferry.core.section.SectionHandle;
import io.ferry.protocol.xml.HardenedXmlParser;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.junit.Test;
import org.w3c.dom.Element;

/**
 * A cookie the peer would refuse for its size or depth (libvirt's 4 MiB RPC cap; here a small cap of the same codec)
 * is the doing of the section that made it so: an optional one is left out, as when its format fails, and a
 * mandatory one fails the phase naming itself, rather than the peer refusing the whole cookie naming nobody.
 */
public class CookieLimitTest {
    private static final int CAP = 64 * 1024;
    private static final int DEPTH = 16;
    private static final UUID HOST = UUID.fromString("8b3f4dc4-6a8e-5f9b-94a5-4c35babd8d95");

    private final CookieCodec codec = new CookieCodec(new HardenedXmlParser(CAP, DEPTH));

    /** Bakes its value as text, or, if {@code nesting} > 0, as that many elements one inside the other. */
    private static final class Sized extends TextSection {
        private final String value;
        private final int nesting;

        Sized(String value, int nesting) {
            this.value = value;
            this.nesting = nesting;
        }

        @Override
        public void format(String baked, Element fragment) {
            Element inner = fragment;
            for (int i = 0; i < nesting; i++) {
                inner = (Element) inner.appendChild(fragment.getOwnerDocument().createElement("n"));
            }
            inner.setTextContent(baked);
        }

        @Override
        public Optional<String> bake(SectionContext context) {
            return Optional.of(value);
        }

        @Override
        public void eat(SectionContext context, String baked) {
        }
    }

    private static SectionHandle section(String feature, Mandatory mandatory, String value, int nesting) {
        return TestSections.handle(new Sized(value, nesting), feature, feature, mandatory, List.of(Phase.PERFORM),
                List.of(Phase.FINISH));
    }

    private CookieBakery.Baked bake(SectionHandle... sections) throws Exception {
        return new CookieBakery(codec).bake(new CookieHeader("vm", UUID.randomUUID().toString(), "src", HOST),
                TestSections.of(sections), MigrationSectionContext.offline(Phase.PERFORM, "m1", "vm", UUID.randomUUID(),
                        new SectionContext.Host("src", HOST)));
    }

    /** The peer's reading of the cookie: the same limits, refused past them. */
    private void assertThePeerReads(CookieBakery.Baked baked) throws Exception {
        codec.parse(baked.xml().getBytes(StandardCharsets.UTF_8), new EatRules(Phase.FINISH, null, null, null),
                TestSections.of(baked.sections().stream().map(ParsedCookie.Section::handle).toArray(SectionHandle[]::new)));
    }

    @Test
    public void anOptionalSectionThatPushesTheCookiePastItsSizeCapIsLeftOut() throws Exception {
        CookieBakery.Baked baked = bake(section("big", Mandatory.NEVER, "x".repeat(CAP), 0),
                section("small", Mandatory.NEVER, "fits", 0));
        assertFalse("the big fragment is left out", baked.xml().contains("<big>"));
        assertTrue(baked.xml(), baked.xml().contains("<small>fits</small>"));
        assertThePeerReads(baked);
    }

    @Test
    public void anOptionalSectionNestedPastTheDepthCapIsLeftOut() throws Exception {
        CookieBakery.Baked baked = bake(section("deep", Mandatory.NEVER, "x", DEPTH - 1), section("small", Mandatory.NEVER, "fits", 0));
        assertFalse("the deep fragment is left out", baked.xml().contains("<deep>"));
        assertThePeerReads(baked);
    }

    @Test
    public void aMandatorySectionThatPushesTheCookiePastItsCapFailsThePhaseNamingIt() {
        SectionHandle big = section("big", Mandatory.WHEN_BAKED, "x".repeat(CAP), 0);
        SectionFailure failure = assertThrows(SectionFailure.class, () -> bake(big, section("small", Mandatory.NEVER, "fits", 0)));
        assertTrue(failure.getMessage(), failure.getMessage().matches("cookie section big made the migration cookie \\d+ bytes, over"
                + " the limit of 65536 bytes \\(its fragment is \\d+ bytes\\)"));
        assertSame(big, failure.section().orElseThrow());
    }

    /** Of the sections that together pass the cap, an optional one is left out before a mandatory one fails. */
    @Test
    public void theOptionalSectionIsLeftOutWhenThatIsEnoughEvenIfAMandatoryOneIsLarger() throws Exception {
        CookieBakery.Baked baked = bake(section("leases", Mandatory.WHEN_BAKED, "m".repeat(CAP * 3 / 4), 0),
                section("graphics", Mandatory.NEVER, "o".repeat(CAP / 2), 0));
        assertTrue(baked.xml().contains("<leases>"));
        assertFalse(baked.xml().contains("<graphics>"));
        assertEquals(List.of("leases"), baked.features());
        assertThePeerReads(baked);
    }
}
