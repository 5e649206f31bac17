package io.ferry.core.migration;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.api.lock.LeaseRequest;
import io.ferry.core.domain.DomainException;
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

    /**
     * The source's records after Begin are written without a sync, the destination journal's word for the migration
     * among them (one file, rewritten whole: a PERFORMED record always carries it). A power cut after the Perform cookie
     * left, the destination then committing, may take the source back to PERFORMING without the word, and the
     * destination may forget the migration since (another journal). Nothing runs twice: the source's guest died with its
     * host, recovery rolls back alone and leaves the domain shut off, and its start is refused while the destination,
     * which runs it, holds its leases. So the word needs no sync: it only decides whether a paused copy resumes, and
     * after a power cut there is none.
     */
    @Test
    public void aSourcePowerCutThatLostItsPerformedRecordNeverRunsTheGuestTwice() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        TwoDaemons.ByHand run = d.byHand(VM).prepare().perform();
        String id = run.begun.id();
        Journal.Entry performed = d.source.journal.find(id).orElseThrow();
        assertNotNull("the PERFORMED record carries the destination's word", performed.peerJournal());
        d.source.vm(VM).destroy(); // the power cut
        d.network.down(d.source);
        run.finish();
        d.destination.assertRuns(VM, digest);
        d.source.journal.record(performed.at(Step.PERFORMING).withPeerJournal(null).withLeaseState(null));
        d.destination.restartWithAnotherJournal();

        d.source.restart();
        d.network.up(d.source);
        d.network.passes(9_000, d.source, d.destination);

        d.source.assertGone(VM);
        assertEquals(Step.ABORTED, d.source.journal.find(id).orElseThrow().step());
        DomainException refused = assertThrows(DomainException.class, () -> d.source.domains().start(VM));
        assertTrue(refused.getMessage(), refused.getMessage().contains("held by destination"));
        d.destination.assertRuns(VM, digest);
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
