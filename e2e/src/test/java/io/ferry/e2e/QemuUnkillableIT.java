package io.ferry.e2e;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import io.ferry.launcher.QemuMonitor;
import java.nio.file.Files;
import java.util.Optional;
import org.junit.Rule;
import org.junit.Test;

/**
 * A QEMU in uninterruptible sleep (a hung NFS server, a stuck device) outlives SIGKILL and may write the guest's disks
 * when it wakes. Held here for real: frozen in a cgroup v1 freezer group, where a SIGKILL stays pending until it is
 * thawed. Its destroy must fail, as libvirt's does ("Failed to terminate process N with SIGKILL: Device or resource
 * busy"), and leave the domain as it was; once the process really dies, the domain is shut off.
 */
public class QemuUnkillableIT {
    @Rule
    public final TwoHosts hosts = TwoHosts.forQemu();

    @Test
    public void aQemuThatOutlivesSigkillIsNotDestroyedAndShutOffOnceItDies() throws Exception {
        assertTrue("this test needs root and the cgroup v1 freezer (/sys/fs/cgroup/freezer) to hold a process unkillable",
                Freezer.available());
        QemuGuest guest = QemuGuest.idle("qemu-stuck", hosts.emulator);
        try {
            try (QemuMonitor monitor = guest.start(hosts.source)) {
                long pid = QemuProcesses.theOne(guest.uuid(), hosts.source.stateDir).pid();
                try (Freezer frozen = Freezer.freeze(pid)) {
                    Installation.Result destroy = hosts.source.ferry("destroy", guest.name());
                    assertEquals(destroy.toString(), 1, destroy.exit());
                    assertTrue(destroy.err(), destroy.err().contains("QEMU of domain 'qemu-stuck' (pid " + pid
                            + ") did not die after SIGKILL within "));
                    assertEquals("listed as it was", Optional.of("running"), hosts.source.listedState(guest.name()));
                    assertTrue("its pidfile", Files.exists(guest.runDir(hosts.source).resolve("qemu.pid")));
                    assertEquals("its QEMU", pid, QemuProcesses.theOne(guest.uuid(), hosts.source.stateDir).pid());
                    frozen.thaw(); // the storage answers again: the SIGKILL takes effect
                }
                Poll.until("the source to shut off the guest whose QEMU died at last",
                        () -> Optional.of("shut off").equals(hosts.source.listedState(guest.name())));
            }
            String info = hosts.source.ferryOk("dominfo", guest.name()).out();
            assertTrue(info, info.contains("shut off (crashed)"));
            assertTrue(hosts.source.log(), hosts.source.log().contains("its VM ended on its own"));
        } finally {
            hosts.source.ferry("destroy", guest.name());
        }
    }

    /**
     * The incoming QEMU of a migration that fails outlives its kill: the destination keeps the arrival (its domain
     * listed, the migration not aborted) instead of dropping it; the source's guest, which never switched over, runs on;
     * once that QEMU died, the destination's watchdog drops the arrival.
     */
    @Test
    public void anIncomingQemuThatOutlivesSigkillKeepsItsArrivalUntilItDies() throws Exception {
        assertTrue("this test needs root and the cgroup v1 freezer (/sys/fs/cgroup/freezer) to hold a process unkillable",
                Freezer.available());
        QemuGuest guest = QemuGuest.dirtying("qemu-stuck-in", hosts.emulator);
        try (QemuMonitor source = guest.start(hosts.source)) {
            Installation.Running migration = QemuJob.inFlight(hosts.source, hosts.destination, guest.name(), 2, "--live");
            long pid = QemuProcesses.theOne(guest.uuid(), hosts.destination.stateDir).pid();
            try (Freezer frozen = Freezer.freeze(pid)) {
                hosts.source.ferryOk("domjobabort", guest.name());
                Installation.Result result = migration.await();
                assertEquals(result.toString(), 1, result.exit());
                Poll.until("the destination to find its incoming QEMU unkillable", () -> hosts.destination.log()
                        .contains("of " + guest.name() + " failed (cancelled by its driver), but its VM cannot be stopped"));
                assertTrue("the arrival was dropped", hosts.destination.listedState(guest.name()).isPresent());
                assertEquals(pid, QemuProcesses.theOne(guest.uuid(), hosts.destination.stateDir).pid());
                assertEquals("running", hosts.source.state(guest.name()));
                frozen.thaw();
            }
            // its list shows it shut off as soon as its QEMU died, before the watchdog's next try drops the arrival
            Poll.until("the destination to drop the arrival once its QEMU died",
                    () -> QemuProcesses.of(guest.uuid(), hosts.destination.stateDir).isEmpty() && hosts.destination.log()
                            .contains(" of " + guest.name() + " failed and was dropped: cancelled by its driver"));
            assertEquals(Optional.empty(), hosts.destination.listedState(guest.name()));
            assertEquals("running", hosts.source.state(guest.name()));
        } finally {
            hosts.source.ferry("destroy", guest.name());
        }
    }
}
