package io.ferry.core.migration;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.core.StderrLog;
import io.ferry.protocol.ChannelException;
import org.junit.Test;

/**
 * The lease state a Perform cookie brings is the source's text: a hostile peer's, as much of it as a cookie holds.
 * The destination hands it to its lock manager, whose refusal may quote it; what the destination then logs, records
 * among its events ({@code ferry events}) and keeps as the job's error must stay one line of bounded length.
 */
public class PeerLeaseStateTest {
    private static final String VM = "vm1";
    private static final String FORGED = "2026-12-02 14:00:00 INFO io.ferry.audit - operator root: undefine domain db1 ok";

    @Test
    public void aPeersLeaseStateCannotForgeLogLinesNorFillTheDestinationsEvents() throws Exception {
        TwoDaemons d = TwoDaemons.withFileLeases();
        d.source.boot(VM);
        TwoDaemons.ByHand m = d.byHand(VM).prepare().perform();
        String hostile = "x\n" + FORGED + "\n" + "A".repeat(2_000_000);
        String cookie = m.performed.cookie();
        int start = cookie.indexOf("<leases>") + "<leases>".length();
        assertTrue(cookie, start > "<leases>".length());
        m.performed = new io.ferry.protocol.Messages.Performed(m.performed.id(),
                cookie.substring(0, start) + hostile + cookie.substring(cookie.indexOf("</leases>")));

        String logged = StderrLog.of(() -> assertThrows(ChannelException.class, m::finish));

        assertTrue(logged, logged.contains("malformed lease state"));
        assertFalse("a line of the peer's own in the log", logged.lines().anyMatch(line -> line.startsWith(FORGED)));
        assertTrue("the log holds " + logged.length() + " characters", logged.length() < 20_000);
        Hooks.Event failed = d.destination.engine().events().stream().filter(e -> e.operation().equals("failed"))
                .reduce((a, b) -> b).orElseThrow();
        assertFalse(failed.reason(), failed.reason().contains("\n"));
        assertTrue("the event's reason holds " + failed.reason().length() + " characters", failed.reason().length() < 2_000);
        String jobError = d.destination.engine().jobs().lastEnded(VM).orElseThrow().error();
        assertTrue("the job's error holds " + jobError.length() + " characters", jobError.length() < 2_000);
        assertEquals("the VM stays on its source", 1, d.source.domains().list().stream()
                .filter(domain -> domain.name().equals(VM)).count());
    }
}
