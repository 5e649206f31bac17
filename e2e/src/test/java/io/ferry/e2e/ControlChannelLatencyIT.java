package io.ferry.e2e;

import static org.junit.Assert.assertTrue;

import io.ferry.protocol.ControlClient;
import org.junit.Test;

/**
 * Calls on a kept-alive control connection answer at once: the daemon's replies do not wait for a delayed ACK
 * (Nagle against the client's 40 ms delayed ACK made every call after the first take at least 40 ms).
 */
public class ControlChannelLatencyIT {
    private static final int CALLS = 30;
    private static final long DELAYED_ACK_MILLIS = 40;

    @Test
    public void smallCallsOnAReusedConnectionTakeLessThanADelayedAckEach() throws Exception {
        try (DaemonProcess daemon = DaemonProcess.start("latency")) {
            ControlClient client = new ControlClient(daemon.url());
            for (int i = 0; i < 5; i++) {
                client.get("version"); // warm up: class loading, JIT, the first connection
            }
            long start = System.nanoTime();
            for (int i = 0; i < CALLS; i++) {
                client.get("version");
            }
            long millis = (System.nanoTime() - start) / 1_000_000;
            assertTrue(CALLS + " calls took " + millis + " ms", millis < CALLS * DELAYED_ACK_MILLIS);
        }
    }
}
