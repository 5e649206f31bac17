package io.ferry.e2e;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.protocol.Messages.Finished;
import org.junit.Test;

/**
 * Daemons killed ({@code SIGKILL}) and restarted, and a client that vanished, in the middle of a live
 * migration: each case ends with the guest running on exactly one host, its memory intact, settled by the
 * daemons' journals and watchdogs rather than left paused.
 */
public class KillIT {
    private static final String VM = "kill-vm";

    @Test
    public void destinationKilledDuringPerform() throws Exception {
        try (DaemonProcess source = DaemonProcess.start("src"); DaemonProcess destination = DaemonProcess.start("dst")) {
            String digest = source.boot(SimDomain.idle(VM, 64));
            Installation.Running migrate = Installation.launch("-c", source.url(), "migrate", "--live", "--bandwidth", "4",
                    VM, destination.url());
            // memory moving: the destination has its incoming job (the source's exists from Begin on)
            Poll.until("the memory to be moving", () -> destination.ferry("domjobinfo", VM).out().contains("Incoming migration")
                    && source.ferry("domjobinfo", VM).out().matches("(?s).*Memory processed: +(?!0\\.000 ).*"));
            destination.kill();

            Installation.Result result = migrate.await();
            assertEquals(result.toString(), 1, result.exit());
            assertOneLineError(result);
            Placement.assertRuns(source, VM, digest); // the destination's side is checked once it is back
            AssertionError silent = assertThrows(AssertionError.class, () -> destination.state(VM));
            String says = silent.getMessage();
            assertTrue(says, says.startsWith("ferry dominfo " + VM + " on " + destination + " failed"));

            try (DaemonProcess restarted = destination.restart()) {
                restarted.awaitState(VM, null); // recovery aborted the incoming VM, which never ran there
                Placement.assertRunsOnlyOn(source, restarted, VM, digest);
                assertTrue(restarted.log(), restarted.log().contains("the daemon restarted before the migration was committed"));
            }
        }
    }

    @Test
    public void sourceKilledAfterPerformCompletesOnRestartWhenTheDestinationFinished() throws Exception {
        try (DaemonProcess source = DaemonProcess.start("src"); DaemonProcess destination = DaemonProcess.start("dst")) {
            String digest = source.boot(SimDomain.idle(VM, 16));
            Phases phases = Phases.throughPerform(source, destination, VM);
            source.kill();

            Finished finished = phases.finish(false);
            assertEquals(VM, finished.domain());
            assertEquals("running", destination.state(VM));

            try (DaemonProcess restarted = source.restart("--confirm-wait", "1")) {
                restarted.awaitState(VM, "shut off"); // it asked the destination, which runs the guest
                Placement.assertRunsOnlyOn(destination, restarted, VM, digest);
            }
        }
    }

    @Test
    public void sourceKilledAfterPerformResumesOnRestartWhenTheDestinationCancelled() throws Exception {
        try (DaemonProcess source = DaemonProcess.start("src"); DaemonProcess destination = DaemonProcess.start("dst")) {
            String digest = source.boot(SimDomain.idle(VM, 16));
            Phases phases = Phases.throughPerform(source, destination, VM);
            source.kill();

            assertEquals(null, phases.finish(true).domain());
            assertEquals(null, destination.state(VM));

            try (DaemonProcess restarted = source.restart("--confirm-wait", "1")) {
                restarted.awaitState(VM, "running");
                Placement.assertRunsOnlyOn(restarted, destination, VM, digest);
            }
        }
    }

    @Test
    public void clientGoneAfterPerformIsSettledByTheWatchdogs() throws Exception {
        String[] shortWaits = {"--confirm-wait", "2", "--finish-wait", "2"};
        try (DaemonProcess source = DaemonProcess.start("src", shortWaits);
                DaemonProcess destination = DaemonProcess.start("dst", shortWaits)) {
            String digest = source.boot(SimDomain.idle(VM, 16));
            Phases.throughPerform(source, destination, VM); // and then nothing: the client died

            destination.awaitState(VM, null);
            source.awaitState(VM, "running");
            Placement.assertRunsOnlyOn(source, destination, VM, digest);
        }
    }

    @Test
    public void destinationKilledRightAfterItCommittedRunsTheGuestOnRestart() throws Exception {
        try (DaemonProcess source = DaemonProcess.start("src", "--confirm-wait", "1");
                DaemonProcess destination = DaemonProcess.start("dst")) {
            String digest = source.boot(SimDomain.idle(VM, 16));
            Phases phases = Phases.throughPerform(source, destination, VM);
            assertEquals(VM, phases.finish(false).domain());
            destination.kill(); // before anyone called Confirm: only the source's watchdog can settle it

            try (DaemonProcess restarted = destination.restart()) {
                restarted.awaitState(VM, "running");
                source.awaitState(VM, "shut off");
                Placement.assertRunsOnlyOn(restarted, source, VM, digest);
                assertTrue(restarted.log(), restarted.log().contains("re-attached"));
            }
        }
    }

    private static void assertOneLineError(Installation.Result result) {
        String err = result.err();
        assertTrue(err, err.startsWith("error: ") && err.indexOf('\n') == err.length() - 1);
    }
}
