package io.ferry.core.section;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

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

    /**
     * A section's refusal may quote a peer's text (the lock driver the source names): a control character in it
     * (a terminal's escape sequence) would reach the daemon's log and the operator's error as it is, and its length
     * is the peer's choice. Line breaks CookieException itself makes spaces.
     */
    @Test
    public void aSectionsMessageHasItsControlCharactersEscapedAndABoundedLength() {
        CookieException refusal = assertThrows(CookieException.class, () -> throwing(
                new CookieException("lock manager mismatch: the source uses x\n[main] INFO forged\r\u001b[2J")).eat(null, "v"));
        assertEquals("lock manager mismatch: the source uses x [main] INFO forged \\u001b[2J", refusal.getMessage());

        SectionFailure failure = assertThrows(SectionFailure.class, () -> throwing(
                new IllegalStateException("\u001b]0;title\u0007" + "y".repeat(5000))).eat(null, "v"));
        assertFalse(failure.getMessage(), failure.getMessage().contains("\u001b"));
        assertTrue(failure.getMessage().length() < SectionCalls.MAX_MESSAGE_CHARS + 200);

        CookieException longOne = assertThrows(CookieException.class, () -> throwing(new CookieException("z".repeat(5000))).eat(null, "v"));
        assertEquals("z".repeat(SectionCalls.MAX_MESSAGE_CHARS) + "…", longOne.getMessage());
    }
}
