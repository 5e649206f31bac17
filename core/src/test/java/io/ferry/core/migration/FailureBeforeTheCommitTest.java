package io.ferry.core.migration;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.api.cookie.Phase;
import io.ferry.core.daemon.FileTrees;
import io.ferry.core.domain.Domain;
import io.ferry.protocol.ChannelException;
import io.ferry.protocol.Messages.Finished;
import io.ferry.protocol.Messages.Migrate;
import io.ferry.protocol.Messages.Outcome;
import io.ferry.protocol.Peer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.Test;

/**
 * A destination that fails before its commit point, in Prepare once its incoming VM was made, in the parts of Finish
 * that come last (the leases taken, the commit record) and in its clean-up: the guest runs on the source again, and
 * the destination keeps nothing of it.
 */
public class FailureBeforeTheCommitTest {
    private static final String VM = "vm1";
    private static final String DISK = "/disks/" + VM + ".img";
    /** The disk of the domain's definition on the destination, from before the source's copy changed disks. */
    private static final String OLD_DISK = "/disks/old.img";

    /** A section that fails to take the Begin cookie in at Prepare, after the incoming VM was made: it goes with the arrival. */
    @Test
    public void aPrepareThatFailsAfterItMadeTheIncomingVmLeavesNothingOnTheDestination() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        d.source.extraSections.add(FaultySection.healthy());
        d.destination.extraSections.add(FaultySection.failing("eat", Phase.PREPARE));

        d.migrationFails(VM);

