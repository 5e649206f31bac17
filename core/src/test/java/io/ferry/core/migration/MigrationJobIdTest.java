package io.ferry.core.migration;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.protocol.ChannelException;
import io.ferry.protocol.Messages.Begin;
import java.util.UUID;
import org.junit.Test;

/**
 * A domain's job names the migration it is, on both sides and after it ended: what a {@code ferry migrate --verbose}
 * tells its own migration's progress from another's of the domain by (one that holds the domain while its Begin waits,
 * or one begun after its own ended).
 */
public class MigrationJobIdTest {
    private static final String VM = "vm1";

    @Test(timeout = 60_000)
    public void theJobOfAMigrationNamesTheIdItsDriverChose() throws Exception {
        TwoDaemons d = new TwoDaemons();
        d.source.boot(VM);
        String id = UUID.randomUUID().toString();

        d.peer(d.source).begin(new Begin(VM, TwoDaemons.LIVE, null, null, null, 0, id));

        assertEquals(id, d.source.engine().jobs().active(VM).orElseThrow().migration());
    }

    @Test(timeout = 60_000)
    public void bothSidesJobsNameTheirMigrationWhileItRunsAndOnceItEnded() throws Exception {
        TwoDaemons d = new TwoDaemons();
        d.source.boot(VM);
        TwoDaemons.ByHand run = d.byHand(VM).prepare();
        String id = run.begun.id();

        assertEquals(id, d.source.engine().jobs().active(VM).orElseThrow().migration());
        assertEquals(id, d.destination.engine().jobs().active(VM).orElseThrow().migration());
        run.perform();
        run.confirm(false, run.finish().cookie());
        assertEquals(id, d.source.engine().jobs().lastEnded(VM).orElseThrow().migration());
        assertEquals(id, d.destination.engine().jobs().lastEnded(VM).orElseThrow().migration());
    }

    /**
     * The id its driver chose becomes part of file names on both hosts (the journal, the snapshots' staging): one that
     * is not a plain name, or one this host has a record of, is refused at Begin, before the domain's job is taken.
     */
    @Test(timeout = 60_000)
    public void anIdThatIsNoPlainNameOrIsTakenIsRefusedAtBegin() throws Exception {
        TwoDaemons d = new TwoDaemons();
        d.source.boot(VM);
        for (String id : new String[] {"../../etc/passwd", "a/b", "a.xml", "", "x".repeat(65)}) {
            ChannelException e = assertThrows(id, ChannelException.class,
                    () -> d.peer(d.source).begin(new Begin(VM, TwoDaemons.LIVE, null, null, null, 0, id)));
            assertTrue(id + ": " + e.getMessage(),
                    e.getMessage().endsWith("invalid migration id: at most 64 letters, digits and dashes"));
            assertFalse(id, d.source.engine().jobs().active(VM).isPresent());
        }
        TwoDaemons.ByHand run = d.byHand(VM).prepare();
        run.perform();
        run.confirm(false, run.finish().cookie());
        // the way back under the same id: the destination keeps its arrival's record for good
        ChannelException taken = assertThrows(ChannelException.class,
                () -> d.peer(d.destination).begin(new Begin(VM, TwoDaemons.LIVE, null, null, null, 0, run.begun.id())));
        assertTrue(taken.getMessage(), taken.getMessage().endsWith("migration id " + run.begun.id() + " is taken on this host"));
    }

    /**
     * A bandwidth cap whose bytes per second a long cannot hold (or below 0, from a client other than ferry's) would wrap
     * round to a crawl or to no cap at all: refused at Begin, before the domain's job is taken.
     */
    @Test(timeout = 60_000)
    public void aBandwidthPastWhatALongHoldsInBytesIsRefusedAtBegin() throws Exception {
        TwoDaemons d = new TwoDaemons();
        d.source.boot(VM);
        for (long mib : new long[] {-1, Begin.MAX_BANDWIDTH_MIB + 1, Long.MAX_VALUE}) {
            ChannelException e = assertThrows(ChannelException.class,
                    () -> d.peer(d.source).begin(new Begin(VM, TwoDaemons.LIVE, null, null, mib)));
            assertTrue(e.getMessage(),
                    e.getMessage().endsWith("invalid bandwidth " + mib + " MiB/s: 0 (no cap) to 8796093022207"));
            assertFalse(d.source.engine().jobs().active(VM).isPresent());
        }
        d.peer(d.source).begin(new Begin(VM, TwoDaemons.LIVE, null, null, Begin.MAX_BANDWIDTH_MIB));
        assertEquals(Begin.MAX_BANDWIDTH_MIB * 1024 * 1024, d.source.engine().jobs().active(VM).orElseThrow().maxBandwidth());
    }
}
