package io.ferry.e2e;

import static org.junit.Assert.assertEquals;

import io.ferry.protocol.ChannelException;
import io.ferry.protocol.Messages.Finished;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.Test;

/**
 * A source daemon whose wall clock steps in the middle of a migration (NTP correcting a host's clock, an operator's
 * {@code date -s}): the engine's waits are measured on the monotonic clock, so a step neither makes a paused guest
 * wait as long as the step for its settlement nor ends a migration under way as if its driver were gone.
 */
public class ClockStepIT {
    @Test
    public void aSourceWhoseClockStepsBackAfterItsDriverWentSilentSettlesAndRunsTheGuest() throws Exception {
        WallClock clock = new WallClock("src");
        try (DaemonProcess source = DaemonProcess.start("src", clock.env(), "--confirm-wait", "2");
                DaemonProcess destination = DaemonProcess.start("dst", "--finish-wait", "2")) {
            String digest = source.boot(SimDomain.idle("back-vm", 16));
            Phases.throughPerform(source, destination, "back-vm"); // and then nothing: the client died
            clock.step("-2h");

            destination.awaitState("back-vm", null);
            source.awaitState("back-vm", "running"); // settled with the destination, not two hours later
            Placement.assertRunsOnlyOn(source, destination, "back-vm", digest);
        }
    }

    /**
     * The test section holds Perform on the source (its eat of the Prepare cookie, before the memory moves), so the
     * clock surely steps during Perform; the memory then moves for seconds on the stepped clock, watched every
     * second by a daemon that hears nothing of the driver.
     */
    @Test
    public void aSourceWhoseClockStepsForwardDuringPerformCompletesTheMigration() throws Exception {
        WallClock clock = new WallClock("src");
        Path work = Files.createTempDirectory(Installation.work(), "clock-step");
        FaultOrders orders = new FaultOrders(work.resolve("source-orders"));
        FaultOrders none = new FaultOrders(work.resolve("destination-orders")); // its peer needs the section too
        try (DaemonProcess source = orders.startDaemon("src", clock.env());
                DaemonProcess destination = none.startDaemon("dst", Map.of())) {
            String digest = source.boot(SimDomain.idle("forward-vm", 16));
            Phases phases = Phases.throughPrepare(source, destination, "forward-vm", 4); // seconds of memory
            // the driver speaks up to the destination only: the source must not take its silence for its absence
            ScheduledExecutorService keepalive = Executors.newSingleThreadScheduledExecutor();
            keepalive.scheduleWithFixedDelay(() -> {
                try {
                    phases.destination.keepalive(phases.id, phases.key);
                } catch (ChannelException e) {
                    // the test's checks below say what went wrong
                }
            }, 1, 1, TimeUnit.SECONDS);
            orders.give("hold eat:perform");
            CompletableFuture<Phases> perform = CompletableFuture.supplyAsync(() -> {
                try {
                    return phases.perform();
                } catch (Exception e) {
                    throw new IllegalStateException("Perform failed: " + e.getMessage(), e);
                }
            });
            orders.awaitHeld(perform);
            clock.step("+2h");
            orders.release();

            Finished finished;
            try {
                finished = perform.join().finish(false);
            } finally {
                keepalive.shutdownNow();
            }
            assertEquals("forward-vm", finished.domain());
            phases.confirm(finished);
            Placement.assertRunsOnlyOn(destination, source, "forward-vm", digest);
        }
    }
}
