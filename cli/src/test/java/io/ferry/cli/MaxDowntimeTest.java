package io.ferry.cli;

import static org.junit.Assert.assertEquals;

import org.junit.Test;

/**
 * migrate-setmaxdowntime refuses 0, as virsh does: read as "no limit" by analogy with migrate-setspeed's 0, it would
 * allow no pause at all, with which QEMU holds a guest that writes memory in pre-copy.
 */
public class MaxDowntimeTest {
    @Test
    public void zeroIsRefusedBeforeTheDaemonIsAsked() {
        // nothing listens on port 1: a command that asked the daemon would fail to connect instead
        CliRun run = CliRun.ferry("-c", "ferry+tcp://127.0.0.1:1", "migrate-setmaxdowntime", "vm1", "0");
        assertEquals(new CliRun(1, "", "error: invalid downtime '0': the longest pause allowed at switch-over, in milliseconds, is at"
                + " least 1 (0 would allow no pause at all)\n"), run);
    }
}
