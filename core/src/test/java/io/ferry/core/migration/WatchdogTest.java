package io.ferry.core.migration;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.core.StderrLog;
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

    /**
     * A destination down for ten minutes while its source waits, paused, for its word: asked at 1 s, then at intervals
     * doubling to 30 s (not 600 times), warned about once in the log, and the guest resumes within 30 s of its return.
     */
    @Test
    public void aDestinationDownForLongIsAskedAtGrowingIntervalsAndWarnedAboutOnce() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        d.byHand(VM).prepare().perform();
        d.network.down(d.destination);
        String log = StderrLog.of(() -> {
            d.network.passes(SILENCE, d.source); // the driver is gone: the first ask, as before
            for (int second = 0; second < 600; second++) {
                d.network.passes(1_000, d.source);
            }
        });
        int asks = d.network.calls(d.destination, "settle");
        assertTrue("asks in 10 minutes: " + asks, asks >= 20 && asks <= 30); // 1, 2, 4, 8, 16, then every 30 s
        long warnings = log.lines().filter(line -> line.contains("cannot learn from")).count();
        assertEquals(log, 1, warnings);
        d.source.assertPaused(VM);

        d.network.up(d.destination);
        for (int second = 0; second < 30; second++) {
            d.network.passes(1_000, d.source);
        }
        d.source.assertRuns(VM, digest);
    }
}
