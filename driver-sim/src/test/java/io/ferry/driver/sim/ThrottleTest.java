package io.ferry.driver.sim;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.Test;

/** The bandwidth cap on a fake clock: sleeping moves the clock, nothing waits for real. */
public class ThrottleTest {
    private static final long MIB = 1 << 20;
    private static final long CHUNK = 64 * 1024;
    private static final long SECOND = 1_000_000_000L;

    private final AtomicLong clock = new AtomicLong(1_000 * SECOND);
    private final List<Long> sleeps = new ArrayList<>();
    private final Throttle throttle = new Throttle(clock::get, nanos -> {
        sleeps.add(nanos);
        clock.addAndGet(nanos);
    });

    private long send(long bytes, long cap) throws InterruptedException {
        long start = clock.get();
        for (long sent = 0; sent < bytes; sent += CHUNK) {
            throttle.pace(CHUNK, () -> cap, () -> false);
        }
        return clock.get() - start;
    }

    @Test
    public void sendsAtTheCap() throws InterruptedException {
        assertEquals(10 * SECOND, send(10 * MIB, MIB), SECOND / 1000);
        assertEquals(5 * SECOND, send(10 * MIB, 2 * MIB), SECOND / 1000);
        assertTrue("long waits are sliced", sleeps.stream().allMatch(s -> s <= Throttle.MAX_SLEEP_NANOS));
    }

    @Test
    public void noCapNoWait() throws InterruptedException {
        assertEquals(0, send(100 * MIB, 0));
        assertEquals(List.of(), sleeps);
    }

    @Test
    public void idleTimeBuysOnlyAShortBurst() throws InterruptedException {
        send(MIB, MIB);
        clock.addAndGet(60 * SECOND); // the sender stalled for a minute
        long burst = (long) Throttle.burstBytes(MIB);
        assertEquals((MIB - burst) * SECOND / MIB, send(MIB, MIB), SECOND / 1000);
        clock.addAndGet(60 * SECOND);
        burst = (long) Throttle.burstBytes(100 * MIB); // 50 ms worth at higher rates
        assertEquals(5 * MIB, burst);
        assertEquals((100 * MIB - burst) * SECOND / (100 * MIB), send(100 * MIB, 100 * MIB), SECOND / 1000);
    }

    @Test
    public void aSlowWriterIsNotHeldBack() throws InterruptedException {
        for (int i = 0; i < 16; i++) {
            clock.addAndGet(SECOND / 10); // the network itself only manages 640 KiB/s
            throttle.pace(CHUNK, () -> MIB, () -> false);
        }
        assertEquals("only the very first chunk waits for its tokens", 1, sleeps.size());
    }

    @Test
    public void aNewCapAppliesDuringAWait() throws InterruptedException {
        AtomicLong cap = new AtomicLong(1024); // 64 KiB at 1 KiB/s: a minute
        long start = clock.get();
        throttle.pace(CHUNK, () -> {
            if (clock.get() - start >= SECOND) {
                cap.set(0); // migrate-setspeed to unlimited after a second
            }
            return cap.get();
        }, () -> false);
        assertEquals(SECOND, clock.get() - start, Throttle.MAX_SLEEP_NANOS);
    }

    @Test
    public void anAbortEndsTheWait() throws InterruptedException {
        long start = clock.get();
        throttle.pace(CHUNK, () -> 1024, () -> clock.get() - start >= 3 * Throttle.MAX_SLEEP_NANOS);
        assertEquals(3 * Throttle.MAX_SLEEP_NANOS, clock.get() - start);
    }
}
