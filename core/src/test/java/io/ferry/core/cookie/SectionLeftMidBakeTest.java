package io.ferry.core.cookie;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.api.cookie.CookieSection;
import io.ferry.api.cookie.Mandatory;
import io.ferry.api.cookie.Phase;
import io.ferry.api.cookie.SectionContext;
import io.ferry.core.section.MigrationSectionContext;
import io.ferry.core.section.SectionFailure;
import io.ferry.core.section.SectionGone;
import io.ferry.core.section.SectionHandle;
import io.ferry.core.section.SectionSet;
import io.ferry.core.section.SectionSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.junit.Test;

/**
 * A section whose bundle is updated between the moment a phase takes its sections and the section's bake: the call
 * never ran, so the phase takes its sections again and bakes with the registration that replaced it, instead of
 * failing (a hot swap while migrations run). A section that threw is not baked again.
 */
public class SectionLeftMidBakeTest {
    private final CookieBakery bakery = new CookieBakery(TestSections.codec());
    private final CookieHeader header = new CookieHeader("vm", UUID.randomUUID().toString(), "src", UUID.randomUUID());
    private final MigrationSectionContext context = MigrationSectionContext.offline(Phase.BEGIN, "m1", "vm",
            UUID.randomUUID(), new SectionContext.Host("src", UUID.randomUUID()));
    private final List<SectionSet> retaken = new ArrayList<>();

    private static SectionHandle probe(SectionSource source) {
        return probe(source, Mandatory.WHEN_BAKED);
    }

    private static SectionHandle probe(SectionSource source, Mandatory mandatory) {
        return TestSections.handle(source, "probe", "probe", mandatory, List.of(Phase.BEGIN), List.of(Phase.PREPARE),
                TestSections.TIMEOUT);
    }

    private static SectionHandle baking(String value) {
        return probe(baker(value));
    }

    private static SectionSource baker(String value) {
        return SectionSource.of(new TextSection() {
            @Override
            public Optional<String> bake(SectionContext context) {
                return Optional.of(value);
            }

            @Override
            public void eat(SectionContext context, String value) {
            }
        });
    }

    /** A registration that went away: as the framework's, it never hands out its section. */
    private static SectionHandle gone() {
        return probe(TestSections.goneAfter("probe", 0, null), Mandatory.WHEN_BAKED);
    }

    /**
     * An optional section gone at its bake, or at its format after it baked, is taken again as a mandatory one: it never
     * ran that call, and leaving it out (graphics relocation, a port's data) would be the update's doing, not a failure.
     */
    @Test
    public void anOptionalSectionUpdatedAwayMidBakeIsBakedByItsNewRegistrationNotLeftOut() throws Exception {
        for (int calls = 0; calls <= 1; calls++) {
            retaken.clear();
            SectionSet taken = TestSections.of(probe(TestSections.goneAfter("probe", calls, baker("1.0.0")), Mandatory.NEVER));

            CookieBakery.Baked baked = bakery.bake(header, taken, context, (left, gone) -> {
                retaken.add(left);
                return TestSections.of(probe(baker("2.0.0"), Mandatory.NEVER));
            });

            assertTrue("gone after " + calls + " calls: " + baked.xml(), baked.xml().contains("<probe>2.0.0</probe>"));
            assertEquals(1, retaken.size());
        }
    }

    @Test
    public void aSectionUpdatedAwayMidBakeIsBakedByTheRegistrationThatReplacedIt() throws Exception {
        SectionSet taken = TestSections.of(gone());
        SectionSet now = TestSections.of(baking("2.0.0"));

        CookieBakery.Baked baked = bakery.bake(header, taken, context, (left, gone) -> {
            retaken.add(left);
            return now;
        });

        assertTrue(baked.xml(), baked.xml().contains("<probe>2.0.0</probe>"));
        assertEquals(List.of("probe"), baked.features());
        assertEquals("taken again once, from what the first bake had", 1, retaken.size());
        assertSame(taken, retaken.get(0));
    }

    @Test
    public void aSectionThatKeepsLeavingFailsThePhaseNamingIt() {
        SectionGone failure = assertThrows(SectionGone.class, () -> bakery.bake(header, TestSections.of(gone()), context,
                (left, gone) -> {
                    retaken.add(left);
                    return TestSections.of(gone());
                }));

        assertEquals("cookie section probe is no longer registered (its bundle was stopped, updated or uninstalled)",
                failure.getMessage());
        assertEquals("baked " + CookieBakery.MAX_TAKES + " times, taken again in between", CookieBakery.MAX_TAKES - 1,
                retaken.size());
    }

    @Test
    public void aSectionThatThrewIsNotBakedAgain() {
        SectionHandle throwing = probe(SectionSource.of(new TextSection() {
            @Override
            public Optional<String> bake(SectionContext context) {
                throw new IllegalStateException("lease state unreadable");
            }

            @Override
            public void eat(SectionContext context, String value) {
            }
        }));

        SectionFailure failure = assertThrows(SectionFailure.class, () -> bakery.bake(header, TestSections.of(throwing), context,
                (left, gone) -> {
                    retaken.add(left);
                    return TestSections.of(baking("2.0.0"));
                }));

        assertTrue(failure.getMessage(), failure.getMessage().contains("lease state unreadable"));
        assertEquals(List.of(), retaken);
    }
}