        d.destination.assertGone(VM);
        d.source.assertRuns(VM, digest);
        Journal.Entry migration = d.source.journal.only();
        assertEquals(Step.ABORTED, d.destination.journal.find(migration.id()).orElseThrow().step());
    }

    /**
     * Finish took the leases with the state the source's switch-over released, then could not write its commit
     * record (a full disk): its release made that state stale, so the source takes them back with the state the
     * destination's release returned.
     */
    @Test
    public void aCommitRecordThatCannotBeWrittenLeavesTheGuestRunningOnTheSource() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        d.destination.journal.failAt = Step.COMMITTED;

        d.migrationFails(VM);

        d.destination.assertGone(VM);
        d.source.assertRuns(VM, digest);
    }

    /**
     * Finish took the leases, then could not write its commit record, and its abort could not give them back (ZooKeeper
     * unreachable for a while, the lease directory unwritable). The destination must not keep them for a guest it
     * dropped, nor tell the source "aborted" before they are back: with the switch-over's state, made stale by the
     * destination's acquire, the source's rollback was refused and the guest stayed paused for good. It stays paused
     * while the leases cannot be given back, and runs on at the source once they are.
     */
    @Test
    public void aDestinationWhoseAbortCannotGiveTheLeasesBackLetsTheSourceRunOnceItCan() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = abortedWhileTheDestinationCannotGiveTheLeasesBack(d);

        d.network.passes(9_000, d.source, d.destination); // beyond the driver timeout: the source settles it

        assertPausedWhileTheDestinationHoldsTheLeases(d);
        d.leases.releasesFailOn = null; // it reaches the lease store again
        d.network.passes(1_000, d.destination, d.source);

        d.source.assertRuns(VM, digest); // its leases taken back with the state the destination's release returned
        d.destination.assertGone(VM);
        Journal.Entry migration = d.source.journal.only();
        assertEquals(Step.ABORTED, migration.step());
        assertEquals(Step.ABORTED, d.destination.journal.find(migration.id()).orElseThrow().step());
    }

    /**
     * As above, and the destination's daemon is restarted before it could give the leases back (an operator restarting
     * it while ZooKeeper is away): it must still know it holds them, give them back once it can and tell the source so.
     * It forgot them: the source's rollback was refused and the leases stayed the destination's for good.
     */
    @Test
    public void aDestinationRestartedBeforeItCouldGiveTheLeasesBackStillGivesThemBack() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = restartedBeforeItCouldGiveTheLeasesBack(d);

        d.destination.restart(); // nothing left owed
        d.network.passes(1_000, d.destination);
        d.source.assertRuns(VM, digest);
    }

    /**
     * As above, the domain defined on the destination with another disk (the source's copy gained one since it left):
     * after the restart its abort took and gave back the stored definition's leases, which met the debt by the domain's
     * UUID and deleted it, and the leases the arrival's Finish took stayed the destination's for good, the source's
     * rollback refused ("held by destination").
     */
    @Test
    public void aDestinationRestartedBeforeItCouldGiveTheLeasesBackGivesBackThoseOfTheArrivalsDisks() throws Exception {
        TwoDaemons d = new TwoDaemons();
        d.destination.domains().define(TestHost.definition(VM).replace(DISK, OLD_DISK));

        restartedBeforeItCouldGiveTheLeasesBack(d); // the source's guest runs: its disk's lease taken back

        assertNull("the stored definition's disk lease", d.leases.holder(OLD_DISK));
    }

    /**
     * A migration aborted while the destination cannot give the leases back, and the destination's daemon restarted
     * then: the source's guest stays paused while the destination holds them, and runs once the store answers again.
     * Returns the guest's memory digest.
     */
    private static String restartedBeforeItCouldGiveTheLeasesBack(TwoDaemons d) throws Exception {
        String digest = abortedWhileTheDestinationCannotGiveTheLeasesBack(d);
        d.destination.restart();
        d.network.passes(9_000, d.destination, d.source);

        assertPausedWhileTheDestinationHoldsTheLeases(d);
        d.leases.releasesFailOn = null;
        d.network.passes(1_000, d.destination, d.source);
        d.source.assertRuns(VM, digest);
        return digest;
    }

    /**
     * As above, but the destination's give-back went through and only its answer was lost (ZooKeeper out of reach right
     * after it committed it), and the daemon was restarted before the store answered again: it must see its own
     * give-back and hand on its state. It took them again with the state they were held with, was refused, told the
     * source "aborted" with none, and the source's rollback, presenting the switch-over's state, was refused: the guest
     * stayed paused for good, though no other host ever held its leases.
     */
    @Test
    public void aDestinationRestartedAfterItsUnansweredGiveBackWentThroughLetsTheSourceRun() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        d.destination.journal.failAt = Step.COMMITTED;
        d.leases.releaseAnswersLostOn = "destination";
        d.migrationFails(VM);
        d.destination.journal.failAt = null;
        d.network.passes(1_000, d.destination, d.source);
        assertNull("the give-back went through", d.leases.holder(DISK));

        d.destination.restart();
        d.network.passes(9_000, d.destination, d.source);
        d.source.assertPaused(VM);
        d.leases.releaseAnswersLostOn = null; // the store answers again
        d.network.passes(1_000, d.destination, d.source);

        d.source.assertRuns(VM, digest);
        d.destination.assertGone(VM);
    }

    /**
     * The destination's Finish takes the leases, and the take goes through but its answer is lost (ZooKeeper out of
     * reach right after it committed it): Finish fails. The abort took the take for one that never happened, gave
     * nothing back and told the source "aborted"; the leases stayed the destination's with no VM there, the source's
     * rollback was refused ("held by destination") and its guest stayed paused, declared lost. The abort now gives back
     * what the destination may hold, and the source's guest runs on.
     */
    @Test
    public void aFinishWhoseTakeWentThroughUnansweredLetsTheSourceRun() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        d.leases.acquireAnswerLostOnceOn = "destination";

        d.migrationFails(VM);
        d.network.passes(1_000, d.destination, d.source);

        d.source.assertRuns(VM, digest);
        d.destination.assertGone(VM);
    }

    /**
     * Finish took the leases and could not write its commit record, and its abort, the incoming VM destroyed and the
     * leases given back, cannot remove the domain's status file (the state directory remounted read-only). The abort
     * lost the state their release returned: its source heard "in progress" for good and kept the guest paused, and
     * the destination listed the domain active with its VM destroyed.
     */
    @Test
    public void anAbortThatCannotRemoveTheStatusFileStillLetsTheSourceRun() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);

        abortedWithAStatusFileLeft(d);

        d.source.assertRuns(VM, digest); // its leases taken back with the state the destination's release returned
        d.destination.assertGone(VM);
        assertEquals(Step.ABORTED, d.destination.journal.find(d.source.journal.only().id()).orElseThrow().step());
    }

    /**
     * As above, the abort's record lost with the status file's removal (the read-only state directory kept the
     * arrival as PREPARED): the destination's next start finds the VM that file names gone, shuts the domain off and
     * removes the file, and records the abort, leaving the leases, which the source's guest holds, alone.
     */
    @Test
    public void theStatusFileAnAbortLeftIsRemovedAtTheNextStart() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        Path status = abortedWithAStatusFileLeft(d);
        String id = d.source.journal.only().id();
        Journal.Entry aborted = d.destination.journal.find(id).orElseThrow();
        d.destination.journal.record(aborted.withLeaseState(null).at(Step.PREPARED));

        d.destination.restart();
        d.network.passes(1_000, d.destination, d.source);

        assertFalse("the status file left by the abort", Files.exists(status));
        d.destination.assertGone(VM);
        d.source.assertRuns(VM, digest);
        assertEquals(Step.ABORTED, d.destination.journal.find(id).orElseThrow().step());
    }

    /**
     * A migration whose Finish takes the leases, then cannot write its commit record, and whose abort cannot remove the
     * incoming domain's status file once its VM is destroyed; the driver cancels it at the source. Returns the status
     * file, as the read-only state directory kept it, now writable again.
     */
    private static Path abortedWithAStatusFileLeft(TwoDaemons d) throws Exception {
        d.destination.journal.failAt = Step.COMMITTED;
        TwoDaemons.ByHand run = d.byHand(VM).prepare().perform();
        Path status = d.destination.status(VM);
        String kept = Files.readString(status);
        d.destination.vm(VM).beforeDestroy = () -> d.destination.statusUndeletable(VM);

        assertThrows(ChannelException.class, run::finish);
        run.confirm(true, null);

        d.destination.journal.failAt = null;
        FileTrees.delete(status);
        Files.writeString(status, kept);
        return status;
    }

    /**
     * A migration whose Finish takes the leases, then cannot write its commit record (a full disk), and whose abort
     * cannot give the leases back: the destination cannot reach the lease store. Returns the guest's memory digest.
     */
    private static String abortedWhileTheDestinationCannotGiveTheLeasesBack(TwoDaemons d) throws Exception {
        String digest = d.source.boot(VM);
        d.destination.journal.failAt = Step.COMMITTED;
        d.leases.releasesFailOn = "destination";
        d.migrationFails(VM);
        d.destination.journal.failAt = null;
        return digest;
    }

    /** The destination dropped the guest but still holds its leases: the guest must not run at the source yet. */
    private static void assertPausedWhileTheDestinationHoldsTheLeases(TwoDaemons d) {
        d.destination.assertGone(VM);
        d.source.assertPaused(VM);
        assertEquals("destination", d.leases.holder(DISK));
    }

    /**
     * The incoming VM's process ended after its memory arrived, before Finish (a QEMU the OOM killer took): committed
     * to, it would be resumed nowhere and Confirm would stop the source's copy. Finish fails; the source resumes.
     */
    @Test
    public void anIncomingVmThatQuitBeforeFinishIsNotCommittedTo() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        TwoDaemons.ByHand run = d.byHand(VM).prepare().perform();
        d.destination.vm(VM).exitOnItsOwn();

        ChannelException refused = assertThrows(ChannelException.class, run::finish);
        assertTrue(refused.getMessage(), refused.getMessage().contains("the incoming VM of domain vm1 quit or does not"
                + " answer since its memory arrived"));
        run.confirm(true, null);

        d.destination.assertGone(VM);
        d.source.assertRuns(VM, digest);
        assertEquals(Step.ABORTED, d.destination.journal.find(run.begun.id()).orElseThrow().step());
    }

    /**
     * The disk that failed Finish is full for the abort's record too: the journal still says PREPARED, but the
     * destination dropped the guest and says so when the source asks, then records it once it can.
     */
    @Test
    public void aDestinationThatCannotRecordItsAbortStillLetsTheSourceRun() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        d.source.extraSections.add(FaultySection.healthy());
        d.destination.extraSections.add(FaultySection.failing("eat", Phase.FINISH));
        d.destination.journal.failAt = Step.ABORTED;

        d.migrationFails(VM);
        d.destination.assertGone(VM);
        d.source.assertRuns(VM, digest);
        Journal.Entry migration = d.source.journal.only();
        assertEquals(Step.PREPARED, d.destination.journal.find(migration.id()).orElseThrow().step());

        d.destination.journal.failAt = null; // room again: the next question records it
        assertEquals(Outcome.ABORTED, d.destination.engine().settle(migration.id(), migration.key()).outcome());
        assertEquals(Step.ABORTED, d.destination.journal.find(migration.id()).orElseThrow().step());
    }

    /**
     * The abort that could not be recorded leaves the journal at PREPARED; nobody asks of it again, and the guest
     * arrives by its next migration. A restart must not take that guest, whose source let it go, for the incoming
     * VM of the first migration and drop it: that lost the guest on both hosts.
     */
    @Test
    public void anAbortNeverRecordedDoesNotDropTheGuestThatArrivedSinceAtTheNextStart() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        var failing = FaultySection.failing("eat", Phase.FINISH);
        d.source.extraSections.add(FaultySection.healthy());
        d.destination.extraSections.add(failing);
        d.destination.journal.failAt = Step.ABORTED;
        d.migrationFails(VM);
        d.destination.journal.failAt = null;
        d.destination.extraSections.remove(failing);
        d.destination.extraSections.add(FaultySection.healthy());
        Journal.Entry first = d.source.journal.only();
        d.migrate(VM);

        d.destination.restart();
        d.network.passes(1_000, d.destination);

        d.destination.assertRuns(VM, digest);
        d.source.assertGone(VM);
        assertEquals(Step.ABORTED, d.destination.journal.find(first.id()).orElseThrow().step());
    }

    /**
     * The same abort never recorded, and the guest started by hand on the destination since (its operator moved it
     * there himself: the source's copy destroyed, the definition defined here). A restart must leave that running
     * guest alone, and record the abort: dropped as the first migration's incoming VM, it was lost on both hosts.
     */
    @Test
    public void anAbortNeverRecordedDoesNotDropAGuestStartedThereSinceAtTheNextStart() throws Exception {
        TwoDaemons d = new TwoDaemons();
        d.source.boot(VM);
        d.source.extraSections.add(FaultySection.healthy());
        d.destination.extraSections.add(FaultySection.failing("eat", Phase.FINISH));
        d.destination.journal.failAt = Step.ABORTED;
        d.migrationFails(VM);
        d.destination.journal.failAt = null;
        Journal.Entry first = d.source.journal.only();
        d.source.domains().destroy(VM);
        String digest = d.destination.boot(VM);

        d.destination.restart();
        d.network.passes(1_000, d.destination);

        d.destination.assertRuns(VM, digest);
        assertEquals(Step.ABORTED, d.destination.journal.find(first.id()).orElseThrow().step());
    }

    /**
     * Before the domain migrates again here, the abort its earlier arrival could not record is written, and the
     * migration is refused while it cannot be: left PREPARED, a restart would drop whatever VM of the domain a later
     * migration left here for that arrival's incoming VM (a source's copy paused at its switch-over among them).
     */
    @Test
    public void anAbortNeverRecordedIsRecordedBeforeTheDomainMigratesAgain() throws Exception {
        TwoDaemons d = new TwoDaemons();
        d.source.boot(VM);
        var failing = FaultySection.failing("eat", Phase.FINISH);
        d.source.extraSections.add(FaultySection.healthy());
        d.destination.extraSections.add(failing);
        d.destination.journal.failAt = Step.ABORTED;
        d.migrationFails(VM);
        d.destination.extraSections.remove(failing);
        d.destination.extraSections.add(FaultySection.healthy());
        Journal.Entry first = d.source.journal.only();

        ChannelException refused = d.migrationFails(VM); // the disk is still full
        assertTrue(refused.getMessage(), refused.getMessage().contains("abort of migration " + first.id()));
        d.source.assertRuns(VM, null);
        // the refused Prepare leaves no entry behind, which would hold the name and the UUID until a restart
        assertTrue("the refused arrival left an entry of " + VM, d.destination.domain(VM).isEmpty());
        String otherName = TestHost.definition(VM).replace("<name>" + VM + "</name>", "<name>other</name>");
        d.destination.domains().define(otherName);
        d.destination.domains().undefine("other");

        d.destination.journal.failAt = null;
        d.migrate(VM);
        assertEquals(Step.ABORTED, d.destination.journal.find(first.id()).orElseThrow().step());
    }

    /** --persistent: the definition a failed Finish brought is not left behind, and the one there before stays. */
    @Test
    public void aFailedPersistentFinishLeavesTheDestinationsDefinitionsAsTheyWere() throws Exception {
        TwoDaemons d = new TwoDaemons(false);
        d.source.boot(VM);
        d.source.boot("vm2");
        String before = TestHost.definition("vm2").replace("<vcpu>1</vcpu>", "<vcpu>2</vcpu>");
        d.destination.domains().define(before); // it lived there once, with two vCPUs
        d.destination.journal.failAt = Step.COMMITTED;

        assertThrows(ChannelException.class, () -> d.migrate(VM, TwoDaemons.PERSISTENT));
        assertThrows(ChannelException.class, () -> d.migrate("vm2", TwoDaemons.PERSISTENT));

        d.destination.assertGone(VM);
        Domain vm1 = d.destination.domain(VM).orElse(null);
        assertNull("vm1 is defined on the destination, where it never arrived", vm1 == null ? null : vm1.persistent());
        assertEquals(2, d.destination.domain("vm2").orElseThrow().persistent().vcpus());
        d.destination.restart();
        assertEquals("the stored definition", 2, d.destination.domain("vm2").orElseThrow().persistent().vcpus());
        assertTrue("the refused arrival left an entry of " + VM, d.destination.domain(VM).isEmpty());
    }

    /**
     * Prepare finds the domain's entry, then waits for its job; the operator's job under way drops the entry
     * (undefine). Prepare must not start the guest on an entry the host no longer lists: it would run unlisted,
     * and a define and start of the domain would boot a second one beside it.
     */
    @Test
    public void aPrepareThatWaitedForADomainTheHostThenDroppedIsRefused() throws Exception {
        TwoDaemons d = new TwoDaemons(false);
        d.source.boot(VM);
        d.destination.domains().define(TestHost.definition(VM)); // defined, inactive there
        Domain stale = d.destination.domain(VM).orElseThrow();
        TwoDaemons.ByHand run = d.byHand(VM);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread prepare = new Thread(() -> {
            try {
                run.prepare();
            } catch (Throwable e) {
                failure.set(e);
            }
        });
        d.destination.domains().withJob(stale, "operator", () -> {
            prepare.start();
            Thread.State state;
            while ((state = prepare.getState()) != Thread.State.TIMED_WAITING && state != Thread.State.WAITING
                    && state != Thread.State.TERMINATED) {
                Thread.sleep(1); // Prepare waits for the job (or failed without waiting: the assertions say so)
            }
            d.destination.domains().undefine(VM);
            return null;
        });
        prepare.join();

        assertTrue("Prepare went on with an entry the host dropped", failure.get() instanceof ChannelException);
        assertTrue(failure.get().getMessage(), failure.get().getMessage().contains("changed while migration"));
        assertTrue("the refused arrival left an entry of " + VM, d.destination.domain(VM).isEmpty());
        assertTrue("no VM of vm1 on the destination", d.destination.vm(VM) == null || d.destination.vm(VM).isDestroyed());
        run.confirm(true, null); // the driver gives up at the source, then migrates again: the guest arrives
        Finished again = d.migrate(VM);
        assertEquals(VM, again.domain());
    }

    /**
     * The driver (ferry migrate on an operator's machine) cannot reach the destination for Finish nor for its settle,
     * while the source can. As libvirt, a Finish that did not report success is followed by Confirm with cancelled=1:
     * the source settles it with the destination itself, which had not committed, and runs the guest again at once; the
     * command says where it is. The driver used to send no Confirm: the guest stayed paused until the source noticed
     * the driver's silence (8 s after the command ended), and the command said only that the destination could not say.
     */
    @Test
    public void aFinishItsDriverCouldNotDeliverIsSettledByTheSourceAtOnce() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        Peer unreachable = d.network.peer(d.destination.uri).cutOffFor("finish", "settle");

        ChannelException e = assertThrows(ChannelException.class, () -> d.driver().run(d.peer(d.source), unreachable,
                new Migrate(VM, d.destination.uri, TwoDaemons.LIVE, null, null, 0)));

        assertTrue(e.getMessage(), e.getMessage().contains("domain " + VM + " stays on its source " + d.source.uri));
        d.source.assertRuns(VM, digest);
        d.destination.assertGone(VM);
    }
}
