package io.ferry.e2e;

import static org.junit.Assert.assertEquals;

import org.junit.Test;

/**
 * A source settles a migration its driver left after Finish with whatever daemon answers at its destination's
 * address. A daemon there that never recorded the migration (another host given the address, the destination's
 * state directory replaced) must not have its "no record of it" taken for "aborted": the guest the destination
 * committed would run on two hosts.
 */
public class ForgetfulDestinationIT {
    private static final String VM = "forgot-vm";

    @Test
    public void aSourceDoesNotResumeItsCopyOnTheWordOfAnotherDaemonAtItsDestinationsAddress() throws Exception {
        try (DaemonProcess source = DaemonProcess.start("src", "--confirm-wait", "1");
                DaemonProcess destination = DaemonProcess.start("dst")) {
            String digest = source.boot(SimDomain.idle(VM, 16));
            Phases phases = Phases.throughPerform(source, destination, VM);
            assertEquals(VM, phases.finish(false).domain()); // committed; the driver is gone before Confirm
            destination.kill();

            try (DaemonProcess stranger = destination.another("stranger")) {
                stranger.url();
                Poll.until("the source to settle with the daemon at its destination's address", () -> source.log()
                        .contains("has no record of migration " + phases.id) || !"paused".equals(source.state(VM)));
                assertEquals("paused", source.state(VM));
            }
            try (DaemonProcess restarted = destination.restart()) {
                source.awaitState(VM, "shut off"); // the destination that committed it said so
                Placement.assertRunsOnlyOn(restarted, source, VM, digest);
            }
        }
    }
}
