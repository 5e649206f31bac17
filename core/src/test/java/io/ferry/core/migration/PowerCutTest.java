package io.ferry.core.migration;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertThrows;

import io.ferry.api.lock.LeaseRequest;
import io.ferry.protocol.ChannelException;
import java.util.List;
import org.junit.Test;

/**
 * A host's power cut right after a record written without a sync: what survives is the synced record before it. Each
 * side's next start must neither run the guest twice nor leave it paused for good.
 */
public class PowerCutTest {
    private static final String VM = "vm1";
    private static final String DISK = "/disks/" + VM + ".img";

    /**
     * The destination's Finish took the leases, failed, and its abort gave them back and recorded ABORTED with the state
     * the release returned, unsynced; its power cut kept the synced PREPARED record and the abort's removal of the
     * incoming domain's status. Its restart no longer knew the domain, so it recorded the abort with no state, and the
     * source, presenting its switch-over's (stale since Finish took them), was refused: its guest stayed paused for good.
     */
    @Test
    public void aDestinationPowerCutAfterItsAbortGaveTheLeasesBackLetsTheSourceRun() throws Exception {
        destinationPowerCutAfterItsAbort(false);
    }

    /**
     * As above, the lease store's copy of the release lost with the power too (a lease directory on that host): the
     * leases stayed the destination's for good, as nothing named them at its restart.
     */
    @Test
    public void aDestinationPowerCutThatLostItsAbortAndItsReleaseLetsTheSourceRun() throws Exception {
        destinationPowerCutAfterItsAbort(true);
    }

    private static void destinationPowerCutAfterItsAbort(boolean releaseLost) throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        TwoDaemons.ByHand run = d.byHand(VM).prepare().perform();
        String id = run.begun.id();
        Journal.Entry prepared = d.destination.journal.find(id).orElseThrow();
        d.destination.journal.failAt = Step.COMMITTED;
        assertThrows(ChannelException.class, run::finish);
        d.destination.journal.failAt = null;
        Journal.Entry aborted = d.destination.journal.find(id).orElseThrow();
        assertEquals(Step.ABORTED, aborted.step());
        assertNotNull("the abort's release returned a state", aborted.leaseState());

        d.destination.journal.record(prepared); // the power cut: the unsynced ABORTED record is lost
        if (releaseLost) {
            d.leases.acquire(new LeaseRequest(VM, TestHost.uuid(VM), List.of(DISK), "destination", d.destination.hostUuid), null);
        }
        d.destination.restart();
        d.network.passes(1_000, d.destination);
        d.network.passes(9_000, d.source, d.destination); // the source's watchdog settles it

        d.source.assertRuns(VM, digest);
        d.destination.assertGone(VM);
        assertEquals(Step.ABORTED, d.destination.journal.find(id).orElseThrow().step());
    }
}
