package io.ferry.core.cookie;

import static org.junit.Assert.assertEquals;

import io.ferry.api.cookie.Mandatory;
import io.ferry.api.cookie.Phase;
import io.ferry.api.cookie.SectionContext;
import io.ferry.core.section.MigrationSectionContext;
import io.ferry.core.section.SectionHandle;
import io.ferry.core.section.SectionSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.Test;

/**
 * A phase's cookie holds the sections that bake in that phase and no other: a section asked in a phase it did not
 * declare would read state that is not there yet (a destination's listener before Prepare) and send a fragment, or a
 * mandatory feature, that the peer's phase does not eat.
 */
public class BakedPhasesTest {
    private final List<String> asked = new ArrayList<>();

    private SectionHandle section(String feature, Phase bakes) {
        TextSection section = new TextSection() {
            @Override
            public Optional<String> bake(SectionContext context) {
                asked.add(feature + "@" + context.phase().cliName());
                return Optional.of(feature);
            }

            @Override
            public void eat(SectionContext context, String value) {
            }
        };
        return TestSections.handle(section, feature, feature, Mandatory.WHEN_BAKED, List.of(bakes), List.of(Phase.FINISH));
    }

    @Test
    public void eachPhaseBakesOnlyTheSectionsThatBakeInIt() throws Exception {
        SectionSet sections = TestSections.of(section("early", Phase.BEGIN), section("late", Phase.PERFORM));
        CookieBakery bakery = new CookieBakery(TestSections.codec());
        Map<Phase, List<String>> expected = Map.of(Phase.BEGIN, List.of("early"), Phase.PERFORM, List.of("late"),
                Phase.CONFIRM, List.of());
        for (Phase phase : List.of(Phase.BEGIN, Phase.PERFORM, Phase.CONFIRM)) {
            CookieHeader header = new CookieHeader("vm", UUID.randomUUID().toString(), "src", UUID.randomUUID());
            CookieBakery.Baked baked = bakery.bake(header, sections, MigrationSectionContext.offline(phase, "m1", "vm",
                    UUID.randomUUID(), new SectionContext.Host("src", UUID.randomUUID())));
            assertEquals(phase.cliName(), expected.get(phase), baked.features());
        }
        assertEquals(List.of("early@begin", "late@perform"), asked);
    }
}
