package io.ferry.core.section;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.api.cookie.Mandatory;
import io.ferry.api.cookie.Phase;
import io.ferry.api.cookie.SectionContext;
import io.ferry.core.Latches;
import io.ferry.core.cookie.TestSections;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.After;
import org.junit.Test;

/**
 * A bake or eat that never started on a worker (its caller was interrupted, or its limit passed, while the call
 * waited for one) leaves the migration's next call of the section free to run; one that started and overran its limit
 * holds that migration's next calls off until it ends.
 */
public class SectionBusyMarkTest {
    /** One worker, held by {@link #holdTheWorker} until released: a call handed to it waits, not started. */
    private final ExecutorService oneWorker = Executors.newSingleThreadExecutor(task -> {
        Thread thread = new Thread(task, "test-one-worker");
        thread.setDaemon(true);
        return thread;
    });
    private final CountDownLatch release = new CountDownLatch(1);
    private final AtomicInteger bakes = new AtomicInteger();
    private final SectionContext context = MigrationSectionContext.offline(Phase.BEGIN, "m1", "vm", UUID.randomUUID(),
            new SectionContext.Host("src", UUID.randomUUID()));

    @After
    public void stopTheWorker() {
        release.countDown();
        oneWorker.shutdownNow();
    }

    private SectionHandle handle(Duration limit) {
        SectionHandleTest.ScriptedSection section = new SectionHandleTest.ScriptedSection();
        section.behaviour = () -> "baked " + bakes.incrementAndGet();
        SectionHandle fixture = TestSections.handle(SectionSource.of(section), "scripted", "scripted", Mandatory.NEVER,
                List.of(Phase.BEGIN), List.of(Phase.PREPARE), limit);
        return new SectionHandle(fixture.descriptor(), fixture.source(), oneWorker, limit);
    }

    private void holdTheWorker() throws InterruptedException {
        CountDownLatch held = new CountDownLatch(1);
        oneWorker.submit(() -> {
            held.countDown();
            release.await();
            return null;
        });
        assertTrue(held.await(10, TimeUnit.SECONDS));
    }

    /** The worker finishes what it holds and whatever came after: the bake that was given up never ran. */
    private void freeTheWorker() throws Exception {
        release.countDown();
        oneWorker.submit(() -> null).get(10, TimeUnit.SECONDS);
    }

    @Test
    public void aBakeWhoseCallerWasInterruptedBeforeItStartedDoesNotHoldTheNextOneOff() throws Exception {
        SectionHandle handle = handle(TestSections.TIMEOUT);
        holdTheWorker();
        Thread.currentThread().interrupt();
        SectionFailure interrupted = assertThrows(SectionFailure.class, () -> handle.bake(context));
        assertTrue("the interruption is kept", Thread.interrupted());
        assertEquals("interrupted while cookie section scripted ran bake", interrupted.getMessage());
        freeTheWorker();
        assertEquals("the given-up bake never ran", 0, bakes.get());
        assertEquals(Optional.of("baked 1"), handle.bake(context));
    }

    @Test
    public void aBakeWhoseLimitPassedBeforeItStartedDoesNotHoldTheNextOneOff() throws Exception {
        SectionHandle handle = handle(Duration.ofSeconds(1)); // long enough for the next bake on a loaded machine
        holdTheWorker();
        SectionFailure late = assertThrows(SectionFailure.class, () -> handle.bake(context));
        assertEquals("cookie section scripted did not finish bake within 1 s", late.getMessage());
        freeTheWorker();
        assertEquals("the given-up bake never ran", 0, bakes.get());
        assertEquals(Optional.of("baked 1"), handle.bake(context));
        assertFalse(Thread.currentThread().isInterrupted());
    }

    /**
     * A bake still running past its limit (deaf to the interruption, as one blocked in a native call) refuses the same
     * migration's next call of the section, so that a plug-in is never called twice at once for one migration; another
     * migration's call runs, and once the first bake ends, the migration's next one does too.
     */
    @Test
    public void aCallStillRunningPastItsLimitRefusesTheSameMigrationsNextCall() throws Exception {
        ExecutorService twoWorkers = Executors.newFixedThreadPool(2, task -> {
            Thread thread = new Thread(task, "test-two-workers");
            thread.setDaemon(true);
            return thread;
        });
        CountDownLatch stuck = new CountDownLatch(1);
        try {
            SectionHandleTest.ScriptedSection section = new SectionHandleTest.ScriptedSection();
            section.behaviour = () -> {
                if (bakes.incrementAndGet() == 1) {
                    Latches.awaitUninterruptibly(stuck);
                }
                return "baked " + bakes.get();
            };
            Duration limit = Duration.ofSeconds(1);
            SectionHandle fixture = TestSections.handle(SectionSource.of(section), "scripted", "scripted", Mandatory.NEVER,
                    List.of(Phase.BEGIN), List.of(Phase.PREPARE), limit);
            SectionHandle handle = new SectionHandle(fixture.descriptor(), fixture.source(), twoWorkers, limit);
            assertEquals("cookie section scripted did not finish bake within 1 s",
                    assertThrows(SectionFailure.class, () -> handle.bake(context)).getMessage());

            assertEquals("cookie section scripted still runs an earlier call of migration m1: bake refused",
                    assertThrows(SectionFailure.class, () -> handle.bake(context)).getMessage());
            assertEquals("the refused bake never reached the section", 1, bakes.get());
            SectionContext otherMigration = MigrationSectionContext.offline(Phase.BEGIN, "m2", "vm2", UUID.randomUUID(),
                    new SectionContext.Host("src", UUID.randomUUID()));
            assertEquals(Optional.of("baked 2"), handle.bake(otherMigration));

            stuck.countDown();
            assertEquals(Optional.of("baked 3"), bakeOnceTheEarlierCallHasEnded(handle));
        } finally {
            stuck.countDown();
            twoWorkers.shutdownNow();
        }
    }

    private Optional<Object> bakeOnceTheEarlierCallHasEnded(SectionHandle handle) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            try {
                return handle.bake(context);
            } catch (SectionFailure stillRunning) {
                if (!stillRunning.getMessage().contains("still runs an earlier call") || System.nanoTime() > deadline) {
                    throw stillRunning;
                }
                Thread.sleep(10);
            }
        }
    }
}
