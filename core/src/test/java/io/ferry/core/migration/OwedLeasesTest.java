package io.ferry.core.migration;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.api.lock.LeaseRequest;
import io.ferry.core.domain.DomainException;
import io.ferry.protocol.ChannelException;
import io.ferry.protocol.Messages;
import io.ferry.protocol.MigrationFlags;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import org.junit.Test;

/**
 * The disk leases a destination owes (its abort could not give back what Finish took) belong to the domain that took
 * them, by its UUID: another domain given its name, and the records of what is owed, must not make them be forgotten.
 * Leases a lock manager instance handed out, replaced since, are given back through the one there now.
 */
public class OwedLeasesTest {
    private static final String VM = "vm1";
    private static final String DISK = "/disks/" + VM + ".img";
    private static final String NEW_DISK = "/disks/new.img";

    /**
     * While the destination owes vm1's leases, vm1 is defined anew there with another UUID and another disk, and started
     * once the lease store answers, before the watchdog's next try: its start took the debt for its own and dropped it,
     * so the old disk's lease stayed the destination's for good and the source, told "aborted" with no state, kept its
     * guest paused for good.
     */
    @Test
    public void aDomainDefinedAnewUnderTheNameDoesNotTakeOverTheLeasesItsNamesakeOwes() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = abortedWhileTheDestinationCannotGiveTheLeasesBack(d);
        d.destination.domains().define(definition(VM, UUID.randomUUID(), "/disks/other.img"));
        d.leases.releasesFailOn = null; // the store answers again

        d.destination.domains().start(VM);
        d.network.passes(1_000, d.destination, d.source);
        d.network.passes(9_000, d.destination, d.source);

