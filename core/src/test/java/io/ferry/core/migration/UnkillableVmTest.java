package io.ferry.core.migration;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.api.snapshot.SnapshotStore.Snapshot;
import io.ferry.core.domain.DomainException;
import io.ferry.protocol.ChannelException;
import io.ferry.protocol.Messages.Finished;
import java.util.List;
import org.junit.Test;

/**
 * A VM whose destroy fails because its process outlived SIGKILL (a QEMU in uninterruptible sleep on hung storage) may
 * still write the guest's disks when it wakes: whoever destroys it must keep its disk leases and must not let another
 * copy of the guest run, as libvirt's leases, held by the QEMU process itself, stay held as long as it lives.
 */
public class UnkillableVmTest {
    private static final String VM = "vm1";
    private static final String DISK = "/disks/" + VM + ".img";

    /**
     * Finish took the leases, then failed (its commit record could not be written), and the incoming VM outlived its
     * kill: the destination keeps the leases and the source its copy paused, told "in progress", until that VM is gone;
     * then the abort goes through and the guest runs on at the source. The abort was given up after one try: the
     * journal stayed PREPARED, so the source's copy stayed paused for as long as the destination ran.
     */
    @Test
    public void anIncomingVmThatOutlivesItsKillKeepsTheSourcesCopyPausedUntilItIsGone() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        TwoDaemons.ByHand run = finishFailsWithAnUnkillableVm(d);
        FakeVm incoming = d.destination.vm(VM);
        ChannelException undecided = assertThrows(ChannelException.class, () -> run.confirm(true, null));
        assertTrue(undecided.getMessage(), undecided.getMessage().contains("in progress")
                || undecided.getMessage().contains("under way"));

        d.network.passes(9_000, d.source, d.destination); // beyond the driver timeout: both settle it
        d.network.passes(9_000, d.source, d.destination);
        d.source.assertPaused(VM);
        assertEquals("the leases of a VM that may still write the disks", "destination", d.leases.holder(DISK));
        assertTrue(d.destination.domains().find(VM).orElseThrow().isActive());

        incoming.unkillable = false; // its storage came back: it dies
        d.network.passes(9_000, d.destination, d.source);
        d.network.passes(9_000, d.source, d.destination);

