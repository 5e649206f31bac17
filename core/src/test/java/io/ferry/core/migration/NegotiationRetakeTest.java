package io.ferry.core.migration;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertTrue;

import io.ferry.api.cookie.Mandatory;
import io.ferry.api.cookie.Phase;
import io.ferry.core.cookie.TestSections;
import io.ferry.core.section.SectionHandle;
import io.ferry.core.section.SectionSet;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.Test;

/**
 * The sections a phase takes again after one was found gone at its call (its bundle being updated): that one is waited
 * for, an optional one too, since its call never ran; an optional one not back within the wait is left out.
 */
public class NegotiationRetakeTest {
    private static final EnumSet<Phase> BEGIN = EnumSet.of(Phase.BEGIN);
    private final AtomicInteger looks = new AtomicInteger();

    private static SectionHandle graphics() {
        return TestSections.handle(new SectionContractTest.Counting(), "graphics", "graphics", Mandatory.NEVER,
                List.of(Phase.BEGIN), List.of(Phase.PREPARE));
    }

    @Test
    public void anOptionalSectionFoundGoneIsWaitedForUntilItsNewRegistrationComes() throws Exception {
        SectionHandle updated = graphics();

        SectionSet now = Negotiation.requirePinned(TestSections.of(graphics()), () -> looks.incrementAndGet() <= 3
                ? TestSections.of() : TestSections.of(updated), BEGIN, 60_000, "graphics");

        assertSame(updated, now.byFeature("graphics").orElseThrow());
        assertEquals("looked until it was registered again", 4, looks.get());
    }

    @Test
    public void anOptionalSectionFoundGoneThatDoesNotComeBackIsLeftOutAfterTheWait() throws Exception {
        SectionSet now = Negotiation.requirePinned(TestSections.of(graphics()), () -> {
            looks.incrementAndGet();
            return TestSections.of();
        }, BEGIN, 200, "graphics");

        assertEquals(List.of(), now.all());
        assertTrue("looked again while it waited: " + looks.get(), looks.get() > 1);
    }

    @Test
    public void anOptionalSectionAwayWithoutAFailedCallIsLeftOutAtOnce() throws Exception {
        SectionSet now = Negotiation.requirePinned(TestSections.of(graphics()), () -> {
            looks.incrementAndGet();
            return TestSections.of();
        }, BEGIN, 60_000);

        assertEquals(List.of(), now.all());
        assertEquals(1, looks.get());
    }
}
