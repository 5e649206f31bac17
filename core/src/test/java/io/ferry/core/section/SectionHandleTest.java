package io.ferry.core.section;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotSame;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.api.cookie.CookieException;
import io.ferry.api.cookie.CookieSection;
import io.ferry.api.cookie.Mandatory;
import io.ferry.api.cookie.Phase;
import io.ferry.api.cookie.SectionContext;
import io.ferry.core.cookie.TestSections;
import io.ferry.protocol.xml.Documents;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.After;
import org.junit.Test;
import org.w3c.dom.Element;

/** A section's bug, hang or crash fails one call with a message naming it, and the section is always given back. */
public class SectionHandleTest {
    /** What the test section does when called; each test sets it. */
    interface Behaviour {
        Object run() throws Exception;
    }

    /** A section whose every call runs {@link #behaviour}. */
    static final class ScriptedSection implements CookieSection<Object> {
        volatile Behaviour behaviour = () -> "value";

        @Override
        public Object parse(Element fragment) throws CookieException {
            return call();
        }

        @Override
        public void format(Object value, Element fragment) {
            try {
                call();
            } catch (CookieException e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        public Object absent() {
            try {
                return call();
            } catch (CookieException e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        public Optional<Object> bake(SectionContext context) throws Exception {
            return Optional.ofNullable(behaviour.run());
        }

        @Override
        public void eat(SectionContext context, Object value) throws Exception {
            behaviour.run();
        }

        private Object call() throws CookieException {
            try {
                return behaviour.run();
            } catch (CookieException | RuntimeException | Error e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
    }

    /** Waits for {@code never} and, interrupted, counts {@code interrupted} down and returns late. */
    static Behaviour hangUntilInterrupted(CountDownLatch never, CountDownLatch interrupted) {
        return () -> {
            try {
                never.await();
            } catch (InterruptedException e) {
                interrupted.countDown();
            }
            return "too late";
        };
    }

    /** Counts every acquire and release. */
    static final class CountingSource implements SectionSource {
        final ScriptedSection section = new ScriptedSection();
        final AtomicInteger acquired = new AtomicInteger();
        final AtomicInteger released = new AtomicInteger();

        @Override
        public CookieSection<Object> acquire() {
            acquired.incrementAndGet();
            return section;
        }

        @Override
        public void release(CookieSection<Object> released) {
            assertSame(section, released);
            this.released.incrementAndGet();
        }
    }

    private final CountingSource source = new CountingSource();
    private final CountDownLatch never = new CountDownLatch(1);
    private final Element fragment = Documents.create().createElement("scripted");

    @After
    public void unblockHungSections() {
        never.countDown();
    }

    private SectionHandle handle(Duration timeout) {
        return TestSections.handle(source, "scripted", "scripted", Mandatory.NEVER, List.of(Phase.BEGIN),
                List.of(Phase.PREPARE), timeout);
    }

    private SectionHandle handle() {
        return handle(TestSections.TIMEOUT);
    }

    private void assertBalanced(int calls) {
        assertEquals("acquired", calls, source.acquired.get());
        assertEquals("released", calls, source.released.get());
    }

    @Test
    public void successfulCallsReturnTheSectionsValueAndGiveTheSectionBack() throws Exception {
        assertEquals("value", handle().parse(fragment));
        assertEquals(Optional.of("value"), handle().bake(null));
        assertEquals("value", handle().absent());
        handle().format("value", fragment);
        handle().eat(null, "value");
        assertBalanced(5);
    }

    @Test
    public void bakeWithNothingToSayIsEmpty() throws Exception {
        source.section.behaviour = () -> null;
        assertEquals(Optional.empty(), handle().bake(null));
    }

    @Test
    public void runtimeExceptionInParseIsASectionFailureNamingFeatureAndCall() {
        IllegalStateException bug = new IllegalStateException("bad fragment");
        source.section.behaviour = () -> {
            throw bug;
        };
        SectionFailure failure = assertThrows(SectionFailure.class, () -> handle().parse(fragment));
        assertEquals("cookie section scripted failed in parse: IllegalStateException: bad fragment", failure.getMessage());
        assertSame(bug, failure.getCause());
        assertBalanced(1);
    }

    @Test
    public void runtimeExceptionInBakeNamesBake() {
        source.section.behaviour = () -> {
            throw new UnsupportedOperationException();
        };
        SectionFailure failure = assertThrows(SectionFailure.class, () -> handle().bake(null));
        assertEquals("cookie section scripted failed in bake: UnsupportedOperationException", failure.getMessage());
        assertBalanced(1);
    }

    @Test
    public void checkedExceptionInEatNamesEat() {
        source.section.behaviour = () -> {
            throw new IOException("socket\nclosed");
        };
        SectionFailure failure = assertThrows(SectionFailure.class, () -> handle().eat(null, "v"));
        assertEquals("cookie section scripted failed in eat: IOException: socket closed", failure.getMessage());
        assertBalanced(1);
    }

    @Test
    public void cookieExceptionFromTheSectionKeepsItsMessage() {
        CookieException refusal = new CookieException("missing port attribute in migration data");
        source.section.behaviour = () -> {
            throw refusal;
        };
        SectionHandle handle = handle();
        // its own failure, naming it (an optional section's format is left out of the cookie), in its own words
        SectionFailure e = assertThrows(SectionFailure.class, () -> handle.parse(fragment));
        assertEquals("missing port attribute in migration data", e.getMessage());
        assertSame(refusal, e.getCause());
        assertSame(handle, e.section().orElseThrow());
        assertBalanced(1);
    }

    @Test
    public void errorThrownBySectionIsContained() {
        source.section.behaviour = () -> {
            throw new NoClassDefFoundError("org/example/Gone");
        };
        SectionFailure failure = assertThrows(SectionFailure.class, () -> handle().parse(fragment));
        assertEquals("cookie section scripted failed in parse: NoClassDefFoundError: org/example/Gone", failure.getMessage());
        assertTrue(failure.getCause() instanceof NoClassDefFoundError);
        assertBalanced(1);
    }

    @Test
    public void stackOverflowInSectionIsContained() {
        source.section.behaviour = () -> {
            throw new StackOverflowError();
        };
        SectionFailure failure = assertThrows(SectionFailure.class, () -> handle().bake(null));
        assertEquals("cookie section scripted failed in bake: StackOverflowError", failure.getMessage());
        assertBalanced(1);
    }

    @Test
    public void hungSectionTimesOutAndIsInterrupted() throws Exception {
        CountDownLatch interrupted = new CountDownLatch(1);
        source.section.behaviour = hangUntilInterrupted(never, interrupted);
        SectionFailure failure = assertThrows(SectionFailure.class, () -> handle(Duration.ofMillis(300)).bake(null));
        assertEquals("cookie section scripted did not finish bake within 300 ms", failure.getMessage());
        assertTrue("the hung worker was interrupted", interrupted.await(10, TimeUnit.SECONDS));
        // the section object is given back when its call has ended, not when the caller stopped waiting
        long deadline = System.currentTimeMillis() + 10_000;
        while (source.released.get() == 0 && System.currentTimeMillis() < deadline) {
            Thread.sleep(10);
        }
        assertBalanced(1);
    }

    @Test
    public void aStreamLimitBeyondWhatNanosecondsHoldIsNoLimit() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        // ten times this is past Long.MAX_VALUE ns (292 years); as TwoHosts.timeout may be given
        handle(Duration.ofSeconds(922_337_204)).stream("m-1", sink -> sink.write(7), out);
        assertArrayEquals(new byte[] {7}, out.toByteArray());
        handle(ChronoUnit.FOREVER.getDuration()).stream("m-2", sink -> sink.write(8), out);
        assertEquals("value", handle(ChronoUnit.FOREVER.getDuration()).parse(fragment));
        assertArrayEquals(new byte[] {7, 8}, out.toByteArray());
    }

    @Test
    public void vanishedSectionFailsTheCallWithoutRelease() {
        AtomicInteger released = new AtomicInteger();
        SectionSource gone = new SectionSource() {
            @Override
            public CookieSection<Object> acquire() throws SectionGone {
                throw new SectionGone("cookie section scripted has gone");
            }

            @Override
            public void release(CookieSection<Object> section) {
                released.incrementAndGet();
            }
        };
        SectionHandle handle = TestSections.handle(gone, "scripted", "scripted", Mandatory.NEVER, List.of(),
                List.of(), TestSections.TIMEOUT);
        // still a SectionGone past the worker, naming its handle: its caller may take the sections again
        SectionGone failure = assertThrows(SectionGone.class, () -> handle.parse(fragment));
        assertEquals("cookie section scripted has gone", failure.getMessage());
        assertSame(handle, failure.section().orElseThrow());
        assertEquals(0, released.get());
    }

    @Test
    public void sectionRunsOnAWorkerThread() throws Exception {
        AtomicReference<Thread> thread = new AtomicReference<>();
        source.section.behaviour = () -> {
            thread.set(Thread.currentThread());
            return "v";
        };
        handle().parse(fragment);
        assertNotSame(Thread.currentThread(), thread.get());
    }

    @Test
    public void failuresDoNotBreakLaterCalls() throws Exception {
        SectionHandle handle = handle();
        source.section.behaviour = () -> {
            throw new IllegalArgumentException("once");
        };
        assertThrows(SectionFailure.class, () -> handle.parse(fragment));
        source.section.behaviour = () -> "fine";
        assertEquals("fine", handle.parse(fragment));
        assertBalanced(2);
    }

    @Test
    public void handleDescribesItsSection() {
        assertEquals("scripted (test/scripted/0.0.0)", handle().toString());
    }
}
