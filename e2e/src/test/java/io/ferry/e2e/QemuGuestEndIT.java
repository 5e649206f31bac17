package io.ferry.e2e;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import io.ferry.launcher.QemuMonitor;
import java.io.IOException;
import java.util.List;
import java.util.Optional;
import org.junit.ClassRule;
import org.junit.Test;

/**
 * A guest that powers itself off mid-migration or right after it (the dirtying test guest powers off at its power
 * button, pressed through the test's own monitor; QEMU then exits, status 0). On the source during Perform the
 * migration fails naming the shutdown, the destination's QEMU goes, and the source lists the domain shut off
 * (shutdown); on the destination after Finish's {@code cont} the guest's end is the migrated domain's: shut off
 * (shutdown) there, the source's copy migrated and never resumed.
 */
public class QemuGuestEndIT {
    @ClassRule
    public static final TwoHosts HOSTS = TwoHosts.forQemu();

    @Test
    public void aSourceGuestThatPowersOffMidPerformFailsTheMigrationClientManaged() throws Exception {
        poweredOffMidPerform("qemu-off-cm", "--live");
    }

    @Test
    public void aSourceGuestThatPowersOffMidPerformFailsTheMigrationPeerToPeer() throws Exception {
        poweredOffMidPerform("qemu-off-p2p", "--live", "--p2p");
    }

    @Test
    public void aGuestThatPowersOffOnItsDestinationRightAfterItArrivedIsShutOffThere() throws Exception {
        QemuGuest guest = QemuGuest.dirtying("qemu-off-arrived", HOSTS.emulator);
        try (QemuMonitor source = guest.start(HOSTS.source)) {
            HOSTS.migrateOk(guest.name(), "--live", "--p2p", "--persistent", "--undefinesource");
            try (QemuMonitor arrived = guest.monitor(HOSTS.destination)) {
                pressPowerButton(arrived);
            }
            Poll.until("the destination to shut off the guest that powered off",
                    () -> Optional.of("shut off").equals(HOSTS.destination.listedState(guest.name())));
            assertEquals("shut off (shutdown)", HOSTS.destination.dominfo(guest.name()).get("State"));
            assertEquals("its definition went with it", Optional.empty(), HOSTS.source.listedState(guest.name()));
            assertEquals("no QEMU of the guest is left", List.of(), QemuProcesses.of(guest.uuid()));
            HOSTS.destination.ferryOk("start", guest.name()); // defined there: it starts again
            assertEquals("running", HOSTS.destination.state(guest.name()));
        } finally {
            HOSTS.destination.ferry("destroy", guest.name());
            HOSTS.destination.ferry("undefine", guest.name());
            HOSTS.source.ferry("undefine", guest.name());
        }
    }

    private static void poweredOffMidPerform(String name, String... flags) throws Exception {
        QemuGuest guest = QemuGuest.dirtying(name, HOSTS.emulator);
        try (QemuMonitor source = guest.start(HOSTS.source)) {
            Installation.Running migration = QemuJob.inFlight(HOSTS.source, HOSTS.destination, name, 2, flags);
            pressPowerButton(source);
            Installation.Result result = migration.await();
            assertEquals(result.toString(), 1, result.exit());
            String err = result.err();
            assertTrue(err, err.startsWith("error: ") && err.indexOf('\n') == err.length() - 1);
            assertTrue(err, err.contains("domain is not running: its guest shut down during the migration"));
            Poll.until("the destination to drop its copy",
                    () -> QemuProcesses.of(guest.uuid(), HOSTS.destination.stateDir).isEmpty());
            assertEquals(Optional.empty(), HOSTS.destination.listedState(name));
            Poll.until("the source to shut off the guest that powered off",
                    () -> Optional.of("shut off").equals(HOSTS.source.listedState(name)));
            assertEquals("shut off (shutdown)", HOSTS.source.dominfo(name).get("State"));
            assertEquals("no QEMU of the guest is left", List.of(), QemuProcesses.of(guest.uuid()));
            assertEquals("no job is left", "None", HOSTS.source.fields("domjobinfo", name).get("Job type"));
        } finally {
            HOSTS.source.ferry("destroy", name);
            HOSTS.source.ferry("undefine", name);
        }
    }

    /** ACPI's power button: the dirtying test guest powers off, and its QEMU exits. */
    private static void pressPowerButton(QemuMonitor monitor) {
        try {
            monitor.execute("system_powerdown", null);
        } catch (IOException e) {
            // the guest may power off before QEMU's answer leaves it
        }
    }
}
