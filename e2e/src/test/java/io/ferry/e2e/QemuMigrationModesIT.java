package io.ferry.e2e;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;

import io.ferry.launcher.QemuMonitor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Optional;
import org.junit.ClassRule;
import org.junit.Test;

/**
 * Real QEMU guests migrated between two real daemons in each mode: client-managed, peer-to-peer (QEMU to QEMU),
 * tunnelled (through the daemons), offline. A live guest dirties 16 of its 64 MiB and needs at least 4 pre-copy
 * passes; its destination's Finish is held at the test section's gate, when the source is paused after Perform and
 * the destination has the memory but has not resumed: both RAMs are compared there, byte for byte. Then the guest
 * runs on from that state on the destination (its write counter grows), and exactly one QEMU of it is left.
 */
public class QemuMigrationModesIT {
    @ClassRule
    public static final TwoHosts HOSTS = TwoHosts.forQemu();

    @Test
    public void clientManaged() throws Exception {
        migratesFromTheExactFinalState("qemu-managed", "--live", "--verbose");
    }

    @Test
    public void peerToPeerQemuToQemu() throws Exception {
        migratesFromTheExactFinalState("qemu-p2p", "--live", "--p2p");
    }

    @Test
    public void peerToPeerTunnelledThroughTheDaemons() throws Exception {
        migratesFromTheExactFinalState("qemu-tunnelled", "--live", "--p2p", "--tunnelled");
    }

    @Test
    public void offlineMovesThePersistentDefinitionWhichBootsThere() throws Exception {
        QemuGuest guest = QemuGuest.idle("qemu-offline", HOSTS.emulator);
        HOSTS.source.ferryOk("define", guest.file().toString());

        HOSTS.migrateOk(guest.name(), "--offline", "--persistent");

        assertEquals(Optional.of("shut off"), HOSTS.destination.listedState(guest.name()));
        assertEquals("yes", HOSTS.destination.dominfo(guest.name()).get("Persistent"));
        assertEquals("the source keeps its definition", Optional.of("shut off"), HOSTS.source.listedState(guest.name()));
        HOSTS.destination.ferryOk("start", guest.name());
        try (QemuMonitor arrived = guest.monitor(HOSTS.destination)) {
            assertTrue(arrived.awaitBooted(false, Installation.work()).booted());
        }
        HOSTS.assertRunsOnlyOn(HOSTS.destination, guest.name(), null);
        HOSTS.destination.ferryOk("destroy", guest.name());
    }

    /**
     * A guest defined with QEMU's alias {@code pc} goes to a host whose QEMU reads {@code pc} as another machine, as a
     * QEMU of another version does (a wrapper stands in for it, turning {@code pc} into {@code pc-i440fx-9.2}; the
     * operator's --xml, made from dumpxml, names it): the live and stored definitions name the machine the source's QEMU
     * runs, and the destination's starts that one. Recorded as defined, the alias made the destination's QEMU refuse the
     * memory ("Machine type received is 'pc-i440fx-10.0' and local is 'pc-i440fx-9.2'").
     */
    @Test
    public void aGuestDefinedWithAMachineAliasMigratesToAQemuThatReadsTheAliasAsAnotherMachine() throws Exception {
        String older = "pc-i440fx-9.2";
        assertNotEquals(older, QemuGuest.MACHINE);
        Path otherQemu = Installation.file("qemu-other-pc", ".sh", "#!/bin/bash\nargs=()\nfor a in \"$@\"; do\n"
                + "  [ \"$a\" = pc ] && a=" + older + "\n  args+=(\"$a\")\ndone\nexec " + QemuGuest.QEMU + " \"${args[@]}\"\n");
        Files.setPosixFilePermissions(otherQemu, PosixFilePermissions.fromString("rwxr-xr-x"));
        QemuGuest guest = QemuGuest.idle("qemu-alias", HOSTS.emulator);
        Path aliased = Installation.file(guest.name(), ".xml",
                guest.xml().replace("machine='" + QemuGuest.MACHINE + "'", "machine='pc'"));
        HOSTS.source.ferryOk("define", aliased.toString());
        HOSTS.source.ferryOk("start", guest.name());
        try (QemuMonitor source = guest.monitor(HOSTS.source)) {
            source.awaitBooted(false, Installation.work());
            String live = HOSTS.source.ferryOk("dumpxml", guest.name()).out();
            assertTrue(live, live.contains("machine='" + QemuGuest.MACHINE + "'"));
            assertEquals("the stored definition the guest started from names it too", live,
                    HOSTS.source.ferryOk("dumpxml", guest.name(), "--inactive").out());
            Path there = Installation.file(guest.name() + "-there", ".xml",
                    live.replace("<emulator>" + HOSTS.emulator + "</emulator>", "<emulator>" + otherQemu + "</emulator>"));

            HOSTS.migrateOk(guest.name(), "--live", "--xml", there.toString());

            HOSTS.assertRunsOnlyOn(HOSTS.destination, guest.name(), null);
            String arrived = QemuProcesses.theOne(guest.uuid(), HOSTS.destination.stateDir).commandLine();
            assertTrue(arrived, arrived.contains(" -machine " + QemuGuest.MACHINE + " "));
        } finally {
            HOSTS.source.ferry("destroy", guest.name());
            HOSTS.destination.ferry("destroy", guest.name());
        }
    }

