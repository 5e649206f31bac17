package io.ferry.core.migration;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;

import io.ferry.core.StderrLog;
import io.ferry.protocol.Messages.Outcome;
import org.junit.Test;

/**
 * A destination restarted with an arrival at PREPARED settles it by itself (its watchdog's look), and its source may ask
 * first: whichever takes the domain's job first drops the arrival, and the other finds it gone. Recovery dropped it
 * again after the source's settle had: its leases, given back by the record's disks after the restart, were given back
 * a second time, which moved them past the state the first abort recorded, and the source, taking them back with that
 * state, stayed paused for good.
 */
public class SettleBeforeRecoveryTest {
    private static final String VM = "vm1";

    @Test
    public void anArrivalItsSourceSettledBeforeRecoveryIsDroppedOnce() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        TwoDaemons.ByHand run = d.byHand(VM).prepare().perform();
        d.destination.restart();
        String id = run.begun.id();

        // the job held (as a re-attach or a start holds it), recovery's look waits for it, and the source's settle,
        // taking the lock the moment it is free (here: the holder's own thread), comes first
        Thread watchdog = new Thread(() -> d.network.passes(0, d.destination), "watchdog");
        Outcome[] settled = new Outcome[1];
        String logged = StderrLog.of(() -> {
            d.destination.domains().withJob(d.destination.domain(VM).orElseThrow(), "test", id, () -> {
                watchdog.start();
                TwoDaemons.awaitWaitingForAJob(watchdog);
                settled[0] = d.destination.engine().settle(id, run.begun.key()).outcome();
                return null;
            });
            watchdog.join(60_000); // a hang guard
        });
        assertFalse("the watchdog's look never ended", watchdog.isAlive());

        assertEquals(Outcome.ABORTED, settled[0]);

        assertFalse(logged, logged.contains("cannot move from aborted to aborted"));
        assertEquals(Step.ABORTED, d.destination.journal.find(run.begun.id()).orElseThrow().step());
        d.network.passes(20_000, d.source, d.destination);
        d.source.assertRuns(VM, digest);
        d.destination.assertGone(VM);
    }
}
