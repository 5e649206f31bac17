package io.ferry.core.migration;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.protocol.ChannelException;
import io.ferry.protocol.Messages.Outcome;
import io.ferry.protocol.MigrationFlags;
import java.util.List;
import java.util.UUID;
import org.junit.Test;

/**
 * A restarted daemon whose journal holds two unfinished migrations of one domain: an arrival of it that never
 * committed (left while the lock manager was late, the domain started here since) and its migration away since, the
 * guest paused for it when the daemon died. The arrival's recovery took the guest, paused for the migration away, for
 * its incoming VM and destroyed it, though that migration's destination had not committed it; and the second taken in
 * hand was dropped ("not taken in hand"), its guest left paused. A guest paused for another migration is not the
 * arrival's, however that migration paused it (without --live before its memory moved, at its switch-over with leases
 * off), and each waits for the other's turn. The arrival's abort, once it cannot be recorded, keeps the domain from
 * migrating again until it is.
 */
public class TwoUnfinishedMigrationsTest {
    private static final String VM = "vm1";
    private static final long SILENCE = 9_000; // beyond the driver timeout
    private static final String ARRIVAL_KEY = "a".repeat(64);
    private static final MigrationFlags NOT_LIVE = new MigrationFlags(false, false, false, false, false, false, false);

    @Test
    public void anOldArrivalOfTheDomainWaitsForItsMigrationAwayToBeSettled() throws Exception {
        assertAMigrationAwayPausedAtItsSwitchOverIsSettledOnTheSource(new TwoDaemons());
    }

    @Test
    public void aGuestPausedWithoutLiveIsNotAnOldArrivalsIncomingVm() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        String arrival = oldArrival(d);
        TwoDaemons.ByHand away = d.byHand(VM, NOT_LIVE).prepare();
        d.source.vm(VM).duringSend = () -> {
            throw new Crash();
        };
        assertThrows(Crash.class, away::perform);
        d.source.assertPaused(VM);

        restartWithItsDriverLate(d);

