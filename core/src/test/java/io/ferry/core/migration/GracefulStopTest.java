package io.ferry.core.migration;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.core.TestDirectories;
import io.ferry.protocol.ChannelException;
import io.ferry.protocol.Messages;
import io.ferry.protocol.Messages.Outcome;
import io.ferry.protocol.MigrationFlags;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import org.junit.Test;

/**
 * A graceful stop freezes the journal before the core's components go (the QEMU driver, the lock manager): a call
 * still running that loses them then leaves its migration at its last step, as a killed daemon would, and the next
 * start settles it, rather than record the loss as an outcome the next start trusts.
 */
public class GracefulStopTest {
    private static final String VM = "vm1";
    private static final long SILENCE = 9_000; // beyond the driver timeout
    private static final MigrationFlags LIVE = new MigrationFlags(true, false, false, false, true, false, false);

    @Test
    public void aFrozenJournalRefusesEveryStepButThePointsOfNoReturnAndStillReads() throws Exception {
        Path state = TestDirectories.create("ferry-stopping-journal");
        StoppingJournal journal = new StoppingJournal(new FileJournal(state));
        Journal.Entry begun = new Journal.Entry("m-1", Journal.Role.SOURCE, Step.BEGUN, "vm", UUID.randomUUID(), null,
                LIVE, "key", null, true);
        journal.record(begun);
        journal.freeze();

        IOException refused = assertThrows(IOException.class, () -> journal.record(begun.at(Step.PERFORMING)));

        assertEquals("ferryd is stopping: step performing of migration m-1 is not recorded; the next start settles it"
                + " from its last record", refused.getMessage());
        assertEquals(Step.BEGUN, journal.find("m-1").orElseThrow().step());
        assertEquals(List.of(begun), journal.unfinished());
        assertEquals(Step.BEGUN, new FileJournal(state).find("m-1").orElseThrow().step());
        Journal.Entry prepared = new Journal.Entry("m-2", Journal.Role.DESTINATION, Step.PREPARED, "vm",
                UUID.randomUUID(), null, LIVE, "key", null, true);
        new FileJournal(state).record(prepared);
        journal.record(prepared.at(Step.COMMITTED));
        assertEquals(Step.COMMITTED, new FileJournal(state).find("m-2").orElseThrow().step());
        journal.record(begun.at(Step.PERFORMING).at(Step.CONFIRMED));
        assertEquals(Step.CONFIRMED, new FileJournal(state).find("m-1").orElseThrow().step());
    }

    /**
     * The stop begins during Perform's switch-over, and the driver's QMP connection goes with the core's components:
     * the Perform fails, while QEMU completes the migration and stays paused. Recorded ABORTED, the next start skipped
     * it and the guest stayed paused for good; left at PERFORMING, the next start rolls it back and resumes the guest.
     */
    @Test
    public void aPerformThatLosesItsDriverDuringTheStopLeavesItsRecordForTheNextStart() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        TwoDaemons.ByHand run = d.byHand(VM).prepare();
        FakeVm vm = d.source.vm(VM);
        vm.atSwitchOver = () -> {
            d.source.engine().stopping();
            throw new IllegalStateException("QMP connection lost");
        };

        ChannelException failed = assertThrows(ChannelException.class, run::perform);

        assertEquals(Step.PERFORMING, d.source.journal.find(run.begun.id()).orElseThrow().step());
        assertTrue(failed.getMessage(), failed.getMessage().contains("ferryd is stopping: step aborted of migration "
                + run.begun.id() + " is not recorded"));
        vm.running = false; // QEMU completed the migration all the same: paused in postmigrate
        d.source.restart();
        d.network.passes(SILENCE, d.source, d.destination);

