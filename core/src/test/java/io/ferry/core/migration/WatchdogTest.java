package io.ferry.core.migration;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.protocol.ChannelException;
import io.ferry.protocol.Messages.Finished;
import org.junit.Test;

/**
 * Finding 4: migrations whose driver vanished (no call under way, no keepalive for the driver timeout) or that
 * wait too long for their next phase are settled by the daemons themselves, never left claimed or paused.
 */
public class WatchdogTest {
    private static final String VM = "vm1";
    private static final long SILENCE = 9_000; // beyond the 8 s driver timeout: noticed within 10 s

    @Test
    public void anAbandonedBeginExpiresAndFreesTheDomain() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        TwoDaemons.ByHand run = d.byHand(VM);

        d.network.passes(SILENCE, d.source);

        d.source.assertRuns(VM, digest);
        assertEquals(Step.ABORTED, d.source.journal.find(run.begun.id()).orElseThrow().step());
        d.source.domains().destroy(VM); // nothing holds the domain any more
    }

    @Test
    public void anAbandonedPrepareExpiresOnTheDestination() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        d.byHand(VM).prepare();

        d.network.passes(SILENCE, d.destination, d.source);

        d.destination.assertGone(VM);
        d.source.assertRuns(VM, digest);
    }

    @Test
    public void aDriverThatKeepsSpeakingUpKeepsItsMigration() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        TwoDaemons.ByHand run = d.byHand(VM).prepare();
        for (int i = 0; i < 6; i++) {
            d.peer(d.source).keepalive(run.begun.id(), run.begun.key());
            d.peer(d.destination).keepalive(run.begun.id(), run.begun.key());
            d.network.passes(5_000, d.source, d.destination);
        }

        run.perform();
        Finished finished = run.finish();
        run.confirm(false, finished.cookie());

        d.destination.assertRuns(VM, digest);
        d.source.assertGone(VM);
    }

    @Test
    public void aDriverGoneAfterPerformIsSettledWithinTheDriverTimeout() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        d.byHand(VM).prepare().perform();
        d.source.assertPaused(VM);

        d.network.passes(SILENCE, d.source, d.destination);

        d.source.assertRuns(VM, digest);
        d.destination.assertGone(VM);
    }

    @Test
    public void aDriverGoneDuringPerformStopsTheTransfer() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        TwoDaemons.ByHand run = d.byHand(VM).prepare();
        d.source.vm(VM).atSwitchOver = () -> d.network.passes(SILENCE, d.source);

        ChannelException e = assertThrows(ChannelException.class, run::perform);

        assertTrue(e.getMessage(), e.getMessage().contains("canceled"));
        d.network.passes(SILENCE, d.destination);
        d.source.assertRuns(VM, digest);
        d.destination.assertGone(VM);
    }

    @Test
    public void aSourceWaitsForConfirmOnlySoLongEvenWhileItsDriverSpeaksUp() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        TwoDaemons.ByHand run = d.byHand(VM).prepare().perform();
        run.finish();
        for (int i = 0; i < 13; i++) {
            d.peer(d.source).keepalive(run.begun.id(), run.begun.key());
            d.network.passes(5_000, d.source);
        }

        d.destination.assertRuns(VM, digest);
        d.source.assertGone(VM);
    }

    @Test
    public void aDestinationWaitsForFinishOnlySoLongEvenWhileItsDriverSpeaksUp() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        TwoDaemons.ByHand run = d.byHand(VM).prepare().perform();
        for (int i = 0; i < 25; i++) {
            d.peer(d.destination).keepalive(run.begun.id(), run.begun.key());
            d.network.passes(5_000, d.destination);
        }

        d.destination.assertGone(VM);
        run.confirm(true, null);
        d.source.assertRuns(VM, digest);
    }
}
