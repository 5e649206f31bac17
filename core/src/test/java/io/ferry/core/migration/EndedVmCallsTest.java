package io.ferry.core.migration;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.core.domain.Domain;
import io.ferry.core.domain.DomainException;
import io.ferry.core.domain.DomainState;
import io.ferry.core.domain.GuestCalls;
import io.ferry.protocol.MigrationFlags;
import java.util.concurrent.TimeUnit;
import org.junit.Test;

/**
 * A suspend or resume of a domain whose VM's process has ended on its own (the guest powered off, QEMU was killed), its
 * domain not shut off yet (a migration or another job holds it): virsh says the domain is not running. Ferry said the
 * domain "is paused already", or that its hypervisor did not answer and the guest "may run".
 */
public class EndedVmCallsTest {
    private static final String VM = "vm1";
    private static final String SHUT_DOWN = "Requested operation is not valid: domain vm1 is not running: its guest shut"
            + " down (it powered off, or its hypervisor was told to quit)";

    @Test
    public void aSuspendOfADomainWhoseGuestShutDownWhileAMigrationHoldsItSaysItIsNotRunning() throws Exception {
        TwoDaemons d = new TwoDaemons();
        d.source.boot(VM);
        d.byHand(VM).prepare();
        d.source.vm(VM).shutDownOnItsOwn();

        Exception refused = assertThrows(Exception.class, () -> d.source.engine().suspend(VM, null));
        assertEquals(SHUT_DOWN, refused.getMessage());
    }

    /**
     * ferry resume of a source whose destination cannot say what became of the migration, its VM ended after Perform
     * paused it: it took the disk leases back and said the hypervisor "did not answer its resume ... vm1 may run". There
     * is no VM left to resume: the migration is given up as for a source with no VM, and the domain is shut off.
     */
    @Test
    public void aResumeOfASourceWhoseVmEndedDuringAnUnansweredMigrationGivesItUp() throws Exception {
        TwoDaemons d = new TwoDaemons();
        d.source.boot(VM);
        TwoDaemons.ByHand run = d.byHand(VM).prepare().perform();
        d.source.vm(VM).exitOnItsOwn();
        d.network.down(d.destination);

        String done = d.source.engine().resume(VM, false);

        assertTrue(done, done.startsWith("Migration " + run.begun.id() + " of vm1 given up: vm1 has no VM here to resume"));
        awaitShutOff(d.source);
        assertEquals(DomainState.Reason.CRASHED, d.source.domain(VM).orElseThrow().reason());
        assertNull("the disk lease of the VM that ended", d.leases.holder("/disks/vm1.img"));
    }

    /**
     * The destination committed, and its guest powered off as Finish resumed it: Finish's note said it "could not resume
     * it (...): it stays paused there". It says the guest is not running there, and the domain is shut off (shutdown).
     */
    @Test
    public void aGuestThatShutsDownAsItsArrivalIsResumedIsNotSaidToStayPaused() throws Exception {
        TwoDaemons d = new TwoDaemons();
        d.source.boot(VM);
        TwoDaemons.ByHand run = d.byHand(VM).prepare().perform();
        FakeVm arrived = d.destination.vm(VM);
        arrived.beforeResume = arrived::shutDownOnItsOwn;

        String note = run.finish().note();

        assertEquals("the destination committed domain vm1, but it is not running there: its guest shut down (it powered"
                + " off, or its hypervisor was told to quit); it is shut off", note);
        run.confirm(false, null);
        awaitShutOff(d.destination);
        d.destination.assertGone(VM); // transient there: shut off, it goes
    }

    /** Its resume failed, and the VM answers nothing since: its process had ended, not a hypervisor too busy to answer. */
    @Test
    public void aResumeOfAVmWhoseProcessEndedSaysItIsNotRunningNotThatItMayRun() throws Exception {
        TwoDaemons d = new TwoDaemons();
        d.source.boot(VM);
        Domain domain = d.source.domain(VM).orElseThrow();
        FakeVm vm = d.source.vm(VM);

        DomainException e = d.source.domains().withJob(domain, "operator", () -> { // the exit waits for this job
            vm.exitOnItsOwn();
            return assertThrows(DomainException.class, () -> GuestCalls.resume(domain));
        });
        assertEquals("Requested operation is not valid: domain vm1 is not running: its VM's process ended (killed or"
                + " crashed) (the process of domain 'vm1' is gone)", e.getMessage());
    }

    /**
     * A QEMU closes its monitor as it exits: the failed call and the unanswered question come before the notice that
     * its process ended, which the call waits for.
     */
    @Test
    public void aResumeWhoseVmEndsAsItFailsWaitsForTheNoticeOfItsEnd() throws Exception {
        TwoDaemons d = new TwoDaemons();
        d.source.boot(VM);
        Domain domain = d.source.domain(VM).orElseThrow();
        FakeVm vm = d.source.vm(VM);
        vm.silent = true;
        vm.resumeFailure = new IllegalStateException("QEMU exited during cont: (it wrote nothing to its log)");
        DomainException e = d.source.domains().withJob(domain, "operator", () -> {
            Thread caller = Thread.currentThread();
            Thread ending = new Thread(() -> { // the VM ends once the failed resume waits for the notice of its end
                long giveUpAt = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (caller.getState() != Thread.State.TIMED_WAITING && System.nanoTime() < giveUpAt) {
                    Thread.onSpinWait();
                }
                vm.shutDownOnItsOwn();
            });
            ending.start();
            try {
                return assertThrows(DomainException.class, () -> GuestCalls.resume(domain));
            } finally {
                ending.join();
            }
        });
        assertEquals(SHUT_DOWN, e.getMessage());
    }

    /**
     * A migration (client-managed, or --p2p) whose Begin gets the domain's job before the end of its VM does (that VM
     * ended while another job held the domain) was begun, the dead VM migrating as paused until Perform failed. It is
     * refused at Begin, as virsh refuses a domain that is not running, and nothing is journaled on either host.
     */
    @Test
    public void aMigrationOfADomainWhoseVmEndedWhileAnotherJobHeldItIsRefusedAtBegin() throws Exception {
        for (MigrationFlags flags : new MigrationFlags[] {TwoDaemons.LIVE, TwoDaemons.P2P}) {
            TwoDaemons d = new TwoDaemons();
            d.source.boot(VM);
            Domain domain = d.source.domain(VM).orElseThrow();
            FakeVm vm = d.source.vm(VM);

            Exception refused = d.source.domains().withJob(domain, "operator", () -> { // the exit waits for this job
                vm.shutDownOnItsOwn();
                return assertThrows(Exception.class, () -> d.migrate(VM, flags)); // its Begin comes before the exit
            });

            assertEquals(flags.p2p() ? "--p2p" : "client-managed", "Requested operation is not valid: domain is not running:"
                    + " its guest shut down (it powered off, or its hypervisor was told to quit)", refused.getMessage());
            assertTrue("the source journaled it", d.source.journal.all().isEmpty());
            assertTrue("the destination heard of it", d.destination.journal.all().isEmpty());
            d.destination.assertGone(VM);
        }
    }

    /** Its VM's end waits for the migration to end before the domain is shut off (a transient one goes then). */
    private static void awaitShutOff(TestHost host) throws InterruptedException {
        for (int i = 0; i < 10_000 && host.domain(VM).map(Domain::isActive).orElse(false); i++) {
            Thread.sleep(1);
        }
    }
}
