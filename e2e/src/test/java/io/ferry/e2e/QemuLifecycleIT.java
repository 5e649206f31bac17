package io.ferry.e2e;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;

import io.ferry.launcher.QemuMonitor;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.Rule;
import org.junit.Test;

/**
 * A QEMU that goes its own way while the daemon is not looking (the QEMU audit, branch audit-qemu, QemuAuditIT):
 * one killed on its own is reported shut off (crashed) and frees its domain, and an outgoing migration a dead
 * daemon left it running is cancelled when the restarted daemon re-attaches to it.
 */
public class QemuLifecycleIT {
    @Rule
    public final TwoHosts hosts = TwoHosts.forQemu();

    /** libvirt's qemuProcessHandleMonitorEOF: "shut off (crashed)", and the domain starts again. */
    @Test
    public void aGuestWhoseQemuIsKilledIsShutOffCrashedAndStartsAgain() throws Exception {
        QemuGuest guest = QemuGuest.idle("qemu-killed", hosts.emulator);
        try {
            try (QemuMonitor first = guest.start(hosts.source)) {
                QemuProcesses.signal(QemuProcesses.theOne(guest.uuid(), hosts.source.stateDir).pid(), "KILL");
                Poll.until("the source to shut off the guest whose QEMU was killed",
                        () -> Optional.of("shut off").equals(hosts.source.listedState(guest.name())));
            }
            String info = hosts.source.ferryOk("dominfo", guest.name()).out();
            assertTrue(info, info.contains("shut off (crashed)"));
            assertTrue(hosts.source.log(), hosts.source.log().contains("its VM ended on its own"));

            hosts.source.ferryOk("start", guest.name());
            try (QemuMonitor again = guest.monitor(hosts.source)) {
                assertEquals("running", again.runState());
            }
            assertEquals(1, QemuProcesses.of(guest.uuid()).size());
        } finally {
            hosts.source.ferry("destroy", guest.name());
        }
    }

    /**
     * Two guests defined with an interface that names no MAC address run with two addresses, given at define and shown
     * by {@code dumpxml}: QEMU had given the first NIC of each {@code 52:54:00:12:34:56}, one address on one bridge.
     */
    @Test
    public void twoGuestsDefinedWithoutMacAddressesRunWithTheTwoTheirDefinitionsShow() throws Exception {
        List<String> names = List.of("qemu-mac-a", "qemu-mac-b");
        List<String> macs = new ArrayList<>();
        try {
            for (String name : names) {
                QemuGuest guest = QemuGuest.idle(name, hosts.emulator)
                        .withDevices("    <interface type='user'><model type='virtio'/></interface>\n");
                try (QemuMonitor monitor = guest.start(hosts.source)) {
                    String definition = hosts.source.ferryOk("dumpxml", name).out();
                    Matcher mac = Pattern.compile("<mac address='(52:54:00(:[0-9a-f]{2}){3})'/>").matcher(definition);
                    assertTrue(definition, mac.find());
                    macs.add(mac.group(1));
                    assertEquals(definition, hosts.source.ferryOk("dumpxml", name, "--inactive").out());
                    String network = monitor.execute("human-monitor-command",
                            QemuMonitor.arguments().put("command-line", "info network")).asText();
                    assertTrue(network, network.contains("macaddr=" + mac.group(1)));
                }
            }
            assertNotEquals(macs.get(0), macs.get(1));
        } finally {
            for (String name : names) {
                hosts.source.ferry("destroy", name);
            }
        }
    }

    /**
     * The source's QEMU dies (SIGKILL) while Perform moves its memory: the migration fails, and the source lists the
     * guest shut off, as libvirt does (QemuAuditIT.aSourceQemuKilledMidPerformIsReportedShutOff).
     */
    @Test
    public void aSourceQemuKilledMidPerformIsReportedShutOff() throws Exception {
        QemuGuest guest = QemuGuest.dirtying("qemu-src-dies", hosts.emulator);
        try (QemuMonitor source = guest.start(hosts.source)) {
            Installation.Running migration = QemuJob.inFlight(hosts.source, hosts.destination, guest.name(), 2, "--live");
            QemuProcesses.signal(QemuProcesses.theOne(guest.uuid(), hosts.source.stateDir).pid(), "KILL");
            Installation.Result result = migration.await();
            assertEquals(result.toString(), 1, result.exit());
            Poll.until("the destination to drop its copy",
                    () -> QemuProcesses.of(guest.uuid(), hosts.destination.stateDir).isEmpty());
            assertEquals("no QEMU of the guest is left", List.of(), QemuProcesses.of(guest.uuid()));
            Poll.until("the source to shut off the guest whose QEMU is gone",
                    () -> Optional.of("shut off").equals(hosts.source.listedState(guest.name())));
        } finally {
            hosts.source.ferry("destroy", guest.name());
        }
    }

    /**
     * The source daemon dies mid-Perform (peer-to-peer) and is restarted while its QEMU still migrates; recovery rolls
     * back. QEMU's migration must not converge later and pause the guest ferry says runs: the re-attach cancelled it,
     * as libvirt's qemuProcessRecoverMigrationOut does (QemuAuditIT.aRestartedSourceCancelsTheQemuMigrationItRollsBack).
     * The destination daemon is held (SIGSTOP) to make the window deterministic.
     */
    @Test
    public void aRestartedSourceCancelsTheQemuMigrationItRollsBack() throws Exception {
        QemuGuest guest = QemuGuest.dirtying("qemu-src-restart", hosts.emulator);
        try (QemuMonitor source = guest.start(hosts.source)) {
            Installation.Running migration = QemuJob.inFlight(hosts.source, hosts.destination, guest.name(), 2,
                    "--live", "--p2p");
            QemuProcesses.signal(hosts.destination.pid(), "STOP");
            try {
                hosts.source.kill();
                migration.await();
                hosts.source = hosts.source.restart();
                Poll.until("the restarted source to roll back", () -> hosts.source.log()
                        .contains(" of " + guest.name() + " failed and was rolled back"));
                assertEquals("running", hosts.source.state(guest.name()));

                // were QEMU's own migration still running, this would let it converge
                source.execute("migrate-set-parameters", QemuMonitor.arguments().put("downtime-limit", 2000));
                Poll.until("QEMU's outgoing migration to end", () -> !List.of("active", "setup", "device")
                        .contains(source.migrationStatus()));
            } finally {
                QemuProcesses.signal(hosts.destination.pid(), "CONT");
            }
            Poll.until("the destination to drop its copy",
                    () -> QemuProcesses.of(guest.uuid(), hosts.destination.stateDir).isEmpty());
            assertEquals("QEMU's migration", "cancelled", source.migrationStatus());
            assertEquals("the daemon says it runs", "running", hosts.source.state(guest.name()));
            assertEquals("QEMU's run state of the guest the restarted source daemon says runs", "running",
                    source.runState());
        } finally {
            hosts.source.ferry("destroy", guest.name());
        }
    }
}