        assertSettledOnTheSource(d, digest, away, arrival);
    }

    @Test
    public void aGuestPausedAtItsSwitchOverWithLeasesOffIsNotAnOldArrivalsIncomingVm() throws Exception {
        assertAMigrationAwayPausedAtItsSwitchOverIsSettledOnTheSource(new TwoDaemons(false));
    }

    @Test
    public void anOldArrivalsAbortThatCannotBeRecordedRefusesTheNextBeginUntilItIs() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        String arrival = oldArrival(d);
        d.source.journal.failAt = Step.ABORTED;
        d.source.restart();
        d.network.passes(SILENCE, d.source);

        ChannelException refused = assertThrows(ChannelException.class, () -> d.byHand(VM));
        assertTrue(refused.getMessage(), refused.getMessage().contains("cannot migrate domain " + VM
                + " before the abort of migration " + arrival + " is recorded on this host: No space left on device"));
        d.source.assertRuns(VM, digest);
        assertEquals(Step.PREPARED, d.source.journal.find(arrival).orElseThrow().step());

        d.source.journal.failAt = null;
        d.migrate(VM);
        d.destination.assertRuns(VM, digest);
        assertEquals(Step.ABORTED, d.source.journal.find(arrival).orElseThrow().step());
    }

    /**
     * The migration away rolled back, the guest destroyed and started by its operator before the watchdog's next look,
     * which, mid-boot, found the domain shut off and took it for the old arrival: its settlement waited for the start's
     * job, then dropped the guest just started as that arrival's incoming VM, and gave its leases back.
     */
    @Test
    public void aGuestStartedWhileAnOldArrivalWaitsIsNotItsIncomingVm() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String arrival = destroyedWithAnOldArrivalLeft(d);

        startedWithALookMidBoot(d, watchdog -> { });

        d.source.assertRuns(VM, null);
        assertEquals(Step.ABORTED, d.source.journal.find(arrival).orElseThrow().step());
    }

    /**
     * As above, the start's boot outlasting recovery's wait for its job (a large guest's): the arrival recovery adopted
     * stayed in hand, and the watchdog's drop of it, once its driver was silent, stopped the guest just started as its
     * incoming VM and gave back the leases that guest held.
     */
    @Test
    public void aGuestStartedWhileAnOldArrivalsRecoveryGaveUpWaitingIsNotItsIncomingVm() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String arrival = destroyedWithAnOldArrivalLeft(d);
        startedWithALookMidBoot(d, TwoUnfinishedMigrationsTest::endsUnserved);

        d.network.passes(SILENCE, d.source); // the arrival's driver is silent: the watchdog drops it
        d.network.passes(SILENCE, d.source);

        assertLeftToItsStart(d, arrival);
    }

    /** As above, its source's settle dropping the arrival recovery left in hand. */
    @Test
    public void aGuestStartedWhileAnOldArrivalsRecoveryGaveUpWaitingIsNotDroppedByItsSourcesSettle() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String arrival = destroyedWithAnOldArrivalLeft(d);
        startedWithALookMidBoot(d, TwoUnfinishedMigrationsTest::endsUnserved);

        assertEquals(Outcome.ABORTED, d.source.engine().settle(arrival, ARRIVAL_KEY).outcome());
        d.network.passes(SILENCE, d.source);

        assertLeftToItsStart(d, arrival);
    }

    /** As above, the operator's domjobabort dropping it: told that the guest runs here, not that it goes on there. */
    @Test
    public void aDomjobabortOfAnOldArrivalAGuestStartedOutlivedSaysItRunsHere() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String arrival = destroyedWithAnOldArrivalLeft(d);
        startedWithALookMidBoot(d, TwoUnfinishedMigrationsTest::endsUnserved);

        assertEquals("Incoming migration " + arrival + " of " + VM + " aborted: " + VM + " runs here since a start"
                + " after the daemon's restart, not as the migration's incoming VM", d.source.engine().abortJob(VM));
        assertLeftToItsStart(d, arrival);
    }

    /**
     * As above, the start failing, the domain shut off: its source's settle drops the arrival recovery left in hand,
     * and recovery's next look dropped it again, giving back its leases past the state the first abort recorded.
     */
    @Test
    public void anOldArrivalItsSourceSettledAfterRecoveryGaveUpWaitingIsDroppedOnce() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String arrival = destroyedWithAnOldArrivalLeft(d);
        Exception failed = assertThrows(Exception.class, () -> startedWithALookMidBoot(d, watchdog -> {
            endsUnserved(watchdog);
            throw new IllegalStateException("the boot failed");
        }));
        assertEquals("start of domain " + VM + " failed: the boot failed", failed.getMessage());
        assertTrue("recovery's look adopted the arrival", d.source.engine().incoming(arrival).isPresent());

        assertEquals(Outcome.ABORTED, d.source.engine().settle(arrival, ARRIVAL_KEY).outcome());
        Journal.Entry aborted = d.source.journal.find(arrival).orElseThrow();
        assertEquals(Step.ABORTED, aborted.step());
        d.network.passes(SILENCE, d.source);

        assertEquals("the abort's record", aborted, d.source.journal.find(arrival).orElseThrow());
        assertTrue("the arrival is let go", d.source.engine().incoming(arrival).isEmpty());
        d.source.assertGone(VM);
    }

    /** The migration away rolled back, an old arrival of the guest left PREPARED, and the guest destroyed. */
    private static String destroyedWithAnOldArrivalLeft(TwoDaemons d) throws Exception {
        d.source.boot(VM);
        TwoDaemons.ByHand away = d.byHand(VM).prepare().perform();
        String arrival = oldArrival(d); // listed after the migration away, which a restart claims the domain for first
        restartWithItsDriverLate(d);
        assertEquals(Step.ABORTED, d.source.journal.find(away.begun.id()).orElseThrow().step());
        assertEquals(Step.PREPARED, d.source.journal.find(arrival).orElseThrow().step());
        d.source.domains().destroy(VM);
        return arrival;
    }

    /** What runs while the watchdog's look waits for the job of a start whose boot is held. */
    private interface Meanwhile {
        void run(Thread watchdog) throws InterruptedException;
    }

    /**
     * The guest started by its operator, the watchdog's look run mid-boot: it finds the domain shut off, takes the old
     * arrival in hand and waits for the start's job, while {@code meanwhile} runs.
     */
    private static void startedWithALookMidBoot(TwoDaemons d, Meanwhile meanwhile) throws Exception {
        Thread[] watchdog = new Thread[1];
        d.source.hypervisor.whileBooting = () -> {
            d.source.hypervisor.whileBooting = null;
            watchdog[0] = new Thread(() -> d.network.passes(0, d.source), "watchdog");
            watchdog[0].start();
            try {
                TwoDaemons.awaitWaitingForAJob(watchdog[0]);
                meanwhile.run(watchdog[0]);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        };
        try {
            d.source.domains().start(VM);
        } finally {
            watchdog[0].join(60_000); // a hang guard
            assertFalse("the watchdog's look never ended", watchdog[0].isAlive());
        }
    }

    /** The look's wait for the job ends unserved, as after 30 s: the arrival it adopted is left in hand. */
    private static void endsUnserved(Thread watchdog) throws InterruptedException {
        watchdog.interrupt();
        watchdog.join(60_000); // a hang guard
    }

    /** The guest the start booted runs, its leases held; the arrival is recorded aborted and let go. */
    private static void assertLeftToItsStart(TwoDaemons d, String arrival) {
        d.source.assertRuns(VM, null);
        assertEquals(Step.ABORTED, d.source.journal.find(arrival).orElseThrow().step());
        assertTrue("the arrival is let go", d.source.engine().incoming(arrival).isEmpty());
    }

    /** The guest's migration away performed, its daemon restarted before Confirm with an old arrival in its journal. */
    private static void assertAMigrationAwayPausedAtItsSwitchOverIsSettledOnTheSource(TwoDaemons d) throws Exception {
        String digest = d.source.boot(VM);
        String arrival = oldArrival(d);
        TwoDaemons.ByHand away = d.byHand(VM).prepare().perform();
        d.source.assertPaused(VM);

        restartWithItsDriverLate(d);

        assertSettledOnTheSource(d, digest, away, arrival);
    }

    /** An arrival of the guest recorded here before it, never committed: its record names the guest's disk. */
    private static String oldArrival(TwoDaemons d) throws Exception {
        String arrival = UUID.randomUUID().toString();
        d.source.journal.record(new Journal.Entry(arrival, Journal.Role.DESTINATION, Step.PREPARED, VM,
                TestHost.uuid(VM), "ferry+tcp://127.0.0.1:1", TwoDaemons.LIVE, ARRIVAL_KEY, null, false, null,
                List.of("/disks/" + VM + ".img")));
        return arrival;
    }

    /** The source daemon restarted, its VMs re-attached once recovery took the journal in hand; time passes. */
    private static void restartWithItsDriverLate(TwoDaemons d) throws Exception {
        d.source.hypervisorLate = true;
        d.source.restart();
        d.source.registerHypervisor();
        d.network.passes(SILENCE, d.source, d.destination);
        d.network.passes(SILENCE, d.source, d.destination);
    }

    private static void assertSettledOnTheSource(TwoDaemons d, String digest, TwoDaemons.ByHand away, String arrival) {
        d.source.assertRuns(VM, digest);
        d.destination.assertGone(VM);
        assertEquals(Step.ABORTED, d.source.journal.find(away.begun.id()).orElseThrow().step());
        assertEquals(Step.ABORTED, d.source.journal.find(arrival).orElseThrow().step());
    }
}
