package io.ferry.core.migration;

import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.core.StderrLog;
import io.ferry.protocol.ChannelException;
import io.ferry.protocol.Messages.Begin;
import io.ferry.protocol.Messages.Begun;
import io.ferry.protocol.Messages.Confirm;
import io.ferry.protocol.Messages.Prepare;
import java.util.Arrays;
import org.junit.Test;

/**
 * What a peer says, a cookie's text or a reason it gives, reaches this daemon's log in the lines that quote it: a
 * line break in it must not start a line of the peer's own.
 */
public class PeerTextLogLinesTest {
    private static final String VM = "vm1";
    private static final String FORGED = "2026-12-02 14:00:00 INFO io.ferry.audit - operator root: undefine db1 ok";

    @Test
    public void aCookiesNameCannotForgeTheDestinationsLogLines() throws Exception {
        // a line feed, a next line (NEL, U+0085), and the line and paragraph separators, which XML lets a cookie hold
        // and Unicode takes for line breaks
        for (String lineBreak : new String[] {"&#10;", "&#133;", "&#8232;", "&#8233;"}) {
            TwoDaemons d = new TwoDaemons();
            d.source.boot(VM);
            Begun begun = d.peer(d.source).begin(new Begin(VM, TwoDaemons.LIVE, null, null, 0));
            String cookie = begun.cookie().replace("<name>" + VM + "</name>", "<name>" + VM + lineBreak + FORGED
                    + "</name>");
            assertTrue(cookie, cookie.contains(FORGED));

            String[] refusal = new String[1];
            String logged = StderrLog.of(() -> refusal[0] = assertThrows(ChannelException.class,
                    () -> d.peer(d.destination).prepare(new Prepare(begun.id(), begun.key(), TwoDaemons.LIVE,
                            begun.domainXml(), cookie, begun.sections(), d.source.uri))).getMessage());

            assertTrue(refusal[0], refusal[0].startsWith("Incoming cookie data had unexpected name vm1\\u"));
            assertFalse(refusal[0], forges(refusal[0]));
            assertTrue(logged, logged.contains("unexpected name"));
            assertFalse(lineBreak + ": " + logged, forges(logged));
        }
    }

    @Test
    public void aReasonTheDriverGivesCannotForgeTheSourcesLogLines() throws Exception {
        TwoDaemons d = new TwoDaemons();
        d.source.boot(VM);
        Begun begun = d.peer(d.source).begin(new Begin(VM, TwoDaemons.LIVE, null, null, 0));

        String logged = StderrLog.of(() -> d.source.engine().confirm(
                new Confirm(begun.id(), begun.key(), true, null, "x\n" + FORGED)));

        assertTrue(logged, logged.contains("x"));
        assertFalse(logged, forges(logged));
    }

    /** Whether a line of {@code log}, taken at any Unicode line break, is the peer's. */
    private static boolean forges(String log) {
        return Arrays.stream(log.split("\\R")).anyMatch(line -> line.startsWith(FORGED));
    }
}
