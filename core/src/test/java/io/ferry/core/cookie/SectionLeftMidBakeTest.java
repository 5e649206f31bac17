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
        return TestSections.handle(source, "probe", "probe", Mandatory.WHEN_BAKED, List.of(Phase.BEGIN), List.of(Phase.PREPARE),
                TestSections.TIMEOUT);
    }

    private static SectionHandle baking(String value) {
        return probe(SectionSource.of(new TextSection() {
            @Override
            public Optional<String> bake(SectionContext context) {
                return Optional.of(value);
            }

            @Override
            public void eat(SectionContext context, String value) {
            }
        }));
    }

    /** A registration that went away: as the framework's, it never hands out its section. */
    private static SectionHandle gone() {
        return probe(new SectionSource() {
            @Override
            public CookieSection<Object> acquire() throws SectionGone {
                throw new SectionGone("cookie section probe is no longer registered (its bundle was stopped, updated or"
                        + " uninstalled)");
            }

            @Override
            public void release(CookieSection<Object> section) {
            }
        });
    }

    @Test
    public void aSectionUpdatedAwayMidBakeIsBakedByTheRegistrationThatReplacedIt() throws Exception {
        SectionSet taken = TestSections.of(gone());
        SectionSet now = TestSections.of(baking("2.0.0"));

        CookieBakery.Baked baked = bakery.bake(header, taken, context, left -> {
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
                left -> {
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
                left -> {
                    retaken.add(left);
                    return TestSections.of(baking("2.0.0"));
                }));

        assertTrue(failure.getMessage(), failure.getMessage().contains("lease state unreadable"));
        assertEquals(List.of(), retaken);
    }
}