    /**
     * With a downtime limit of 1 ms the dirtying guest never converges while it runs; --timeout suspends it on its
     * source (QEMU's "stop"), the migration completes, and the guest runs on the destination, as it ran before.
     */
    @Test
    public void timeoutSuspendsAGuestThatNeverConverges() throws Exception {
        String name = "qemu-timeout";
        QemuGuest guest = QemuGuest.dirtying(name, HOSTS.emulator);
        try (QemuMonitor source = guest.start(HOSTS.source)) {
            HOSTS.source.ferryOk("migrate-setmaxdowntime", name, "1");

            Installation.Result result = HOSTS.migrateOk(name, "--live", "--bandwidth", QemuJob.BANDWIDTH, "--timeout", "3",
                    "--verbose");

            assertTrue(result.toString(), result.err().contains("Migration: timed out after 3 s; domain " + name
                    + " suspended so that it converges"));
            HOSTS.assertRunsOnlyOn(HOSTS.destination, name, null);
            try (QemuMonitor destination = guest.monitor(HOSTS.destination)) {
                assertEquals("running", destination.runState());
                destination.awaitWritesBeyond(destination.guestStatus(Installation.work()).writes(), Installation.work());
            }
        } finally {
            HOSTS.destination.ferry("destroy", name);
            HOSTS.source.ferry("destroy", name);
        }
    }

    private static void migratesFromTheExactFinalState(String name, String... flags) throws Exception {
        QemuGuest guest = QemuGuest.dirtying(name, HOSTS.emulator);
        try (QemuMonitor source = guest.start(HOSTS.source)) {
            HOSTS.holdFinish(name);
            Installation.Running migration = QemuJob.inFlight(HOSTS.source, HOSTS.destination, name, 4, flags);
            QemuJob.letConverge(HOSTS.source, name);
            HOSTS.awaitHeld(name, migration);

            QemuMonitor.GuestStatus last;
            Installation.Result result;
            try (QemuMonitor destination = guest.monitor(HOSTS.destination)) {
                assertEquals("the source after Perform", "postmigrate", source.runState());
                assertEquals("the destination before Finish resumes it", "paused", destination.runState());
                assertArrayEquals("the destination's RAM is the source's final RAM",
                        source.pmemsave(0, guest.ramBytes(), Installation.work()),
                        destination.pmemsave(0, guest.ramBytes(), Installation.work()));
                last = destination.guestStatus(Installation.work());
                assertTrue("the guest had run before it moved: " + last, last.booted() && last.writes() > 0);
                HOSTS.release(name);

                result = migration.await();
                assertEquals(result.toString(), 0, result.exit());
                destination.awaitWritesBeyond(last.writes(), Installation.work());
            }
            Map<String, String> left = HOSTS.source.fields("domjobinfo", name, "--completed");
            assertEquals("the source's job completed, as ferry migrate said:\n" + result, "Completed", left.get("Job type"));
            assertTrue("at least 4 pre-copy passes: " + left, Long.parseLong(left.get("Iteration")) - 1 >= 4);
            assertEquals("QEMU has no memory digest: nothing was verified", "no", left.get("Memory verified"));
            assertEquals("no", HOSTS.destination.fields("domjobinfo", name, "--completed").get("Memory verified"));
            HOSTS.assertRunsOnlyOn(HOSTS.destination, name, null);
            source.awaitClosed(); // Confirm made the source's QEMU quit
            Poll.until("one QEMU of " + name, () -> QemuProcesses.of(guest.uuid()).size() == 1);
            QemuProcesses.theOne(guest.uuid(), HOSTS.destination.stateDir);
        } finally {
            HOSTS.release(name);
            HOSTS.destination.ferry("destroy", name);
            HOSTS.source.ferry("destroy", name);
        }
    }
}
