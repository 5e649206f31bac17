package io.ferry.testkit;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.api.cookie.Phase;
import java.util.Set;
import org.junit.Test;
import org.w3c.dom.Element;

/** The kit's round trip fails a section's test whenever a daemon would read back something else than was written. */
public class CookieRoundTripTest {
    private static final SectionMetadata NOTE = SectionMetadata.of(NoteSection.class);
    private static final SectionMetadata EATEN_AT_PREPARE = NoteSection.metadata(NOTE.mandatory(), NOTE.bakes(),
            Set.of(Phase.PREPARE));

    /** A section whose format loses what its parse needs (here the value's surrounding blanks). */
    private static final class TrimmingNote extends NoteSection {
        @Override
        public void format(String value, Element fragment) {
            super.format(value.trim(), fragment);
        }
    }

    @Test
    public void aFormatThatParseDoesNotUndoFailsTheRoundTripNamingThePhaseAndBothValues() {
        CookieRoundTrip<String> trip = CookieRoundTrip.of(new TrimmingNote(), EATEN_AT_PREPARE);
        assertEquals("a", trip.roundTrip("a"));
        String failure = assertThrows(AssertionError.class, () -> trip.roundTrip(" a ")).getMessage();
        assertEquals("round trip through prepare changed the value: expected < a > but was <a>",
                failure.substring(0, failure.indexOf('\n')));
    }

    @Test
    public void theCookieNamesItsMigrationAndThePhaseTheSectionBakesInFirst() {
        SectionMetadata bakedAtPerform = NoteSection.metadata(NOTE.mandatory(), Set.of(Phase.PERFORM), NOTE.eats());
        String cookie = CookieRoundTrip.of(new NoteSection(), bakedAtPerform).cookie("a");
        assertTrue(cookie, cookie.startsWith("<qemu-migration migration='test' phase='perform'>"));
    }

    @Test
    public void aSectionThatEatsInNoPhaseFailsTheRoundTrip() {
        SectionMetadata eatsNothing = NoteSection.metadata(NOTE.mandatory(), NOTE.bakes(), Set.of());
        assertEquals("cookie section note eats in no phase", assertThrows(AssertionError.class,
                () -> CookieRoundTrip.of(new NoteSection(), eatsNothing).roundTrip("a")).getMessage());
    }
}
