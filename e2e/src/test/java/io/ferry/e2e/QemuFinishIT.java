package io.ferry.e2e;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import io.ferry.launcher.QemuMonitor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;
import org.junit.Rule;
import org.junit.Test;

/**
 * A destination QEMU that is gone or cannot take the guest when Finish comes, real QEMUs on two daemons: Finish
 * fails before the commit and the source resumes its copy, as libvirt's Finish and cancelled Confirm have it.
 */
public class QemuFinishIT {
    @Rule
    public final TwoHosts hosts = TwoHosts.forQemu();

    /**
     * The destination's QEMU dies (SIGKILL: the OOM killer, a crash) after its incoming migration completed and
     * before Finish. Committed to, the guest would be resumed nowhere and Confirm would stop the source; libvirt's
     * qemuMigrationDstFinishFresh fails Finish for a guest that quit, and the cancelled Confirm resumes the source
     * (qemuMigrationSrcRestoreDomainState). So does Ferry: the last check before the commit asks the incoming QEMU.
     */
    @Test
    public void aDestinationQemuKilledBeforeFinishLeavesTheGuestOnTheSource() throws Exception {
        QemuGuest guest = QemuGuest.dirtying("qemu-dst-dies", hosts.emulator);
        try (QemuMonitor source = guest.start(hosts.source)) {
            hosts.holdFinish(guest.name());
            Installation.Running migration = QemuJob.inFlight(hosts.source, hosts.destination, guest.name(), 2, "--live");
            QemuJob.letConverge(hosts.source, guest.name());
            hosts.awaitHeld(guest.name(), migration); // the memory arrived; Finish has not committed
            assertEquals("postmigrate", source.runState());

            QemuProcesses.signal(QemuProcesses.theOne(guest.uuid(), hosts.destination.stateDir).pid(), "KILL");
            Poll.until("the destination QEMU to be gone",
                    () -> QemuProcesses.of(guest.uuid(), hosts.destination.stateDir).isEmpty());
            hosts.release(guest.name());
            Installation.Result result = migration.await();

            assertFalse("the guest runs nowhere: no QEMU of it is left on either host; the migration said " + result
                    + "; the destination lists it as " + hosts.destination.listedState(guest.name()) + ", the source as "
                    + hosts.source.listedState(guest.name()) + "; the destination logged: " + hosts.destination.log().lines()
                    .filter(l -> l.contains("could not resume") || l.contains("arrived and runs")).toList(),
                    QemuProcesses.of(guest.uuid()).isEmpty());
            assertEquals(result.toString(), 1, result.exit());
            assertEquals("running", source.runState());
            source.awaitWritesBeyond(source.guestStatus(Installation.work()).writes(), Installation.work());
        } finally {
            hosts.release(guest.name());
            hosts.source.ferry("destroy", guest.name());
            hosts.destination.ferry("destroy", guest.name());
        }
    }

    /**
     * QEMU reports "failed" late: the source's QEMU completed (it sent the whole stream, and is postmigrate) but the
     * destination's cannot load the device state (it lacks the source's virtio NIC: "Unknown savevm section").
     * Finish fails and the source must resume from postmigrate (cont re-activates its block devices), as libvirt's
     * qemuMigrationSrcConfirmPhase does with a cancelled Confirm (qemuMigrationSrcRestoreDomainState).
     */
    @Test
    public void aDestinationThatFailsToLoadTheDeviceStateLeavesTheSourceRunning() throws Exception {
        Path stripping = hosts.dir.resolve("qemu-without-nic");
        Files.writeString(stripping, """
                #!/bin/bash
                args=("$@"); out=()
                for ((i = 0; i < ${#args[@]}; i++)); do
                  if [ "${args[i]}" = -device ] && [[ "${args[i+1]}" == virtio-net-pci* ]]; then i=$((i + 1)); continue; fi
                  out+=("${args[i]}")
                done
                exec qemu-system-x86_64 "${out[@]}"
                """);
        Files.setPosixFilePermissions(stripping, PosixFilePermissions.fromString("rwxr-xr-x"));
        QemuGuest guest = QemuGuest.dirtying("qemu-late-fail", hosts.emulator)
                .withDevices("    <interface type='user'><mac address='52:54:00:12:35:01'/><model type='virtio'/></interface>\n");
        try (QemuMonitor source = guest.start(hosts.source)) {
            Installation.Result result = hosts.migrate(guest.name(), "--live", "--xml",
                    guest.withEmulator(stripping).file().toString());
            assertEquals(result.toString(), 1, result.exit());
            assertTrue(result.err(), result.err().contains("QEMU could not load the migration stream"));
            assertEquals("running", source.runState());
            source.awaitWritesBeyond(source.guestStatus(Installation.work()).writes(), Installation.work());
            assertEquals(Optional.empty(), hosts.destination.listedState(guest.name()));
            assertEquals(List.of(), QemuProcesses.of(guest.uuid(), hosts.destination.stateDir));
            hosts.assertRunsOnlyOn(hosts.source, guest.name(), null);
        } finally {
            hosts.source.ferry("destroy", guest.name());
        }
    }
}