        d.destination.assertGone(VM);
        d.source.assertRuns(VM, digest);
        Journal.Entry migration = d.source.journal.only();
        assertEquals(Step.ABORTED, d.destination.journal.find(migration.id()).orElseThrow().step());
    }

    /**
     * While the arrival waits for its VM to die, an operator at the destination sees why: domjobinfo's running job
     * names the VM that outlived its kill, and ferry events has the migration's failure then, once, not when it is
     * dropped. domjobinfo showed the job as if it ran, and the failed event came only once the VM had died, hours later.
     */
    @Test
    public void anArrivalWaitingForItsVmToDieSaysSoInItsJobAndEvents() throws Exception {
        TwoDaemons d = new TwoDaemons();
        d.source.boot(VM);
        TwoDaemons.ByHand run = finishFailsWithAnUnkillableVm(d);
        FakeVm incoming = d.destination.vm(VM);

        LiveJob job = d.destination.engine().jobs().active(VM).orElseThrow();
        assertNotNull("domjobinfo shows the job as if it ran", job.holdup());
        assertTrue(job.holdup(), job.holdup().matches("the migration failed \\(.+\\), but its incoming VM cannot be"
                + " stopped: QEMU of domain 'vm1' \\(pid 4242\\) did not die after SIGKILL; the abort is tried again"
                + " every 5 s, and until it goes through the source keeps vm1 paused"));
        assertEquals(List.of(job.holdup()), destinationFailures(d));

        d.network.passes(9_000, d.source, d.destination); // tries again
        assertEquals("one failed event per migration", 1, destinationFailures(d).size());
        incoming.unkillable = false;
        d.network.passes(9_000, d.destination, d.source);
        d.destination.assertGone(VM);
        assertEquals("one failed event per migration", 1, destinationFailures(d).size());
        LiveJob ended = d.destination.engine().jobs().lastEnded(VM).orElseThrow();
        assertNotNull(ended.error());
        assertFalse("the completed job says why it failed, not that it waited", ended.error().contains("SIGKILL"));
    }

    /** Finish took the leases, then failed (its commit record could not be written): its incoming VM outlives its kill. */
    private static TwoDaemons.ByHand finishFailsWithAnUnkillableVm(TwoDaemons d) throws Exception {
        TwoDaemons.ByHand run = d.byHand(VM).prepare().perform();
        d.destination.vm(VM).unkillable = true;
        d.destination.journal.failAt = Step.COMMITTED;
        assertThrows(ChannelException.class, run::finish);
        d.destination.journal.failAt = null;
        return run;
    }

    private static List<String> destinationFailures(TwoDaemons d) {
        return d.destination.engine().events().stream().filter(e -> e.operation().equals("failed")
                && e.side().equals("destination")).map(Hooks.Event::reason).toList();
    }

    /** An operator's domjobabort on the destination is told that the arrival cannot be dropped yet, and why. */
    @Test
    public void aDomjobabortOfAnArrivalWhoseVmOutlivesItsKillSaysSo() throws Exception {
        TwoDaemons d = new TwoDaemons();
        d.source.boot(VM);
        d.byHand(VM).prepare();
        d.destination.vm(VM).unkillable = true;

        Exception refused = assertThrows(MigrationException.class, () -> d.destination.engine().abortJob(VM));
        assertTrue(refused.getMessage(), refused.getMessage().matches("cannot abort migration [-0-9a-f]+ yet: QEMU of"
                + " domain 'vm1' \\(pid 4242\\) did not die after SIGKILL; the abort is tried again, and until it goes"
                + " through the source does not resume vm1"));
        assertTrue("the source's copy never paused", d.source.vm(VM).isRunning());
        d.destination.vm(VM).unkillable = false;
        d.destination.engine().abortJob(VM);
        d.destination.assertGone(VM);
    }

    /**
     * A destination restarted while an arrival was under way drops its incoming VM at its start; one that outlives its
     * kill keeps the migration in hand and the source's copy paused until it is gone. The restart's abort was given up
     * after one try, and the source's copy stayed paused until the next restart.
     */
    @Test
    public void aDestinationRestartedWithAnIncomingVmThatOutlivesItsKillKeepsTheSourcesCopyPaused() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        d.byHand(VM).prepare().perform();
        d.destination.vm(VM).unkillable = true;

        d.destination.restart();
        d.network.passes(9_000, d.destination, d.source);
        d.network.passes(9_000, d.source, d.destination);
        d.source.assertPaused(VM);
        assertTrue(d.destination.domain(VM).orElseThrow().isActive());

        d.destination.vm(VM).unkillable = false;
        d.network.passes(9_000, d.destination, d.source);
        d.network.passes(9_000, d.source, d.destination);
        d.destination.assertGone(VM);
        d.source.assertRuns(VM, digest);
    }

    /**
     * An arrival recovered after a restart has no job of its own (it died with the daemon before): while its incoming
     * VM outlives its kill, domjobinfo at the destination showed no job at all, only the log and the failed event named
     * the VM. It now shows a job held up by it, ended as failed once the VM died and the arrival was dropped.
     */
    @Test
    public void anArrivalRecoveredAfterARestartWhoseVmOutlivesItsKillSaysSoInItsJob() throws Exception {
        TwoDaemons d = new TwoDaemons();
        d.source.boot(VM);
        d.byHand(VM).prepare().perform();
        d.destination.vm(VM).unkillable = true;

        d.destination.restart();
        d.network.passes(9_000, d.destination, d.source);

        LiveJob job = d.destination.engine().jobs().active(VM).orElse(null);
        assertNotNull("domjobinfo shows no job while the arrival waits for its VM to die", job);
        assertTrue(job.holdup(), job.holdup().matches("the migration failed \\(.+\\), but its incoming VM cannot be"
                + " stopped: QEMU of domain 'vm1' \\(pid 4242\\) did not die after SIGKILL; the abort is tried again"
                + " every 5 s, and until it goes through the source keeps vm1 paused"));
        assertEquals("one failed event per migration", 1, destinationFailures(d).size());

        d.destination.vm(VM).unkillable = false;
        d.network.passes(9_000, d.destination, d.source);
        d.destination.assertGone(VM);
        assertTrue(d.destination.engine().jobs().active(VM).isEmpty());
        assertNotNull(d.destination.engine().jobs().lastEnded(VM).orElseThrow().error());
    }

    /**
     * The source's copy at Confirm after a success: the guest runs on the destination, and the copy here, paused with
     * its leases released at the switch-over, is never resumed. Its destroy failing fails the Confirm, naming it; it
     * stays listed until a later settle of the migration stops it (libvirt's Confirm ignores the failure).
     */
    @Test
    public void aSourceCopyThatOutlivesItsKillAtConfirmIsNeverResumedAndGoesOnceItDies() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        TwoDaemons.ByHand run = d.byHand(VM).prepare().perform();
        d.source.vm(VM).unkillable = true;
        Finished finished = run.finish();

        ChannelException failed = assertThrows(ChannelException.class, () -> run.confirm(false, finished.cookie()));
        assertTrue(failed.getMessage(), failed.getMessage().contains("QEMU of domain 'vm1' (pid 4242) did not die"));
        d.destination.assertRuns(VM, digest);
        assertFalse(d.source.vm(VM).isRunning());
        d.network.passes(9_000, d.source, d.destination);
        assertFalse("the source's copy was resumed", d.source.vm(VM).isRunning());
        d.destination.assertRuns(VM, digest);

        d.source.vm(VM).unkillable = false;
        d.network.passes(9_000, d.source, d.destination);
        d.source.assertGone(VM);
        assertEquals(Step.CONFIRMED, d.source.journal.only().step());
        d.destination.assertRuns(VM, digest);
    }

    /**
     * {@code ferry destroy} of a transient domain whose VM outlives its kill: the destroy fails with the driver's words,
     * and the domain stays active with its leases and its snapshots (the transient domain's end discards them); once
     * the VM dies on its own the domain is shut off and its leases given back, as for any VM that ends.
     */
    @Test
    public void aDestroyedTransientDomainWhoseVmOutlivesItsKillKeepsItsLeasesAndSnapshots() throws Exception {
        TwoDaemons d = new TwoDaemons();
        TestHost host = d.source;
        host.boot(VM);
        List<Snapshot> snapshots = List.of(new Snapshot("s1", null, "<domainsnapshot><name>s1</name></domainsnapshot>"));
        host.snapshots.domains.put(TestHost.uuid(VM), snapshots);
        host.domains().undefine(VM);
        host.vm(VM).unkillable = true;

        DomainException failed = assertThrows(DomainException.class, () -> host.domains().destroy(VM));
        assertEquals("QEMU of domain 'vm1' (pid 4242) did not die after SIGKILL", failed.getMessage());
        assertEquals(snapshots, host.snapshots.list(TestHost.uuid(VM)));
        host.assertRuns(VM, null); // listed, running, its lease held

        host.vm(VM).exitOnItsOwn(); // it died at last
        for (int i = 0; i < 10_000 && host.domain(VM).isPresent(); i++) {
            Thread.sleep(1);
        }
        assertTrue("still listed", host.domain(VM).isEmpty());
        assertNull(d.leases.holder(DISK));
        assertEquals(List.of(), host.snapshots.list(TestHost.uuid(VM)));
    }

    /**
     * Protocol 2 stops the source's copy in Perform, once its memory has left: a copy that outlives its kill must not
     * fail Perform, whose failure had the destination drop the guest and the source resume a copy whose process was
     * killed (a QEMU with its SIGKILL pending dies when it wakes). The destination runs the guest, as with libvirt, and
     * the copy here goes at the migration's settle once it can.
     */
    @Test
    public void aProtocolTwoSourceCopyThatOutlivesItsKillStillLetsTheDestinationRunTheGuest() throws Exception {
        protocolTwoSourceCopyOutlivesItsKill(d -> { });
    }

    /**
     * The same, the source daemon restarted while its copy lives on: protocol 2 leaves no record that the memory
     * left, so its recovery must assume it did and settle with the destination, which runs the guest. Rolled back
     * alone, it would resume the paused copy here: with leases off (protocol 2 needs that) the guest on two hosts.
     */
    @Test
    public void aProtocolTwoSourceRestartedWhileItsCopyOutlivesItsKillNeverResumesIt() throws Exception {
        protocolTwoSourceCopyOutlivesItsKill(d -> {
            d.source.restart();
            d.network.passes(9_000, d.source, d.destination);
            d.source.assertPaused(VM);
        });
    }

    /**
     * A protocol-2 migration whose source's copy outlives its kill at Perform: the destination runs the guest, the
     * copy here stays paused through {@code meanwhile}, and goes at the migration's settle once it dies.
     */
    private static void protocolTwoSourceCopyOutlivesItsKill(TestStep meanwhile) throws Exception {
        TwoDaemons d = new TwoDaemons(false); // protocol 2 is refused with a lock manager that carries state
        String digest = d.source.boot(VM);
        d.source.vm(VM).unkillable = true;

        d.migrate(VM, TwoDaemons.LIVE.withV2());

        d.destination.assertRuns(VM, digest);
        assertFalse("the source's copy runs too", d.source.vm(VM).isRunning());
        meanwhile.run(d);
        assertFalse("the source's copy runs too", d.source.vm(VM).isRunning());
        d.destination.assertRuns(VM, digest);
        d.source.vm(VM).unkillable = false;
        d.network.passes(9_000, d.source, d.destination);
        d.network.passes(9_000, d.source, d.destination);
        d.source.assertGone(VM);
        assertEquals(Step.CONFIRMED, d.source.journal.only().step());
        d.destination.assertRuns(VM, digest);
    }

    private interface TestStep {
        void run(TwoDaemons d) throws Exception;
    }
}
