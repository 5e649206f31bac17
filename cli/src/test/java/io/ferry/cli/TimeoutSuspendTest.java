package io.ferry.cli;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import io.ferry.protocol.ControlClient;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.Rule;
import org.junit.Test;

/**
 * {@code ferry migrate --timeout}'s timer against a daemon's answers: it suspends the domain once, says so, and
 * stops; a domain paused already is left alone; a migration not under way yet is asked about again until the
 * command ends; a refusal is said.
 */
public class TimeoutSuspendTest {
    private static final String SUSPEND = "/v1/domains/vm1/suspend";
    private static final String MIGRATION = "6f1c0a52-7d4e-4b8e-9a51-0c3d2e1f4a5b";
    private static final String THREAD = "ferry-migrate-timeout";

    @Rule
    public final FakeDaemon daemon = new FakeDaemon();
    private final List<String> said = new CopyOnWriteArrayList<>();

    private TimeoutSuspend start() throws Exception {
        return TimeoutSuspend.start(new DaemonChannel(new ControlClient(daemon.uri())), "vm1", MIGRATION, 1, said::add);
    }

    @Test
    public void aSuspendedDomainIsSaidOnceAndTheTimerStops() throws Exception {
        daemon.answer(SUSPEND, 200, "<suspended/>");
        try (TimeoutSuspend timer = start()) {
            assertTimerEnds();
        }
        assertEquals(1, daemon.answered());
        assertEquals(List.of("Migration: timed out after 1 s; domain vm1 suspended so that it converges"), said);
    }

    /** Paused by its operator, or by the switch-over: nothing to make converge, so not asked again. */
    @Test
    public void aDomainPausedAlreadyIsLeftAlone() throws Exception {
        daemon.answer(SUSPEND, 200, "<paused/>");
        try (TimeoutSuspend timer = start()) {
            assertTimerEnds();
        }
        assertEquals(1, daemon.answered());
        assertEquals(List.of(), said);
    }

    @Test
    public void aMigrationNotUnderWayYetIsAskedAboutAgainUntilTheCommandEnds() throws Exception {
        daemon.answer(SUSPEND, 200, "<not-under-way/>");
        try (TimeoutSuspend timer = start()) {
            for (int i = 0; i < 300 && daemon.answered() < 2; i++) {
                Thread.sleep(100);
            }
            assertTrue("asked " + daemon.answered() + " times", daemon.answered() >= 2);
        }
        assertTimerEnds();
        assertEquals(List.of(), said);
    }

    @Test
    public void aRefusalIsSaid() throws Exception {
        daemon.answer(SUSPEND, 500, "<error>domain vm1 is not running</error>");
        try (TimeoutSuspend timer = start()) {
            assertTimerEnds();
        }
        assertEquals(List.of("Migration: timed out after 1 s; suspending domain vm1 failed: domain vm1 is not running"), said);
    }

    private static void assertTimerEnds() throws InterruptedException {
        for (Thread thread : Thread.getAllStackTraces().keySet()) {
            if (thread.getName().equals(THREAD)) {
                thread.join(30_000);
                assertFalse(THREAD + " still runs", thread.isAlive());
            }
        }
    }
}
