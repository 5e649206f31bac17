package io.ferry.e2e;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import io.ferry.launcher.QemuMonitor;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.ClassRule;
import org.junit.Test;

/**
 * Live migrations of real QEMU guests that fail, each in flight or at its start, between two real daemons: an
 * operator's abort, a destination QEMU that stops (SIGSTOP: the progress watchdog, 2 s here, cancels) or crashes,
 * a QEMU binary that is missing or exits at start. Each ends with a clear one-line error, the guest running on
 * at the source from where it was, and no QEMU of it left on the destination.
 */
public class QemuFailuresIT {
    @ClassRule
    public static final TwoHosts HOSTS = TwoHosts.forQemu("--progress-timeout", "2");

    @Test
    public void anAbortMidFlightLeavesTheSourceRunning() throws Exception {
        failsInFlight("qemu-abort", List.of("--live"), "migration aborted by user", (guest, migration) -> {
            String said = HOSTS.source.ferryOk("domjobabort", guest.name()).out();
            assertTrue(said, said.matches("Migration [0-9a-f-]+ of qemu-abort aborted: qemu-abort runs here\n"));
        });
    }

    @Test
    public void theWatchdogCancelsAMigrationToAStoppedDestinationQemu() throws Exception {
        // a partition: QEMU's migration would stay "active" for ever; the stopped QEMU is killed with its domain
        failsInFlight("qemu-stopped", List.of("--live", "--p2p"), "made no progress for 2.0 s", (guest, migration) ->
                QemuProcesses.signal(QemuProcesses.theOne(guest.uuid(), HOSTS.destination.stateDir).pid(), "STOP"));
    }

    @Test
    public void aDestinationQemuThatCrashesMidFlightLeavesTheSourceRunning() throws Exception {
        failsInFlight("qemu-crash", List.of("--live"), "migration of domain 'qemu-crash' failed", (guest, migration) ->
                QemuProcesses.signal(QemuProcesses.theOne(guest.uuid(), HOSTS.destination.stateDir).pid(), "SEGV"));
    }

    @Test
    public void aMissingQemuBinaryIsNamedAndNothingMoves() throws Exception {
        Path missing = HOSTS.dir.resolve("no-such-qemu");
        Installation.Result result = migrateWithDestinationEmulator("qemu-missing", missing);
        assertEquals(result.toString(), "error: the QEMU binary " + missing + " of domain 'qemu-missing' is not an"
                + " executable file\n", result.err());
    }

    @Test
    public void aQemuThatExitsAtStartOnTheDestinationSaysWhyAndNothingMoves() throws Exception {
        Path refusing = QemuMonitor.script(HOSTS.dir.resolve("qemu-refusing"),
                "exec qemu-system-x86_64 \"$@\" -no-such-option\n");
        Installation.Result result = migrateWithDestinationEmulator("qemu-exits", refusing);
        assertFailedInOneLine(result, "cannot start domain 'qemu-exits': QEMU exited: ");
        assertTrue(result.err(), result.err().endsWith("qemu-system-x86_64: -no-such-option: invalid option\n"));
    }

    private interface Trouble {
        void strike(QemuGuest guest, Installation.Running migration) throws Exception;
    }

    /** A dirtying guest's migration with {@code flags}, hit by {@code trouble} in flight, fails {@code saying} so. */
    private static void failsInFlight(String name, List<String> flags, String saying, Trouble trouble) throws Exception {
        QemuGuest guest = QemuGuest.dirtying(name, HOSTS.emulator);
        try (QemuMonitor source = guest.start(HOSTS.source)) {
            Installation.Running migration = QemuJob.inFlight(HOSTS.source, HOSTS.destination, name, 2,
                    flags.toArray(String[]::new));
            trouble.strike(guest, migration);
            assertFailedInOneLine(migration.await(), saying);
            assertRunsOnAtTheSourceOnly(guest, source);
        } finally {
            HOSTS.source.ferry("destroy", name);
        }
    }

    /** {@code migrate --live --xml} of an idle guest, with a definition whose emulator is {@code binary}; must fail. */
    private static Installation.Result migrateWithDestinationEmulator(String name, Path binary) throws Exception {
        QemuGuest guest = QemuGuest.idle(name, HOSTS.emulator);
        try (QemuMonitor source = guest.start(HOSTS.source)) {
            Installation.Result result = HOSTS.migrate(name, "--live", "--xml", guest.withEmulator(binary).file().toString());
            assertEquals(result.toString(), 1, result.exit());
            assertRunsOnAtTheSourceOnly(guest, source);
            return result;
        } finally {
            HOSTS.source.ferry("destroy", name);
        }
    }

    private static void assertFailedInOneLine(Installation.Result result, String saying) {
        assertEquals(result.toString(), 1, result.exit());
        String err = result.err();
        assertTrue(err, err.startsWith("error: ") && err.indexOf('\n') == err.length() - 1);
        assertTrue(err, err.contains(saying));
    }

    /** The guest runs at the source and goes on from where it was; the destination has neither it nor a QEMU of it. */
    private static void assertRunsOnAtTheSourceOnly(QemuGuest guest, QemuMonitor source) throws Exception {
        assertEquals("running", source.runState());
        if (guest.dirtying()) {
            source.awaitWritesBeyond(source.guestStatus(Installation.work()).writes(), Installation.work());
        }
        assertEquals(Optional.empty(), HOSTS.destination.listedState(guest.name()));
        assertEquals(List.of(), QemuProcesses.of(guest.uuid(), HOSTS.destination.stateDir));
        HOSTS.assertRunsOnlyOn(HOSTS.source, guest.name(), null);
        assertEquals("no job is left", "None", HOSTS.source.fields("domjobinfo", guest.name()).get("Job type"));
    }
}
