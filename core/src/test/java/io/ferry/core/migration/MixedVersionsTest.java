package io.ferry.core.migration;

import static org.junit.Assert.assertNull;

import org.junit.Test;

/**
 * A migration in flight while its destination restarts onto another build: rolled back to a build before journal
 * words (its endpoint, fate and settle replies name no journal), or upgraded from one. The source acts on the
 * destination's word as before, and never takes an "unknown" it cannot tie to the journal that prepared the migration
 * for "never prepared".
 */
public class MixedVersionsTest {
    private static final String VM = "vm1";
    private static final long SILENCE = 9_000; // beyond the 8 s driver timeout

    @Test
    public void aDestinationRolledBackAfterItCommittedStillHasTheSourceStopItsCopy() throws Exception {
        Run run = new Run(false).throughTheCommit(true);
        run.restartOntoAnotherBuild(true);
        run.settled();

        run.d.destination.assertRuns(VM, run.digest);
        run.d.source.assertGone(VM);
    }

    @Test
    public void aDestinationRolledBackBeforeItCommittedHasTheSourceRunTheGuestAgain() throws Exception {
        Run run = new Run(false).throughTheCommit(false);
        run.restartOntoAnotherBuild(true);
        run.settled();

        run.d.source.assertRuns(VM, run.digest);
        run.d.destination.assertGone(VM);
    }

    /** Its "unknown", naming no journal, cannot be told from a wiped destination's: the source keeps its copy paused. */
    @Test
    public void aDestinationRolledBackWithoutItsRecordsDoesNotHaveTheSourcesCopyResumed() throws Exception {
        Run run = new Run(false).throughTheCommit(true);
        run.d.destination.restartWithAnotherJournal();
        run.d.network.namesNoJournal(run.d.destination, true);
        run.settled();

        run.d.destination.assertRuns(VM, run.digest);
        run.d.source.assertPaused(VM);
    }

    @Test
    public void aDestinationUpgradedAfterItCommittedHasTheSourceStopItsCopy() throws Exception {
        Run run = new Run(true).throughTheCommit(true);
        assertNull("an earlier destination gave no word", run.d.source.journal.find(run.id).orElseThrow().peerJournal());
        run.restartOntoAnotherBuild(false);
        run.settled();

        run.d.destination.assertRuns(VM, run.digest);
        run.d.source.assertGone(VM);
    }

    @Test
    public void aDestinationUpgradedBeforeItCommittedHasTheSourceRunTheGuestAgain() throws Exception {
        Run run = new Run(true).throughTheCommit(false);
        run.restartOntoAnotherBuild(false);
        run.settled();

        run.d.source.assertRuns(VM, run.digest);
        run.d.destination.assertGone(VM);
    }

    /** A migration by hand whose driver vanishes; no lock manager, so nothing but the engine keeps a copy paused. */
    private static final class Run {
        final TwoDaemons d = new TwoDaemons(false);
        final String digest;
        String id;

        /** @param earlier the destination names no journal while the migration runs */
        Run(boolean earlier) throws Exception {
            digest = d.source.boot(VM);
            d.network.namesNoJournal(d.destination, earlier);
        }

        Run throughTheCommit(boolean commits) throws Exception {
            TwoDaemons.ByHand run = d.byHand(VM).prepare().perform();
            id = run.begun.id();
            if (commits) {
                run.finish();
            }
            return this;
        }

        /** The destination restarted, with its journal, onto a build that names no journal ({@code earlier}) or one that does. */
        void restartOntoAnotherBuild(boolean earlier) throws Exception {
            d.destination.restart();
            d.network.namesNoJournal(d.destination, earlier);
        }

        void settled() throws Exception {
            d.network.passes(SILENCE, d.source, d.destination);
            d.network.passes(1_000, d.source, d.destination);
        }
    }
}
