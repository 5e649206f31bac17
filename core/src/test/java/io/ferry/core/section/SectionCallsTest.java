package io.ferry.core.section;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotSame;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.api.cookie.Mandatory;
import io.ferry.core.cookie.TestSections;
import io.ferry.core.section.SectionHandleTest.CountingSource;
import io.ferry.protocol.xml.Documents;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.After;
import org.junit.Test;
import org.slf4j.MDC;
import org.w3c.dom.Element;

/**
 * A cookie's pure section calls run together on one worker, each under its own section's rules: its own time limit,
 * its object given back, a failure naming it; the first failure ends the run.
 */
public class SectionCallsTest {
    private final CountingSource first = new CountingSource();
    private final CountingSource second = new CountingSource();
    private final CountingSource third = new CountingSource();
    private final CountDownLatch never = new CountDownLatch(1);
    private final Element fragment = Documents.create().createElement("scripted");

    @After
    public void unblockHungSections() {
        never.countDown();
    }

    private static SectionHandle handle(CountingSource source, String feature, Duration timeout) {
        return TestSections.handle(source, feature, feature, Mandatory.NEVER, List.of(), List.of(), timeout);
    }

    private SectionCalls threeCalls(Duration timeout) {
        return new SectionCalls().parse(handle(first, "first", timeout), fragment).absent(handle(second, "second", timeout))
                .format(handle(third, "third", timeout), "value", fragment);
    }

    @Test
    public void callsRunInOrderOnOneWorkerAndGiveEverySectionBack() throws Exception {
        Set<Thread> threads = ConcurrentHashMap.newKeySet();
        first.section.behaviour = () -> {
            threads.add(Thread.currentThread());
            return "parsed";
        };
        second.section.behaviour = () -> {
            threads.add(Thread.currentThread());
            return null;
        };
        third.section.behaviour = () -> {
            threads.add(Thread.currentThread());
            return "ignored: format returns nothing";
        };
        assertEquals(Arrays.asList("parsed", null, null), threeCalls(TestSections.TIMEOUT).run());
        assertEquals("one hand-off for the three calls", 1, threads.size());
        assertNotSame(Thread.currentThread(), threads.iterator().next());
        for (CountingSource source : List.of(first, second, third)) {
            assertEquals(1, source.acquired.get());
            assertEquals(1, source.released.get());
        }
    }

    @Test
    public void aFailingCallNamesItsSectionAndEndsTheRun() {
        second.section.behaviour = () -> {
            throw new IllegalStateException("broken absent");
        };
        SectionFailure failure = assertThrows(SectionFailure.class, () -> threeCalls(TestSections.TIMEOUT).run());
        assertEquals("cookie section second failed in absent: IllegalStateException: broken absent", failure.getMessage());
        assertEquals("the call after the failure never ran", 0, third.acquired.get());
        assertEquals(1, first.released.get());
        assertEquals(1, second.released.get());
    }

    @Test
    public void aHungCallTimesOutNamingItsSectionNotTheOneBefore() throws Exception {
        CountDownLatch interrupted = new CountDownLatch(1);
        second.section.behaviour = SectionHandleTest.hangUntilInterrupted(never, interrupted);
        CountDownLatch ended = new CountDownLatch(1);
        SectionFailure failure = assertThrows(SectionFailure.class, () -> threeCalls(Duration.ofMillis(300)).run(ended::countDown));
        assertEquals("cookie section second did not finish absent within 300 ms", failure.getMessage());
        assertTrue("the hung worker was interrupted", interrupted.await(10, TimeUnit.SECONDS));
        assertTrue("the worker's run ended", ended.await(10, TimeUnit.SECONDS));
        assertEquals("the hung call returned late, and the call after it never started", 0, third.acquired.get());
        assertEquals("the hung call gave its section back when it ended", 1, second.released.get());
    }

    @Test
    public void eachCallHasItsOwnLimitNotTheRunsTotal() throws Exception {
        // two calls of 1.2 s each under a limit of 2 s each: 2.4 s in all, and neither call overran its own limit
        for (CountingSource source : List.of(first, second)) {
            source.section.behaviour = () -> {
                Thread.sleep(1_200);
                return "slow";
            };
        }
        Duration limit = Duration.ofSeconds(2);
        List<Object> values = new SectionCalls().parse(handle(first, "first", limit), fragment)
                .parse(handle(second, "second", limit), fragment).run();
        assertEquals(List.of("slow", "slow"), values);
    }

    @Test
    public void nothingToRunIsNoResult() throws Exception {
        assertEquals(List.of(), new SectionCalls().run());
    }

    @Test
    public void callsLogUnderTheCallersMigrationAndLeaveTheirWorkerUntagged() throws Exception {
        ExecutorService oneWorker = Executors.newSingleThreadExecutor();
        try {
            List<String> tags = Collections.synchronizedList(new ArrayList<>());
            for (CountingSource source : List.of(first, second, third)) {
                source.section.behaviour = () -> {
                    tags.add(MDC.get(MigrationLog.KEY));
                    return null;
                };
            }
            try (MigrationLog.Tag tag = MigrationLog.tag("mig-7")) {
                calls(oneWorker).run();
            }
            assertEquals("each section's lines carry the migration of the phase that called it",
                    List.of("mig-7", "mig-7", "mig-7"), tags);
            tags.clear();
            MDC.clear(); // a caller that has never logged for a migration: no logging context at all to pass on
            calls(oneWorker).run();
            assertEquals("the same worker, called outside a migration, logs untagged", Arrays.asList(null, null, null),
                    tags);
        } finally {
            oneWorker.shutdownNow();
        }
    }

    /** The three calls of {@link #threeCalls}, on {@code workers}. */
    private SectionCalls calls(ExecutorService workers) {
        return new SectionCalls().parse(on(first, "first", workers), fragment).absent(on(second, "second", workers))
                .format(on(third, "third", workers), "value", fragment);
    }

    private static SectionHandle on(CountingSource source, String feature, ExecutorService workers) {
        return new SectionHandle(handle(source, feature, TestSections.TIMEOUT).descriptor(), source, workers,
                TestSections.TIMEOUT);
    }
}
