package io.ferry.core.migration;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.api.lock.LeaseRequest;
import io.ferry.core.domain.Domain;
import io.ferry.core.domain.DomainException;
import io.ferry.core.domain.DomainState;
import io.ferry.protocol.ChannelException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import org.junit.Test;

/**
 * A host's power cut right after a record written without a sync: what survives is the synced record before it. Each
 * side's next start must neither run the guest twice nor leave it paused for good.
 */
public class PowerCutTest {
    private static final String VM = "vm1";
    private static final String DISK = "/disks/" + VM + ".img";
    private static final UUID ANOTHER_UUID = UUID.randomUUID();
    private static final String ANOTHER_DISK = "/disks/another.img";
    /** The disk of the domain's definition on the destination, from before the source's copy changed disks. */
    private static final String OLD_DISK = "/disks/old.img";
    /** A domain of the name with another UUID and disk. */
    private static final String ANOTHER = TestHost.definition(VM).replace(TestHost.uuid(VM).toString(),
            ANOTHER_UUID.toString()).replace(DISK, ANOTHER_DISK);

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

    /**
     * The destination's power cut after its Finish took the leases, before the commit record, took the incoming
     * domain's status (written without a sync); while its lock manager was late, an operator defined a domain of the
     * name with another UUID. Recovery took that domain for the arrival's: it gave back that one's leases, not those
     * the record names, and the source, refused them, kept its guest paused for good.
     */
    @Test
    public void anotherDomainOfTheNameDefinedAfterTheRestartIsNotTakenForTheArrival() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        String id = destinationPowerCutAfterFinishTookTheLeases(d);
        Files.delete(d.destination.stateDir.resolve("status/" + VM + ".xml")); // lost with the power
        d.destination.lockManagerLate = true;
        d.destination.restart();
        d.destination.domains().define(ANOTHER);
        d.destination.registerLockManager();
        d.network.passes(1_000, d.destination);
        d.network.passes(9_000, d.source, d.destination);

