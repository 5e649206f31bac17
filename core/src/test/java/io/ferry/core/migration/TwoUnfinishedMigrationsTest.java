package io.ferry.core.migration;

import static org.junit.Assert.assertEquals;

import java.util.List;
import java.util.UUID;
import org.junit.Test;

/**
 * A restarted daemon whose journal holds two unfinished migrations of one domain: an arrival of it that never
 * committed (left while the lock manager was late, the domain started here since) and its migration away since, at
 * its switch-over when the daemon died. The arrival's recovery took the guest, paused for the migration away, for its
 * incoming VM and destroyed it, though that migration's destination had not committed it; and the second taken in hand
 * was dropped ("not taken in hand"), its guest left paused. A guest paused for another migration is not the arrival's,
 * and each waits for the other's turn.
 */
public class TwoUnfinishedMigrationsTest {
    private static final String VM = "vm1";
    private static final long SILENCE = 9_000; // beyond the driver timeout

    @Test
    public void anOldArrivalOfTheDomainWaitsForItsMigrationAwayToBeSettled() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        String arrival = UUID.randomUUID().toString();
        d.source.journal.record(new Journal.Entry(arrival, Journal.Role.DESTINATION, Step.PREPARED, VM,
                TestHost.uuid(VM), "ferry+tcp://127.0.0.1:1", TwoDaemons.LIVE, "a".repeat(64), null, false, null,
                List.of("/disks/" + VM + ".img")));
        TwoDaemons.ByHand away = d.byHand(VM).prepare().perform();
        d.source.assertPaused(VM);

        d.source.hypervisorLate = true;
        d.source.restart();
        d.source.registerHypervisor();
        d.network.passes(SILENCE, d.source, d.destination);
        d.network.passes(SILENCE, d.source, d.destination);

        d.source.assertRuns(VM, digest);
        d.destination.assertGone(VM);
        assertEquals(Step.ABORTED, d.source.journal.find(away.begun.id()).orElseThrow().step());
        assertEquals(Step.ABORTED, d.source.journal.find(arrival).orElseThrow().step());
    }
}
