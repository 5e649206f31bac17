package io.ferry.e2e;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import io.ferry.launcher.QemuMonitor;
import java.util.List;
import java.util.Optional;
import org.junit.Rule;
import org.junit.Test;

/**
 * A daemon killed ({@code SIGKILL}) in the middle of a QEMU guest's live migration, then restarted. QEMU processes
 * outlive their daemon, as libvirt's do: the restarted daemon re-attaches to them and its recovery settles the
 * migration by its journal. Each case ends with exactly one running QEMU of the guest, at the source, going on from
 * where it was.
 */
public class QemuKillIT {
    @Rule
    public final TwoHosts hosts = TwoHosts.forQemu();

    @Test
    public void destinationDaemonKilledDuringPerform() throws Exception {
        QemuGuest guest = QemuGuest.dirtying("qemu-dst-killed", hosts.emulator);
        try (QemuMonitor source = guest.start(hosts.source)) {
            Installation.Running migration = QemuJob.inFlight(hosts.source, hosts.destination, guest.name(), 2, "--live");

            hosts.destination.kill(); // its incoming QEMU lives on and keeps taking the memory
            hosts.destination = hosts.destination.restart();

            Installation.Result result = migration.await();
            assertEquals(result.toString(), 1, result.exit());
            // the source may give up on the destination daemon (its QEMU connection outlives it) before it is back
            DaemonProcess restarted = hosts.destination;
            Poll.until("the restarted destination to drop the incoming migration", () -> restarted.log()
                    .contains("the daemon restarted before the migration was committed"));
            assertOneRunningCopyAtTheSource(guest, source);
        } finally {
            hosts.source.ferry("destroy", guest.name());
        }
    }

    @Test
    public void sourceDaemonKilledDuringPerformAndRestarted() throws Exception {
        QemuGuest guest = QemuGuest.dirtying("qemu-src-killed", hosts.emulator);
        try (QemuMonitor source = guest.start(hosts.source)) {
            long pid = QemuProcesses.theOne(guest.uuid(), hosts.source.stateDir).pid();
            Installation.Running migration = QemuJob.inFlight(hosts.source, hosts.destination, guest.name(), 2, "--live");

            hosts.source.kill(); // its QEMU lives on, migrating, until the destination drops the incoming one
            Installation.Result result = migration.await();
            assertEquals(result.toString(), 1, result.exit());
            hosts.source = hosts.source.restart();

            // the state file said "running" all along: the recovery's own word is what counts
            Poll.until("the restarted source to re-attach and roll back", () -> hosts.source.log()
                    .contains(" of " + guest.name() + " failed and was rolled back"));
            assertTrue(hosts.source.log(), hosts.source.log().contains("re-attached to QEMU of domain '" + guest.name() + "'"));
            assertEquals("running", hosts.source.state(guest.name()));
            assertEquals("the same QEMU", pid, QemuProcesses.theOne(guest.uuid(), hosts.source.stateDir).pid());
            assertOneRunningCopyAtTheSource(guest, source);
        } finally {
            hosts.source.ferry("destroy", guest.name());
        }
    }

    private void assertOneRunningCopyAtTheSource(QemuGuest guest, QemuMonitor source) throws Exception {
        Poll.until("the destination to drop " + guest.name(),
                () -> QemuProcesses.of(guest.uuid(), hosts.destination.stateDir).isEmpty());
        assertEquals(Optional.empty(), hosts.destination.listedState(guest.name()));
        assertEquals("running", source.runState());
        source.awaitWritesBeyond(source.guestStatus(Installation.work()).writes(), Installation.work());
        hosts.assertRunsOnlyOn(hosts.source, guest.name(), null);
        assertEquals(List.of(QemuProcesses.theOne(guest.uuid(), hosts.source.stateDir)), QemuProcesses.of(guest.uuid()));
    }
}