        d.source.assertRuns(VM, digest);
        d.destination.assertGone(VM);
        assertEquals(Step.ABORTED, d.source.journal.find(run.begun.id()).orElseThrow().step());
    }

    /**
     * The stop begins while a protocol-2 Finish runs: its source stopped its copy at Perform, so the destination's is
     * the only one. Its commit refused as unrecorded, the Finish dropped it: the guest on neither host. The commit is
     * recorded, the guest runs there, and the steps after it (FINISHED) are left for the next start.
     */
    @Test
    public void aProtocol2FinishDuringTheStopCommitsTheOnlyCopy() throws Exception {
        TwoDaemons d = new TwoDaemons(false);
        String digest = d.source.boot(VM);
        TwoDaemons.ByHand run = d.byHand(VM, TwoDaemons.LIVE.withV2()).prepare().perform();
        d.source.assertGone(VM);
        d.destination.engine().stopping();

        run.finish();

        assertTrue("the guest runs at the destination", d.destination.vm(VM).running);
        assertEquals(Step.COMMITTED, d.destination.journal.find(run.begun.id()).orElseThrow().step());
        d.destination.restart();
        d.network.passes(SILENCE, d.source, d.destination);
        d.destination.assertRuns(VM, digest);
    }

    /**
     * The stop begins as a protocol-2 Perform stops the copy here (after up to 3 s waiting for the graphics clients),
     * and the reply is lost as the daemon goes. Its CONFIRMED record went through the frozen journal (refused, the
     * migration waited at PERFORMING for the next start's recovery): its fate says committed, and the driver's Finish
     * runs the guest there.
     */
    @Test
    public void aProtocol2PerformThatStopsTheCopyAsTheStopBeginsLetsTheDestinationRunTheGuest() throws Exception {
        TwoDaemons d = performLosingItsReplyToTheStop(TwoDaemons.LIVE);

        assertNotNull("the source keeps its definition", d.source.domain(VM).orElseThrow().persistent());
    }

    /**
     * The same under --persistent --undefinesource: the definition dropped here, the destination's is the only one.
     */
    @Test
    public void aProtocol2PerformThatUndefinesTheSourceAsTheStopBeginsKeepsTheDefinitionAtTheDestination()
            throws Exception {
        TwoDaemons d = performLosingItsReplyToTheStop(TwoDaemons.PERSISTENT_UNDEFINE_SOURCE);

        assertTrue("still defined on the source", d.source.domain(VM).isEmpty());
        assertNotNull("the destination keeps its definition", d.destination.domain(VM).orElseThrow().persistent());
    }

    /**
     * A protocol-2 migration of {@code flags} whose source begins to stop as Perform destroys the copy there, and whose
     * Perform reply is lost; the source restarted, the driver asks its fate and, as protocol 2's does, finishes on its
     * word.
     */
    private static TwoDaemons performLosingItsReplyToTheStop(MigrationFlags flags) throws Exception {
        TwoDaemons d = new TwoDaemons(false);
        String digest = d.source.boot(VM);
        TwoDaemons.ByHand run = d.byHand(VM, flags.withV2()).prepare();
        d.source.vm(VM).beforeDestroy = () -> d.source.engine().stopping();
        d.network.loseReplyOf(d.source, "perform");

        assertThrows(ChannelException.class, run::perform);
        d.destination.awaitMemoryEnded(run.begun.id());
        // through the frozen journal: a restart's recovery would record it too, the domain gone or its definition kept
        assertEquals(Step.CONFIRMED, d.source.journal.find(run.begun.id()).orElseThrow().step());
        d.source.restart();

        assertEquals(Outcome.COMMITTED, d.peer(d.source).fate(run.begun.id(), run.begun.key()).outcome());
        d.peer(d.destination).finish(new Messages.Finish(run.begun.id(), run.begun.key(), false, null));
        d.network.passes(SILENCE, d.source, d.destination);
        d.destination.assertRuns(VM, digest);
        d.source.assertGone(VM);
        assertEquals(Step.CONFIRMED, d.source.journal.find(run.begun.id()).orElseThrow().step());
        return d;
    }
}
