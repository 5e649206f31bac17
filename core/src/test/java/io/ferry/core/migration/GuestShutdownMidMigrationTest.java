package io.ferry.core.migration;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.api.snapshot.SnapshotStore.Snapshot;
import io.ferry.core.domain.Domain;
import io.ferry.core.domain.DomainState;
import io.ferry.protocol.ChannelException;
import io.ferry.protocol.Messages.Finished;
import java.util.List;
import org.junit.Test;

/**
 * A guest that powers itself off (its VM shuts down: a QEMU that exits after SHUTDOWN, status 0) at each point of a
 * migration. Before the switch-over on the source: the migration fails, nothing is left at the destination, and the
 * source's domain is shut off (shutdown), a transient one gone with its snapshots. On the destination right after
 * Finish's resume: the migrated domain's end, shut off (shutdown) there, and the source's copy migrated, not resumed.
 */
public class GuestShutdownMidMigrationTest {
    private static final String VM = "vm1";
    private static final String DISK = "/disks/vm1.img";
    private static final List<Snapshot> SNAPSHOTS = List.of(new Snapshot("s1", null, "<domainsnapshot><name>s1</name></domainsnapshot>"));

    @Test
    public void aSourceGuestThatPowersOffMidPerformIsShutOffShutdownClientManagedAndPeerToPeer() throws Exception {
        for (boolean p2p : new boolean[] {false, true}) {
            TwoDaemons d = new TwoDaemons();
            d.source.boot(VM);
            powersOffWhileItsMemoryLeaves(d.source.vm(VM));

            assertThrows(ChannelException.class, () -> d.migrate(VM, p2p ? TwoDaemons.P2P : TwoDaemons.LIVE));

            awaitShutOff(d.source);
            assertEquals("p2p " + p2p, DomainState.Reason.SHUTDOWN, d.source.domain(VM).orElseThrow().reason());
            assertNull("the disk lease of the guest that powered off", d.leases.holder(DISK));
            d.destination.assertGone(VM);
            assertEquals(Step.ABORTED, d.source.journal.only().step());
        }
    }

    @Test
    public void aTransientSourceGuestThatPowersOffMidPerformLeavesWithItsSnapshots() throws Exception {
        TwoDaemons d = new TwoDaemons();
        d.source.boot(VM);
        d.source.domains().undefine(VM);
        FakeVm vm = d.source.vm(VM);
        vm.failSendAfter = 8192;
        vm.duringSend = () -> {
            d.source.snapshots.domains.put(TestHost.uuid(VM), SNAPSHOTS); // taken meanwhile
            vm.shutDownOnItsOwn();
        };

        d.migrationFails(VM);

        for (int i = 0; i < 10_000 && d.source.domain(VM).isPresent(); i++) {
            Thread.sleep(1);
        }
        assertTrue("a transient guest that powered off is gone", d.source.domain(VM).isEmpty());
        assertEquals(List.of(), d.source.snapshots.list(TestHost.uuid(VM)));
        assertNull(d.leases.holder(DISK));
        d.destination.assertGone(VM);
    }

    @Test
    public void aGuestThatPowersOffOnItsDestinationRightAfterItsResumeIsShutOffThereAndMigratedHere() throws Exception {
        TwoDaemons d = new TwoDaemons();
        d.source.boot(VM);
        TwoDaemons.ByHand run = d.byHand(VM, TwoDaemons.PERSISTENT).prepare().perform();
        FakeVm arrived = d.destination.vm(VM);
        arrived.afterResume = arrived::shutDownOnItsOwn;

        Finished finished = run.finish();
        run.confirm(false, finished.cookie());

        assertNull(finished.note());
        awaitShutOff(d.destination);
        Domain there = d.destination.domain(VM).orElseThrow();
        assertEquals(DomainState.Reason.SHUTDOWN, there.reason());
        assertTrue("defined there", there.persistent() != null);
        Domain here = d.source.domain(VM).orElseThrow();
        assertEquals(DomainState.SHUTOFF, here.state());
        assertEquals(DomainState.Reason.MIGRATED, here.reason());
        assertTrue("the source's copy is stopped, never resumed", d.source.vm(VM).isDestroyed());
        assertNull(d.leases.holder(DISK));
    }

    /** The source's VM ends after its switch-over (a QEMU told to quit, status 0) and the destination commits. */
    @Test
    public void aSourceVmThatEndsAfterTheSwitchOverOfACommittedMigrationIsMigratedNotShutDown() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        FakeVm vm = d.source.vm(VM);
        vm.atSwitchOver = vm::shutDownOnItsOwn;

        d.migrate(VM, TwoDaemons.P2P);

        d.destination.assertRuns(VM, digest);
        Thread.sleep(100); // the exit's handling, were it to change anything
        Domain here = d.source.domain(VM).orElseThrow();
        assertEquals(DomainState.SHUTOFF, here.state());
        assertEquals(DomainState.Reason.MIGRATED, here.reason());
        assertEquals("destination", d.leases.holder(DISK));
    }

    /** Its memory begins to leave, then the guest powers off and the transfer breaks. */
    private static void powersOffWhileItsMemoryLeaves(FakeVm vm) {
        vm.failSendAfter = 8192;
        vm.duringSend = vm::shutDownOnItsOwn;
    }

    private static void awaitShutOff(TestHost host) throws InterruptedException {
        for (int i = 0; i < 10_000 && host.domain(VM).orElseThrow().state() != DomainState.SHUTOFF; i++) {
            Thread.sleep(1);
        }
        assertEquals(VM + " on " + host.name, DomainState.SHUTOFF, host.domain(VM).orElseThrow().state());
    }
}
