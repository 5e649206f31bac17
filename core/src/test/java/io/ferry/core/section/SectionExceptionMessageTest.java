package io.ferry.core.section;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

import io.ferry.api.cookie.CookieException;
import io.ferry.api.cookie.Mandatory;
import io.ferry.api.cookie.Phase;
import io.ferry.core.cookie.TestSections;
import java.util.List;
import org.junit.Test;

/**
 * What a section throws is the section's code too: an exception whose message cannot be read fails that section's
 * call like any other failure of it, instead of escaping the core as an unexpected error that fails the phase even
 * for an optional section.
 */
public class SectionExceptionMessageTest {
    /** A plug-in's exception whose message is built from a field it forgot to set. */
    static final class Unreadable extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final transient Object detail = null;

        @Override
        public String getMessage() {
            return detail.toString();
        }
    }

    /** The same mistake in a refusal of the section's own. */
    static final class UnreadableRefusal extends CookieException {
        private static final long serialVersionUID = 1L;
        private final transient Object detail = null;

        UnreadableRefusal() {
            super("unused");
        }

        @Override
        public String getMessage() {
            return detail.toString();
        }
    }

    private static SectionHandle throwing(Exception thrown) {
        SectionHandleTest.ScriptedSection section = new SectionHandleTest.ScriptedSection();
        section.behaviour = () -> {
            throw thrown;
        };
        return TestSections.handle(section, "scripted", "scripted", Mandatory.NEVER, List.of(Phase.BEGIN), List.of(Phase.PREPARE));
    }

    @Test
    public void anExceptionWhoseMessageCannotBeReadIsTheSectionsFailure() {
        SectionFailure failure = assertThrows(SectionFailure.class, () -> throwing(new Unreadable()).eat(null, "v"));
        assertEquals("cookie section scripted failed in eat: Unreadable (its message could not be read: NullPointerException)",
                failure.getMessage());
    }

    @Test
    public void aRefusalWhoseMessageCannotBeReadIsTheSectionsFailure() {
        SectionFailure failure = assertThrows(SectionFailure.class,
                () -> throwing(new UnreadableRefusal()).parse(io.ferry.protocol.xml.Documents.create().createElement("x")));
        assertEquals("cookie section scripted failed in parse: UnreadableRefusal (its message could not be read:"
                + " NullPointerException)", failure.getMessage());
    }
}