        d.source.assertRuns(VM, digest);
        assertEquals(Step.ABORTED, d.destination.journal.find(id).orElseThrow().step());
        Domain another = d.destination.domain(VM).orElseThrow();
        assertEquals("the other domain is still defined", ANOTHER_UUID, another.persistent().uuid());
        assertEquals(DomainState.SHUTOFF, another.state());
        assertNull("the other domain's disk lease was taken", d.leases.holder(ANOTHER_DISK));
        assertEquals("the other domain's lease was taken and given back", 0, d.leases.generation(ANOTHER_DISK));
    }

    /**
     * As above, the other domain started once the lock manager came, before recovery settled the arrival: it was taken
     * for the incoming VM and destroyed, and the give-back of the record's leases, by the domain's name, let go of the
     * leases it ran with.
     */
    @Test
    public void anotherDomainOfTheNameStartedAfterTheRestartRunsOnWithItsLeases() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        anotherDomainOfTheNameStartedAfterTheRestart(d, ANOTHER_DISK);

        d.source.assertRuns(VM, digest);
        assertEquals("the other domain's disk lease", "destination", d.leases.holder(ANOTHER_DISK));
    }

    /** As above, the other domain on the arrival's disk: that lease stays with its VM, the source's guest paused. */
    @Test
    public void anotherDomainOfTheNameOnTheArrivalsDiskKeepsItsLease() throws Exception {
        TwoDaemons d = new TwoDaemons();
        d.source.boot(VM);
        anotherDomainOfTheNameStartedAfterTheRestart(d, DISK);

        d.source.assertPaused(VM);
        assertEquals("the other domain's disk lease", "destination", d.leases.holder(DISK));
    }

    /**
     * The destination's power cut after its Finish took the leases took the incoming domain's status too; after its
     * restart, with the lock manager late, a domain of the name with another UUID and {@code disk} is defined and
     * started.
     * It runs on, with its own lease.
     */
    private static void anotherDomainOfTheNameStartedAfterTheRestart(TwoDaemons d, String disk) throws Exception {
        destinationPowerCutAfterFinishTookTheLeases(d);
        Files.delete(d.destination.stateDir.resolve("status/" + VM + ".xml"));
        d.destination.lockManagerLate = true;
        d.destination.restart();
        d.destination.domains().define(ANOTHER.replace(ANOTHER_DISK, disk));
        d.destination.registerLockManager();
        d.destination.domains().start(VM);
        d.network.passes(1_000, d.destination);
        d.network.passes(9_000, d.source, d.destination);

        Domain another = d.destination.domain(VM).orElseThrow();
        assertEquals(ANOTHER_UUID, another.uuid());
        assertEquals("the other domain on destination", DomainState.RUNNING, another.state());
        assertTrue("the other domain's VM runs", another.vm() != null && another.vm().isRunning());
        assertEquals("the other domain's own lease", "destination",
                d.leases.holder(LeaseRequest.domainResource(ANOTHER_UUID)));
    }

    /**
     * The destination's power cut after its Finish took the leases, before the commit record, emptied the incoming
     * domain's status (NUL bytes): a transient domain, it is unreadable at the restart, and its VM, which only its
     * status described, may still run for all the daemon can tell. It was taken for a domain that lived on since: the
     * abort was recorded with no lease state and the leases kept, so the source was refused them and kept its guest
     * paused for good, even once the operator removed the file. The leases stay the destination's while its VM may run,
     * the source hears "in progress", and once the file is removed (the VM known not to run) the next start gives them
     * back.
     */
    @Test
    public void anArrivalWhoseStatusAPowerCutEmptiedKeepsItsLeasesUntilTheFileIsRemoved() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        String id = destinationPowerCutAfterFinishTookTheLeases(d);
        Path status = emptied(d.destination);
        d.destination.restart();
        d.network.passes(1_000, d.destination);
        d.network.passes(9_000, d.source, d.destination);

        d.source.assertPaused(VM);
        assertEquals("its source is told \"in progress\"", Step.PREPARED,
                d.destination.journal.find(id).orElseThrow().step());
        assertEquals("the leases Finish took", "destination", d.leases.holder(DISK));

        Files.delete(status); // the operator, once the VM is known not to run
        d.destination.restart();
        d.network.passes(1_000, d.destination);
        d.network.passes(9_000, d.source, d.destination);

        d.source.assertRuns(VM, digest);
        assertEquals(Step.ABORTED, d.destination.journal.find(id).orElseThrow().step());
    }

    /**
     * As above, the domain defined on the destination, and its driver registering after the restart: its VM is looked
     * for by its definition, and the domain was taken, as running until then, for one that lived on since the abort.
     * Its VM gone with the power, the arrival is dropped and the leases Finish took are given back.
     */
    @Test
    public void anArrivalOfADefinedDomainWhoseStatusAPowerCutEmptiedWaitsForItsVmToBeLookedFor() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        d.destination.domains().define(TestHost.definition(VM));
        String id = destinationPowerCutAfterFinishTookTheLeases(d);
        emptied(d.destination);
        d.destination.hypervisorLate = true;
        d.destination.restart();
        d.network.passes(1_000, d.destination);
        d.destination.registerHypervisor();
        d.network.passes(1_000, d.destination);
        d.network.passes(9_000, d.source, d.destination);

        d.source.assertRuns(VM, digest);
        d.destination.assertGone(VM);
        assertEquals(Step.ABORTED, d.destination.journal.find(id).orElseThrow().step());
    }

    /**
     * The destination's power cut after its Finish took the leases of the arriving definition's disks, the domain
     * defined there with another disk (the source's copy gained one since it left). The restart shut the domain off,
     * and its abort gave back the leases of the stored definition's disk, not those the record names: the arrival's
     * stayed the destination's, and the source, refused them, kept its guest paused for good.
     */
    @Test
    public void anArrivalOfADomainDefinedWithOtherDisksGivesBackTheLeasesItsFinishTook() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        d.destination.domains().define(TestHost.definition(VM).replace(DISK, OLD_DISK));
        String id = destinationPowerCutAfterFinishTookTheLeases(d);
        d.destination.restart();
        d.network.passes(1_000, d.destination);
        d.network.passes(9_000, d.source, d.destination);

        d.source.assertRuns(VM, digest); // its disk's lease taken back
        assertEquals(Step.ABORTED, d.destination.journal.find(id).orElseThrow().step());
        assertNull("the stored definition's disk lease", d.leases.holder(OLD_DISK));
    }

    /** The host's status of the guest, as a power cut leaves one written without a sync: NUL bytes. */
    private static Path emptied(TestHost host) throws Exception {
        Path status = host.stateDir.resolve("status/" + VM + ".xml");
        Files.write(status, new byte[(int) Files.size(status)]);
        return status;
    }

    /** Begin, Prepare and Perform; the destination's power cut after its Finish took the leases, before its commit. */
    private static String destinationPowerCutAfterFinishTookTheLeases(TwoDaemons d) throws Exception {
        TwoDaemons.ByHand run = d.byHand(VM).prepare().perform();
        d.destination.journal.crashBefore = Step.COMMITTED;
        assertThrows(Crash.class, run::finish);
        assertEquals("the destination took the leases", "destination", d.leases.holder(DISK));
        d.destination.vm(VM).destroy();
        return run.begun.id();
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
