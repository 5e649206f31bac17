package io.ferry.core.section;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.api.cookie.Mandatory;
import io.ferry.api.cookie.Phase;
import io.ferry.core.cookie.TestSections;
import io.ferry.protocol.xml.Documents;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.After;
import org.junit.Test;
import org.w3c.dom.Element;

/** A section that hangs, deaf to interruption, holds a share of the daemon's section workers, never all of them. */
public class SectionWorkerShareTest {
    private final ExecutorService workers = SectionRegistry.newWorkers();
    private final CountDownLatch release = new CountDownLatch(1);
    private final Element fragment = Documents.create().createElement("x");

    @After
    public void releaseTheHungCalls() {
        release.countDown();
        workers.shutdownNow();
    }

    private SectionHandle handle(String feature, SectionHandleTest.Behaviour behaviour) {
        return handle(feature, behaviour, Duration.ofMillis(20));
    }

    private SectionHandle handle(String feature, SectionHandleTest.Behaviour behaviour, Duration limit) {
        SectionHandleTest.ScriptedSection section = new SectionHandleTest.ScriptedSection();
        section.behaviour = behaviour;
        SectionHandle fixture = TestSections.handle(SectionSource.of(section), feature, feature, Mandatory.NEVER,
                List.of(Phase.BEGIN), List.of(Phase.PREPARE), limit);
        return new SectionHandle(fixture.descriptor(), fixture.source(), workers, fixture.timeout());
    }

    @Test
    public void aSectionThatHangsForeverLeavesWorkersToTheOthers() throws Exception {
        SectionHandle hung = handle("hung", this::deafUntilReleased);
        SectionHandle healthy = handle("healthy", () -> "value");
        SectionFailure last = null;
        for (int i = 0; i < SectionRegistry.MAX_WORKERS; i++) {
            last = assertThrows(SectionFailure.class, () -> hung.parse(fragment));
        }
        assertTrue(last.getMessage(), last.getMessage().startsWith("cookie section hung "));
        assertEquals("value", healthy.parse(fragment));
    }

    /**
     * A section's calls past their limit hold its share of the workers only while they run: once they end, the
     * section's calls run again (counted for good, a section that once hung past its limit was refused for good).
     */
    @Test
    public void callsPastTheirLimitHoldTheSectionsShareOnlyUntilTheyEnd() throws Exception {
        SectionHandle slow = handle("slow", this::deafUntilReleased);
        List<CountDownLatch> ends = new ArrayList<>();
        SectionFailure refused = null;
        for (int i = 0; i < 10 * SectionHandle.MAX_OVERRUNNING && refused == null; i++) {
            CountDownLatch end = new CountDownLatch(1);
            ends.add(end);
            SectionFailure failure = assertThrows(SectionFailure.class, () -> new SectionCalls().parse(slow, fragment)
                    .run(end::countDown));
            refused = failure.getMessage().contains("past their limit") ? failure : null;
        }
        assertEquals("cookie section slow still runs 16 calls past their limit (deaf to interruption): parse refused",
                refused == null ? "never refused" : refused.getMessage());

        release.countDown();
        for (CountDownLatch end : ends) {
            end.await();
        }
        assertEquals("late", slow.parse(fragment));
    }

    /** Only calls past their limit count: a busy section's calls within it are never refused, however many at once. */
    @Test
    public void manyCallsOfOneSectionWithinTheirLimitAllRun() throws Exception {
        int calls = SectionHandle.MAX_OVERRUNNING + 8;
        CountDownLatch allStarted = new CountDownLatch(calls);
        SectionHandle busy = handle("busy", () -> {
            allStarted.countDown();
            allStarted.await(); // every call under way at once
            return "value";
        }, Duration.ofSeconds(30));
        ExecutorService callers = Executors.newFixedThreadPool(calls);
        try {
            List<Future<Object>> results = new ArrayList<>();
            for (int i = 0; i < calls; i++) {
                results.add(callers.submit(() -> busy.parse(fragment)));
            }
            for (Future<Object> result : results) {
                assertEquals("value", result.get());
            }
        } finally {
            callers.shutdownNow();
        }
    }

    /** A call that ignores the daemon's interruption at its limit, and returns once the test releases it. */
    private Object deafUntilReleased() {
        while (true) {
            try {
                release.await();
                return "late";
            } catch (InterruptedException deaf) {
                // ignores the daemon's interruption at its limit
            }
        }
    }
}
