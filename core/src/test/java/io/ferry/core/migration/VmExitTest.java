package io.ferry.core.migration;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertSame;

import io.ferry.core.domain.Domain;
import io.ferry.core.domain.DomainState;
import io.ferry.core.domain.ShownState;
import java.lang.reflect.Field;
import java.nio.file.Files;
import org.junit.Test;

/**
 * A VM whose process ends on its own: its domain is shut off (crashed when killed or crashed, shutdown when it shut
 * down), its leases go back and it can start again, as libvirt's monitor EOF handler does; a migration that holds the domain ends first.
 */
public class VmExitTest {
    private static final String VM = "vm1";
    private static final String DISK = "/disks/vm1.img";

    @Test
    public void aRunningDomainWhoseVmEndsIsShutOffCrashedAndStartsAgain() throws Exception {
        TwoDaemons d = new TwoDaemons();
        d.source.boot(VM);
        Domain domain = d.source.domain(VM).orElseThrow();
        FakeVm vm = d.source.vm(VM);

        d.source.domains().withJob(domain, "operator", () -> {
            vm.exitOnItsOwn(); // the driver's callback runs inside the job: it must not take it on this thread
            Thread.sleep(100);
            assertEquals("a domain whose job is held is left to that job", DomainState.RUNNING, domain.state());
            return null;
        });
        awaitShutOff(d.source, VM);

        assertEquals(DomainState.Reason.CRASHED, domain.reason());
        assertNull("the disk lease of the VM that ended", d.leases.holder(DISK));
        assertFalse("its status file", Files.exists(d.source.stateDir.resolve("status/" + VM + ".xml")));
        d.source.domains().start(VM);
        d.source.assertRuns(VM, null);
    }

    /** A guest that powered itself off is shut off (shutdown), as libvirt tells a SHUTDOWN event from a crash. */
    @Test
    public void aDomainWhoseVmShutDownIsShutOffShutdownNotCrashed() throws Exception {
        TwoDaemons d = new TwoDaemons();
        d.source.boot(VM);
        Domain domain = d.source.domain(VM).orElseThrow();

        d.source.vm(VM).shutDownOnItsOwn();

        awaitShutOff(d.source, VM);
        assertEquals(DomainState.Reason.SHUTDOWN, domain.reason());
        assertNull("the ended VM its domain, shut off, holds", endedVmHeld(domain));
        assertNull("the disk lease of the VM that ended", d.leases.holder(DISK));
        d.source.domains().start(VM);
        d.source.assertRuns(VM, null);
    }

    /** A VM a restarted daemon re-attached is watched as one it started. */
    @Test
    public void aReattachedVmThatEndsIsShutOffCrashed() throws Exception {
        TwoDaemons d = new TwoDaemons();
        d.source.boot(VM);
        d.source.restart();
        d.source.assertRuns(VM, null);

        d.source.vm(VM).exitOnItsOwn();

        awaitShutOff(d.source, VM);
        assertEquals(DomainState.Reason.CRASHED, d.source.domain(VM).orElseThrow().reason());
        assertNull("the disk lease of the VM that ended", d.leases.holder(DISK));
    }

    /**
     * A VM re-attached before the lock manager's bundle registered ends (or is destroyed) meanwhile: the leases its
     * host held from before the restart go back once the lock manager comes; no host could take them otherwise.
     */
    @Test
    public void aReattachedVmThatEndsBeforeTheLockManagerCameGivesItsLeasesBackWhenItComes() throws Exception {
        TwoDaemons d = restartedBeforeItsLockManager();

        d.source.vm(VM).exitOnItsOwn();
        awaitShutOff(d.source, VM);
        assertEquals("still held: only the lock manager can give it back", "source", d.leases.holder(DISK));
        d.source.registerLockManager();

        assertNull("the disk lease of the VM that ended", d.leases.holder(DISK));
        d.destination.boot(VM); // another host can start it now
        d.destination.assertRuns(VM, null);
    }

    @Test
    public void aReattachedVmDestroyedBeforeTheLockManagerCameGivesItsLeasesBackWhenItComes() throws Exception {
        TwoDaemons d = restartedBeforeItsLockManager();

        d.source.domains().destroy(VM);
        d.source.registerLockManager();

        assertNull("the disk lease of the destroyed VM", d.leases.holder(DISK));
    }

    /**
     * The VM died with its host (a reboot) and the daemon, restarted, finds it gone before the lock manager's bundle
     * registered: the leases its host held for it from before go back once the lock manager comes.
     */
    @Test
    public void aVmGoneWithItsHostBeforeTheLockManagerCameGivesItsLeasesBackWhenItComes() throws Exception {
        TwoDaemons d = new TwoDaemons();
        d.source.boot(VM);
        d.source.vm(VM).destroy(); // with the host: the daemon, dead too, sees nothing
        d.source.lockManagerLate = true;
        d.source.restart();
        assertEquals(DomainState.SHUTOFF, d.source.domain(VM).orElseThrow().state());
        assertEquals("still held: only the lock manager can give it back", "source", d.leases.holder(DISK));

        d.source.registerLockManager();

        assertNull("the disk lease of the VM gone with its host", d.leases.holder(DISK));
    }

