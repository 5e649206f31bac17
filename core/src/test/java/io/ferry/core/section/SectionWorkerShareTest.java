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
import java.util.Collections;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.After;
import org.junit.Test;
import org.w3c.dom.Element;

/** A section that hangs, deaf to interruption, holds a share of the daemon's section workers, never all of them. */
public class SectionWorkerShareTest {
    /** PeerCalls.ALL_PEERS (io.ferry.core.control): every peer's Prepare at once, each eating this section. */
    private static final int ALL_PEERS = 40;

    private final SectionWorkers workers = SectionRegistry.newWorkers();
    private final CountDownLatch release = new CountDownLatch(1);
    private final Element fragment = Documents.create().createElement("x");
    private final List<ExecutorService> callers = new ArrayList<>();

    @After
    public void releaseTheHungCalls() {
        release.countDown();
        workers.shutdownNow();
        callers.forEach(ExecutorService::shutdownNow);
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

    /**
     * A hanging section's calls all pass its share until the first reaches its limit: an operator's evacuation, or
     * every peer's Prepare, started at once, must still leave workers to the other sections.
     */
    @Test
    public void manyCallsOfAHangingSectionStartedAtOnceLeaveWorkersToTheOthers() throws Exception {
        CountDownLatch decided = new CountDownLatch(SectionRegistry.MAX_WORKERS); // started, or refused
        SectionHandle hung = handle("hung", () -> {
            decided.countDown();
            return deafUntilReleased();
        }, Duration.ofSeconds(30)); // none reaches its limit here
        List<String> refusals = Collections.synchronizedList(new ArrayList<>());
        atOnce(SectionRegistry.MAX_WORKERS, () -> {
            try {
                return hung.parse(fragment);
            } catch (SectionFailure refused) {
                refusals.add(refused.getMessage());
                decided.countDown();
                throw refused;
            }
        });
        decided.await();
        assertEquals("value", handle("healthy", () -> "value").parse(fragment));
        assertEquals(Collections.nCopies(SectionRegistry.MAX_WORKERS - SectionHandle.MAX_IN_FLIGHT, "cookie section hung already"
                + " runs 48 calls, the most one section may (the others keep the rest of the workers): parse refused"), refusals);
    }

    /** A bundle's update makes a new handle of the same section: its calls still hanging, it takes no new share. */
    @Test
    public void aHangingSectionUpdatedAgainAndAgainKeepsOneShare() throws Exception {
        SectionHandle hung = handle("hung", this::deafUntilReleased);
        while (assertThrows(SectionFailure.class, () -> hung.parse(fragment)).getMessage().contains("did not finish")) {
            // its calls hang past their limit until its share is taken
        }
        for (int update = 1; update < SectionRegistry.MAX_WORKERS / SectionHandle.MAX_OVERRUNNING; update++) {
            SectionHandle redeployed = handle("hung", this::deafUntilReleased); // as hung as before
            assertEquals("cookie section hung still runs 16 calls past their limit (deaf to interruption): parse refused",
                    assertThrows(SectionFailure.class, () -> redeployed.parse(fragment)).getMessage());
        }
        assertEquals("value", handle("healthy", () -> "value").parse(fragment));
    }

    /**
     * Only calls past their limit count against the share: a busy section's calls within it are never refused below
     * the bound of all its calls, which every peer's Prepare at once stays under.
     */
    @Test
    public void manyCallsOfOneSectionWithinTheirLimitAllRun() throws Exception {
        assertTrue(ALL_PEERS + " calls of a section must fit", ALL_PEERS < SectionHandle.MAX_IN_FLIGHT);
        CountDownLatch allStarted = new CountDownLatch(ALL_PEERS);
        SectionHandle busy = handle("busy", () -> {
            allStarted.countDown();
            allStarted.await(); // every call under way at once
            return "value";
        }, Duration.ofSeconds(30));
        for (Future<Object> result : atOnce(ALL_PEERS, () -> busy.parse(fragment))) {
            assertEquals("value", result.get());
        }
    }

    /** {@code calls} calls of {@code call}, each from a caller of its own, all under way at once. */
    private List<Future<Object>> atOnce(int calls, Callable<Object> call) {
        ExecutorService callers = Executors.newFixedThreadPool(calls);
        this.callers.add(callers);
        List<Future<Object>> results = new ArrayList<>();
        for (int i = 0; i < calls; i++) {
            results.add(callers.submit(call));
        }
        return results;
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
