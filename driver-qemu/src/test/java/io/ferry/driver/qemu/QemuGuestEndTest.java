package io.ferry.driver.qemu;

import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.api.hypervisor.HypervisorException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.Test;

/**
 * A guest that powers off or reboots while its memory leaves (real QEMUs, the dirtying test guest, which powers off
 * when its power button is pressed). A power-off ends QEMU (Ferry starts it without {@code -no-shutdown}): the
 * migration fails saying so, as libvirt's "domain is not running", where it said "QEMU exited during query-migrate"
 * and QEMU's last words (a crash, to whoever read it). A reset is QEMU's own business: the migration completes.
 */
public class QemuGuestEndTest extends TwoQemuDrivers {
    @Test
    public void aGuestThatPowersOffMidMigrationFailsItNamingTheShutdownQemuToQemu() throws Exception {
        QemuVirtualMachine[] vms = pair("off-direct");
        HypervisorException failure = assertThrows(HypervisorException.class,
                () -> Guests.direct(vms[0], vms[1], pressingThePowerButtonOf(vms[0])));
        assertShutDownNamed(vms[0], failure);
    }

    @Test
    public void aGuestThatPowersOffMidMigrationFailsItNamingTheShutdownThroughTheStreams() throws Exception {
        QemuVirtualMachine[] vms = pair("off-stream");
        HypervisorException failure = assertThrows(HypervisorException.class,
                () -> Guests.viaStreams(vms[0], vms[1], pressingThePowerButtonOf(vms[0]), new Guests.Control()));
        assertShutDownNamed(vms[0], failure);
    }

    /** The guest reboots (QEMU's RESET) mid-migration: nothing of Ferry's reacts, and the guest arrives. */
    @Test
    public void aGuestResetMidMigrationMigrates() throws Exception {
        QemuVirtualMachine[] vms = pair("reset");
        Guests.Control control = slow();
        control.when(s -> s.iteration() >= 2, () -> {
            try {
                vms[0].execute("system_reset", null);
            } catch (HypervisorException e) {
                throw new IllegalStateException(e);
            }
            control.downtime = 1000;
        });
        Guests.direct(vms[0], vms[1], control);
        assertTrue("the source QEMU left finish-migrate", Guests.eventually(() -> "postmigrate".equals(vms[0].status())));
        vms[1].resume();
        assertTrue("the guest runs on the destination", vms[1].isRunning());
    }

    private QemuVirtualMachine[] pair(String name) throws Exception {
        DomainSpec spec = Guests.spec(name, 64, "16M");
        QemuVirtualMachine src = (QemuVirtualMachine) source.boot(spec, tmp.newFolder().toPath());
        QemuVirtualMachine dst = (QemuVirtualMachine) destination.createIncoming(spec, tmp.newFolder().toPath());
        assertTrue("the source guest dirties its working set",
                Guests.eventually(() -> Guests.status(src, state).passes() > 0));
        return new QemuVirtualMachine[] {src, dst};
    }

    /** A migration that cannot converge (1 ms downtime, capped) until told otherwise. */
    private static Guests.Control slow() {
        Guests.Control control = Guests.Control.capped(32L << 20);
        return control;
    }

    /** Presses the guest's power button in the second pass; the guest powers off and QEMU exits (status 0). */
    private static Guests.Control pressingThePowerButtonOf(QemuVirtualMachine vm) {
        return slow().when(s -> s.iteration() >= 2, () -> {
            try {
                vm.execute("system_powerdown", null);
            } catch (HypervisorException e) {
                // the guest may power off before QEMU's answer leaves it
            }
        });
    }

    private static void assertShutDownNamed(QemuVirtualMachine vm, HypervisorException failure) throws Exception {
        assertTrue(failure.getMessage(), failure.getMessage().startsWith("migration of domain '" + vm.spec().name()
                + "' failed: domain is not running: its guest shut down during the migration"));
        CompletableFuture<Boolean> shutDown = new CompletableFuture<>();
        vm.onExit(() -> shutDown.complete(vm.shutDown()));
        assertTrue("QEMU ended as a guest that powered off", shutDown.get(60, TimeUnit.SECONDS));
        assertFalse(vm.process().isAlive());
    }
}