        d.source.assertRuns(VM, digest);
        assertEquals("the new vm1's disk", "destination", d.leases.holder("/disks/other.img"));
    }

    /**
     * As above, the new vm1 on the same disk: its start took the owed lease over as this host's (the lock manager's
     * "already mine"), so a second guest ran on the source guest's disk and that guest stayed paused for good. It is
     * refused while the lease is owed, and once it is given back the source's guest runs and holds it.
     */
    @Test
    public void aDomainDefinedAnewOnTheSameDiskIsRefusedWhileItsNamesakeOwesTheLease() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = abortedWhileTheDestinationCannotGiveTheLeasesBack(d);
        d.destination.domains().define(definition(VM, UUID.randomUUID(), DISK));
        d.leases.releasesFailOn = null;

        DomainException refused = assertThrows(DomainException.class, () -> d.destination.domains().start(VM));
        assertTrue(refused.getMessage(), refused.getMessage().contains("is still owed by domain " + VM));
        d.network.passes(1_000, d.destination, d.source);
        d.network.passes(9_000, d.destination, d.source);

        d.source.assertRuns(VM, digest);
        assertThrows(DomainException.class, () -> d.destination.domains().start(VM)); // the source's guest holds it
    }

    /**
     * While the destination owes vm1's leases, the operator starts vm1 (the same domain, defined there again) once the
     * store answers: its new VM takes them over, which settles the debt. The abort is then recorded with no state, so
     * the source's rollback is refused and its copy stays paused; the migration ends aborted on both hosts. It never
     * ended: the watchdog looked for debts only, so the source heard "in progress" for good and the destination refused
     * to migrate vm1 before "the disk leases that aborted migration took" were given back.
     */
    @Test
    public void anArrivalWhoseDomainWasStartedWhereItOwesTheLeasesEndsAborted() throws Exception {
        TwoDaemons d = startedWhereItsArrivalOwesTheLeases();

        d.network.passes(1_000, d.destination, d.source);
        d.network.passes(9_000, d.destination, d.source);

        d.destination.assertRuns(VM, null);
        d.source.assertPaused(VM);
        assertEquals("destination", d.leases.holder(DISK));
        Journal.Entry migration = d.source.journal.only();
        assertEquals(Step.ABORTED, migration.step());
        assertEquals(Step.ABORTED, d.destination.journal.find(migration.id()).orElseThrow().step());
        d.destination.engine().begin(new Messages.Begin(VM, TwoDaemons.LIVE, null, null, 0)); // may migrate on
    }

    /**
     * As above, the domain migrating on at once: its Begin records the settled abort itself. It was refused ("before the
     * disk leases that aborted migration ... are given back") until the watchdog's next look, up to a second later.
     */
    @Test
    public void aDomainStartedWhereItsArrivalOwedTheLeasesMayMigrateOnAtOnce() throws Exception {
        TwoDaemons d = startedWhereItsArrivalOwesTheLeases();

        d.destination.engine().begin(new Messages.Begin(VM, TwoDaemons.LIVE, null, null, 0));

        String id = d.source.journal.only().id();
        assertEquals(Step.ABORTED, d.destination.journal.find(id).orElseThrow().step());
    }

    /**
     * A guest destroyed while the lease store could not be reached owes its leases; started again here once the store
     * answers, it holds them for its new VM, and the give-back tried again later must not release them under it.
     */
    @Test
    public void aDomainStartedAgainWhereItOwesItsLeasesKeepsThemForItsNewVm() throws Exception {
        TwoDaemons d = destroyedWhileTheStoreFailsReleases();
        d.leases.releasesFailOn = null;

        d.source.domains().start(VM);
        d.network.passes(10_000, d.source, d.destination);

        d.source.assertRuns(VM, null);
        assertEquals("the new VM's disk", "source", d.leases.holder(DISK));
        assertThrows(DomainException.class, () -> d.destination.boot(VM));
    }

    /**
     * As above, the domain defined anew with another disk before it starts again: its start took the debt, met by the
     * domain's UUID, for settled whole, and the old disk's lease stayed this host's for good. It keeps what the start
     * took (its own lease among them) and gives back the rest.
     */
    @Test
    public void aDomainStartedAgainWithAnotherDiskWhereItOwesItsLeasesGivesBackTheOldDisks() throws Exception {
        TwoDaemons d = destroyedWhileTheStoreFailsReleases();
        d.source.domains().define(definition(VM, TestHost.uuid(VM), NEW_DISK));
        d.leases.releasesFailOn = null;

        d.source.domains().start(VM);
        d.network.passes(10_000, d.source, d.destination);

        assertNull("the old disk", d.leases.holder(DISK));
        assertEquals("the new VM's disk", "source", d.leases.holder(NEW_DISK));
        assertEquals("the new VM's own lease", "source",
                d.leases.holder(LeaseRequest.domainResource(TestHost.uuid(VM))));
        assertFalse("owed no more", d.source.domains().leases().owed().owesAny());
    }

    /**
     * A guest destroyed while the lease store was unreachable owes its leases, and the daemon is restarted with leases
     * off (lockManager none): nothing holds leases for anyone any more, so the debt is dropped. It was tried again each
     * second for good, each try failing on the lock manager there is none of.
     */
    @Test
    public void leasesOwedWhenTheDaemonRestartsWithLeasesOffAreDropped() throws Exception {
        TwoDaemons d = destroyedWhileTheStoreFailsReleases();
        d.source.leasesOff = true;

        d.source.restart();
        d.network.passes(2_000, d.source);

        assertFalse("owed no more", d.source.domains().leases().owed().owesAny());
        d.source.domains().start(VM);
        d.source.assertRuns(VM, null);
    }

    /** The VM died with its host, and the restarted daemon cannot reach the lease store: it gives them back once it can. */
    @Test
    public void aVmGoneWithItsHostWhileTheLeaseStoreIsUnreachableGivesItsLeasesBackOnceItAnswers() throws Exception {
        TwoDaemons d = new TwoDaemons();
        d.source.boot(VM);
        d.source.vm(VM).destroy(); // with the host
        d.leases.unreachableFrom = "source";
        d.source.restart();
        assertEquals("source", d.leases.holder(DISK));
        assertTrue("its leases are owed", d.source.domains().leases().owed().owesAny());

        d.leases.unreachableFrom = null;
        d.network.passes(10_000, d.source);

        assertEquals(null, d.leases.holder(DISK));
        d.destination.boot(VM);
        d.destination.assertRuns(VM, null);
    }

    /**
     * The destination's record of the leases its abort owes (STATE/leases-owed/UUID.xml) deleted before it restarts (an
     * operator cleaning up): it forgot them, told the source "aborted" with no state, the source's rollback was refused
     * and its guest stayed paused for good, the leases the destination's for good. Its PREPARED record names the disks.
     */
    @Test
    public void aDestinationWhoseRecordOfOwedLeasesWasDeletedStillGivesThemBack() throws Exception {
        destinationRestartedWithItsRecordOfOwedLeases(null);
    }

    /** As above, the record damaged (a disk's error): it was logged as unreadable, and forgotten. */
    @Test
    public void aDestinationWhoseRecordOfOwedLeasesIsDamagedStillGivesThemBack() throws Exception {
        destinationRestartedWithItsRecordOfOwedLeases("<owed-leases domain='vm1' uu");
    }

    private static void destinationRestartedWithItsRecordOfOwedLeases(String damage) throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = abortedWhileTheDestinationCannotGiveTheLeasesBack(d);
        Path record = d.destination.stateDir.resolve("leases-owed").resolve(TestHost.uuid(VM) + ".xml");
        assertTrue(Files.exists(record));
        if (damage == null) {
            Files.delete(record);
        } else {
            Files.writeString(record, damage);
        }

        d.destination.restart();
        if (damage != null) {
            assertTrue("kept for the operator", Files.exists(record.resolveSibling(record.getFileName() + ".damaged")));
        }
        d.network.passes(9_000, d.destination, d.source);
        d.source.assertPaused(VM); // the destination still holds them
        assertEquals("destination", d.leases.holder(DISK));
        d.leases.releasesFailOn = null;
        d.network.passes(1_000, d.destination, d.source);

        d.source.assertRuns(VM, digest);
        d.destination.assertGone(VM);
    }

    /**
     * While an aborted arrival's leases are owed its record stays PREPARED, so a later arrival of the domain must wait:
     * a restart would otherwise take that arrival's incoming VM for the old one's and drop it.
     */
    @Test
    public void aDomainWhoseArrivalStillOwesItsLeasesCannotArriveAgain() throws Exception {
        TwoDaemons d = new TwoDaemons();
        abortedWhileTheDestinationCannotGiveTheLeasesBack(d);
        String header = "<qemu-migration><name>" + VM + "</name><uuid>" + TestHost.uuid(VM) + "</uuid><hostname>third</hostname>"
                + "<hostuuid>" + UUID.randomUUID() + "</hostuuid></qemu-migration>";

        MigrationException refused = assertThrows(MigrationException.class, () -> d.destination.engine().prepare(
                new Messages.Prepare(UUID.randomUUID().toString(), "k".repeat(40), MigrationFlags.parse("offline,persistent"),
                        TestHost.definition(VM), header, List.of(new Messages.SectionVersion("persistent", "1.0")), null)));

        assertTrue(refused.getMessage(), refused.getMessage().contains("before the disk leases that aborted migration"));
    }

    /**
     * A Finish asked again (its driver lost the first reply) of an arrival aborted owing its leases: its record stays
     * PREPARED until they are given back, and read from there the answer was "no incoming migration on this host", as
     * if the destination had never had it. It was aborted here, and a cancelled one is answered.
     */
    @Test
    public void aFinishAskedAgainOfAnArrivalAbortedOwingItsLeasesIsToldItWasAborted() throws Exception {
        TwoDaemons d = new TwoDaemons();
        d.source.boot(VM);
        TwoDaemons.ByHand run = d.byHand(VM).prepare().perform();
        d.destination.journal.failAt = Step.COMMITTED;
        d.leases.releasesFailOn = "destination";
        assertThrows(ChannelException.class, run::finish);
        assertEquals("destination", d.leases.holder(DISK));

        ChannelException again = assertThrows(ChannelException.class, run::finish);
        assertTrue(again.getMessage(), again.getMessage().contains("migration " + run.begun.id() + " was aborted on this host"));
        Messages.Finish cancel = new Messages.Finish(run.begun.id(), run.begun.key(), true, null);
        assertEquals(null, d.peer(d.destination).finish(cancel).domain());
    }

    /**
     * The lock manager's bundle is updated (or reconfigured) while a VM runs: the instance that took its leases closes
     * its client to the store, and another takes its place. Destroyed then, the VM gives its leases back through the
     * new one, as this host holds them. They were given back through the closed one, which failed as if the store were
     * out of reach and was tried again through it for good: no host could start the domain until the daemon restarted.
     */
    @Test
    public void theLeasesOfAVmDestroyedAfterItsLockManagerWasReplacedAreGivenBack() throws Exception {
        TwoDaemons d = new TwoDaemons();
        bootedThenItsLockManagerReplaced(d);

        d.source.domains().destroy(VM);
        d.network.passes(1_000, d.source);

        assertNull(d.leases.holder(DISK));
        d.destination.boot(VM);
        d.destination.assertRuns(VM, null);
    }

    /**
     * As above, the VM destroyed while the store could not be reached, before the update: its leases are owed, and
     * given back through the new instance once the store answers. They were tried through the closed one for good.
     */
    @Test
    public void leasesOwedWhenTheLockManagerIsReplacedAreGivenBackThroughTheNewOne() throws Exception {
        TwoDaemons d = new TwoDaemons();
        SharedLeases.Instance before = d.leases.instance();
        d.source.registerLockManager(before);
        d.source.boot(VM);
        d.leases.releasesFailOn = "source";
        d.source.domains().destroy(VM);
        assertTrue("its leases are owed", d.source.domains().leases().owed().owesAny());
        replaceLockManager(d, before);
        d.leases.releasesFailOn = null;

        d.network.passes(1_000, d.source);

        assertNull(d.leases.holder(DISK));
        assertFalse("owed no more", d.source.domains().leases().owed().owesAny());
    }

    /**
     * As above, the VM migrated after the update: its switch-over gives the leases back through the new instance. It
     * gave them back through the closed one, which failed: every first migration after the update failed, rolled
     * back.
     */
    @Test
    public void aVmMigratesAfterItsLockManagerWasReplaced() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = bootedThenItsLockManagerReplaced(d);

        d.migrate(VM);

        d.destination.assertRuns(VM, digest);
        d.source.assertGone(VM);
    }

    /**
     * The source's vm1 boots with its leases from one lock manager instance, which another then replaces; returns its
     * memory digest.
     */
    private static String bootedThenItsLockManagerReplaced(TwoDaemons d) throws Exception {
        SharedLeases.Instance before = d.leases.instance();
        d.source.registerLockManager(before);
        String digest = d.source.boot(VM);
        replaceLockManager(d, before);
        return digest;
    }

    /** As a bundle update: the instance goes and is closed, and a new one over the same store comes. */
    private static void replaceLockManager(TwoDaemons d, SharedLeases.Instance before) {
        d.source.unregisterLockManager();
        before.close();
        d.source.registerLockManager(d.leases.instance());
    }

    /** An arrival aborted owing its leases, the store back, and the domain defined and started at its destination. */
    private static TwoDaemons startedWhereItsArrivalOwesTheLeases() throws Exception {
        TwoDaemons d = new TwoDaemons();
        abortedWhileTheDestinationCannotGiveTheLeasesBack(d);
        d.destination.domains().define(TestHost.definition(VM));
        d.leases.releasesFailOn = null;
        d.destination.domains().start(VM);
        return d;
    }

    /** The source's vm1 destroyed while the lease store fails its releases: its leases are owed. */
    private static TwoDaemons destroyedWhileTheStoreFailsReleases() throws Exception {
        TwoDaemons d = new TwoDaemons();
        d.source.boot(VM);
        d.leases.releasesFailOn = "source";
        d.source.domains().destroy(VM);
        assertTrue("its leases are owed", d.source.domains().leases().owed().owesAny());
        return d;
    }

    static String abortedWhileTheDestinationCannotGiveTheLeasesBack(TwoDaemons d) throws Exception {
        String digest = d.source.boot(VM);
        d.destination.journal.failAt = Step.COMMITTED;
        d.leases.releasesFailOn = "destination";
        d.migrationFails(VM);
        d.destination.journal.failAt = null;
        d.destination.assertGone(VM);
        d.source.assertPaused(VM);
        assertEquals("destination", d.leases.holder(DISK));
        return digest;
    }

    private static String definition(String name, UUID uuid, String disk) {
        return "<domain type='" + FakeHypervisor.TYPE + "'><name>" + name + "</name><uuid>" + uuid + "</uuid>"
                + "<memory unit='KiB'>64</memory><vcpu>1</vcpu><devices><disk type='file'><source file='" + disk
                + "'/><target dev='vda'/></disk></devices></domain>";
    }
}