    /**
     * The source's VM ends after Perform paused it: the migration owns the domain, and its outcome is its own. Here the
     * destination had not committed: the rollback cannot resume a VM that is gone, the migration ends ABORTED, then
     * the domain is shut off and its leases (taken back by the rollback) go.
     */
    @Test
    public void aVmEndingWhileAMigrationHoldsTheDomainIsShutOffOnceItRolledBack() throws Exception {
        TwoDaemons d = new TwoDaemons();
        d.source.boot(VM);
        TwoDaemons.ByHand run = d.byHand(VM).prepare().perform();
        d.source.vm(VM).exitOnItsOwn();
        Thread.sleep(100);
        d.source.assertPaused(VM);
        assertEquals(run.begun.id(), d.source.domain(VM).orElseThrow().migration());

        run.cancel();

        assertEquals(Step.ABORTED, d.source.journal.find(run.begun.id()).orElseThrow().step());
        awaitShutOff(d.source, VM);
        assertEquals(DomainState.Reason.CRASHED, d.source.domain(VM).orElseThrow().reason());
        assertNull("the disk lease of the VM that ended", d.leases.holder(DISK));
        d.destination.assertGone(VM);
        d.source.domains().start(VM);
        d.source.assertRuns(VM, null);
    }

    /**
     * While a migration holds the domain, its VM's end waits for the migration to end before the domain is shut off;
     * ferry list and dominfo showed the record meanwhile (running, or paused for the migration), a guest that runs
     * nowhere listed as running, as if it ran on both hosts once it arrived. They show it shut off at once, as libvirt
     * does; the engine's record still waits.
     */
    @Test
    public void aVmEndingWhileAMigrationHoldsTheDomainIsShownShutOffAtOnce() throws Exception {
        TwoDaemons d = new TwoDaemons();
        d.source.boot(VM);
        TwoDaemons.ByHand run = d.byHand(VM).prepare();
        Domain domain = d.source.domain(VM).orElseThrow();
        assertEquals("running (booted)", shown(domain));

        d.source.vm(VM).shutDownOnItsOwn();

        assertEquals("shut off (shutdown)", shown(domain));
        Thread.sleep(100);
        assertEquals("the engine still holds the exit", DomainState.RUNNING, domain.state());
        assertEquals(run.begun.id(), domain.migration());
        run.cancel();
        awaitShutOff(d.source, VM);
        assertEquals("shut off (shutdown)", shown(domain));
    }

    private static String shown(Domain domain) {
        ShownState shown = ShownState.of(domain);
        return shown.state().display() + " (" + shown.reason().display() + ")";
    }

    /** The same, but the destination committed: the guest runs there, and the source's end is Confirm's (migrated). */
    @Test
    public void aVmEndingAfterItsMemoryLeftIsMigratedAwayNotCrashed() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        TwoDaemons.ByHand run = d.byHand(VM).prepare().perform();
        d.source.vm(VM).exitOnItsOwn();

        run.confirm(false, run.finish().cookie());

        d.destination.assertRuns(VM, digest);
        Thread.sleep(100);
        Domain domain = d.source.domain(VM).orElseThrow();
        assertEquals(DomainState.SHUTOFF, domain.state());
        assertEquals(DomainState.Reason.MIGRATED, domain.reason());
    }

    /** A VM whose domain was destroyed and started anew ends late: the new VM is not its concern, nor is it held. */
    @Test
    public void aVmThatEndsAfterItsDomainStartedAnewChangesNothing() throws Exception {
        TwoDaemons d = new TwoDaemons();
        d.source.boot(VM);
        FakeVm old = d.source.vm(VM);
        d.source.domains().destroy(VM);
        d.source.domains().start(VM);

        old.exitOnItsOwn();
        Thread.sleep(100);

        d.source.assertRuns(VM, null);
        assertSame(d.source.vm(VM), d.source.domain(VM).orElseThrow().vm());
        assertNull("the ended VM its domain holds, until its next VM ends", endedVmHeld(d.source.domain(VM).orElseThrow()));
    }

    /** What the domain keeps of an ended VM of its own (private: nothing else should see it). */
    private static Object endedVmHeld(Domain domain) throws ReflectiveOperationException {
        Field ended = Domain.class.getDeclaredField("ended");
        ended.setAccessible(true);
        return ended.get(domain);
    }

    /** The source runs vm1, then restarts and re-attaches it before its lock manager registers. */
    private static TwoDaemons restartedBeforeItsLockManager() throws Exception {
        TwoDaemons d = new TwoDaemons();
        d.source.boot(VM);
        d.source.lockManagerLate = true;
        d.source.restart();
        d.source.assertRuns(VM, null);
        return d;
    }

    static void awaitShutOff(TestHost host, String guest) throws InterruptedException {
        for (int i = 0; i < 10_000 && host.domain(guest).orElseThrow().state() != DomainState.SHUTOFF; i++) {
            Thread.sleep(1);
        }
        assertEquals(guest + " on " + host.name, DomainState.SHUTOFF, host.domain(guest).orElseThrow().state());
    }
}
