package io.ferry.core.section;

import io.ferry.api.cookie.CookieException;
import io.ferry.protocol.Xml;
import io.ferry.api.cookie.CookieSection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.MDC;
import org.w3c.dom.Element;

/**
 * Section calls run one after another on one section worker, the way every section call runs: one call (a bake,
 * an eat, a stream) or all the pure calls of one cookie (each section's parse or absent, or each one's format),
 * which then cost one hand-off to a worker instead of one each (a hand-off costs tens of microseconds here, a
 * section's parse a few). Each call keeps its own section's time limit, counted from its start (the first one's
 * from the hand-off), holds its section object until it really ends, and fails naming its section and what it
 * was doing; the first failure ends the run.
 */
public final class SectionCalls {
    /** What a call does with its section object. */
    interface Call {
        Object apply(CookieSection<Object> section) throws Exception;
    }

    private record Step(SectionHandle handle, String what, Duration limit, Call call) {
    }

    /**
     * A call that threw: which one, and what it threw, read on the worker within the call's limit (an exception's
     * message is the section's code too: it may throw, or hang).
     */
    private static final class StepFailed extends Exception {
        private static final long serialVersionUID = 1L;
        private final int step;
        /** The thrown exception's own message, or null if it has none or it could not be read. */
        private final String message;
        private final String described;

        StepFailed(int step, Throwable cause) {
            super(null, cause, false, false); // Exception(cause) would read the cause's message here, unguarded
            this.step = step;
            this.message = messageOf(cause);
            this.described = describe(cause);
        }
    }

    /** The most of a section's message kept: enough for any reason, not a cookie quoted whole. */
    static final int MAX_MESSAGE_CHARS = 1000;

    private final List<Step> steps = new ArrayList<>();
    /** The running step and when it started, read by the caller to tell which call overran its limit. */
    private volatile int current;
    private volatile long startedNanos;
    /** Set when the caller stopped waiting: the calls after the one running must not start. */
    private volatile boolean abandoned;
    /**
     * Null until a worker runs the calls, then {@link #STARTED}; the section whose call outlived its limit, until they
     * end; then {@link #ENDED}. A run that never started (cancelled first) never counts as holding a worker.
     */
    private final AtomicReference<Object> overrun = new AtomicReference<>();
    private static final Object STARTED = new Object();
    private static final Object ENDED = new Object();
    private static final Duration LONGEST = Duration.ofNanos(Long.MAX_VALUE);
    /** The section whose call runs on this thread, while it runs. */
    private static final ThreadLocal<SectionHandle> RUNNING = new ThreadLocal<>();

    /**
     * The registration whose call runs on this thread, if a section's call runs on it: what the core's services a
     * section calls back into (its side stream's offer) know it by.
     */
    public static Optional<SectionHandle> running() {
        return Optional.ofNullable(RUNNING.get());
    }

    /** Run once the calls have really ended, by the worker; by the caller when it gave up before they started. */
    private Runnable ended = () -> { };

    public SectionCalls parse(SectionHandle handle, Element fragment) {
        return add(handle, "parse", handle.timeout(), section -> section.parse(fragment));
    }

    public SectionCalls format(SectionHandle handle, Object value, Element fragment) {
        return add(handle, "format", handle.timeout(), section -> {
            section.format(value, fragment);
            return null;
        });
    }

    /** The value an eater assumes when the cookie lacks {@code handle}'s section, or null. */
    public SectionCalls absent(SectionHandle handle) {
        return add(handle, "absent", handle.timeout(), CookieSection::absent);
    }

    SectionCalls add(SectionHandle handle, String what, Duration limit, Call call) {
        steps.add(new Step(handle, what, limit, call));
        return this;
    }

    /** Runs the calls on the first one's workers (a daemon has one pool): their results, in order. */
    public List<Object> run() throws CookieException {
        return run(() -> { });
    }

    /** As {@link #run()}, then {@code ended} once the last call has really ended (or none could start). */
    List<Object> run(Runnable ended) throws CookieException {
        if (steps.isEmpty()) {
            ended.run();
            return List.of();
        }
        Map<String, String> logContext = MDC.getCopyOfContextMap();
        this.ended = ended;
        current = 0;
        startedNanos = System.nanoTime();
        Step first = steps.get(0);
        try {
            first.handle().admit(first.what()); // here, not on a worker: a refused call takes none, not even for a moment
        } catch (SectionFailure refused) {
            ended.run();
            throw refused;
        }
        Future<Object[]> future;
        try {
            future = first.handle().workers().submit(() -> runSteps(logContext));
        } catch (RejectedExecutionException e) {
            first.handle().callEnded();
            ended.run();
            throw new SectionFailure("cookie section " + first.handle().descriptor().feature() + " cannot run " + first.what()
                    + ": every section worker of this daemon is busy");
        }
        return Arrays.asList(await(future));
    }

    private Object[] runSteps(Map<String, String> logContext) throws StepFailed {
        if (!overrun.compareAndSet(null, STARTED)) {
            return null; // the caller gave up before this started, and has ended the run itself
        }
        if (logContext != null) {
            MDC.setContextMap(logContext);
        }
        SectionHandle admitted = steps.get(0).handle(); // the call counted in and not yet out: the first, by run()
        try {
            Object[] results = new Object[steps.size()];
            for (int i = 0; i < results.length && !abandoned; i++) {
                if (i > 0) {
                    startedNanos = System.nanoTime();
                    current = i;
                }
                Step step = steps.get(i);
                try {
                    if (admitted == null) {
                        step.handle().admit(step.what());
                        admitted = step.handle();
                    }
                    CookieSection<Object> section = step.handle().source().acquire();
                    RUNNING.set(step.handle());
                    try {
                        results[i] = step.call().apply(section);
                    } finally {
                        RUNNING.remove();
                        step.handle().source().release(section); // only now: a timed-out call keeps its object until it ends
                    }
                } catch (Throwable t) { // a section's Error (stack overflow, say) must fail its call, not the worker
                    throw new StepFailed(i, t);
                } finally {
                    if (admitted != null) {
                        admitted.callEnded();
                        admitted = null;
                    }
                }
            }
            return results;
        } finally {
            if (admitted != null) { // the first call never ran: its caller gave up as it was handed over
                admitted.callEnded();
            }
            if (overrun.getAndSet(ENDED) instanceof SectionHandle overran) {
                overran.overrunEnded();
            }
            MDC.clear();
            ended.run();
        }
    }

    private Object[] await(Future<Object[]> future) throws CookieException {
        while (true) {
            int step = current;
            long started = startedNanos;
            long left = started + nanos(steps.get(step).limit()) - System.nanoTime(); // may wrap: the difference holds
            try {
                if (left <= 0 && !future.isDone()) {
                    if (step == current && started == startedNanos) {
                        abandoned = true;
                        SectionHandle overran = steps.get(step).handle();
                        if (overrun.compareAndSet(STARTED, overran)) { // running, not ended meanwhile: it holds its worker
                            overran.overran();
                        }
                        giveUp(future);
                        throw new SectionFailure("cookie section " + feature(step) + " did not finish " + steps.get(step).what()
                                + " within " + describe(steps.get(step).limit()), null, steps.get(step).handle());
                    }
                    continue; // the next call started meanwhile: its own limit counts now
                }
                return future.get(Math.max(left, 0), TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                // loop: either this call overran its limit or the next one started
            } catch (ExecutionException e) {
                throw failure(e.getCause());
            } catch (InterruptedException e) {
                abandoned = true;
                giveUp(future);
                Thread.currentThread().interrupt();
                throw new SectionFailure("interrupted while cookie section " + feature(current) + " ran " + steps.get(current).what());
            }
        }
    }

    /** A limit in nanoseconds; one a long cannot hold (over 292 years) as the longest it can, which never comes. */
    private static long nanos(Duration limit) {
        return limit.compareTo(LONGEST) < 0 ? limit.toNanos() : Long.MAX_VALUE;
    }

    /** Stops the run; if no worker started it, it never will, and its end is now (a section's busy mark, say). */
    private void giveUp(Future<Object[]> future) {
        future.cancel(true);
        if (overrun.compareAndSet(null, ENDED)) {
            steps.get(0).handle().callEnded(); // counted in by run()
            ended.run();
        }
    }

    private CookieException failure(Throwable thrown) {
        if (!(thrown instanceof StepFailed failed)) {
            return new SectionFailure("section worker failed: " + describe(thrown), thrown);
        }
        Throwable cause = failed.getCause();
        SectionHandle handle = steps.get(failed.step).handle();
        if (cause instanceof SectionGone gone) { // its caller may take the sections again: still a SectionGone
            return new SectionGone(gone, handle);
        }
        if (cause instanceof SectionFailure failure) { // the section holds too many workers: its own failure too
            return new SectionFailure(failure.getMessage(), failure, handle);
        }
        if (cause instanceof CookieException cookie && failed.message != null) { // its message as the section wrote it
            return new SectionFailure(failed.message, cookie, handle);
        }
        return new SectionFailure("cookie section " + feature(failed.step) + " failed in " + steps.get(failed.step).what() + ": "
                + failed.described, cause, handle);
    }

    private String feature(int step) {
        return steps.get(step).handle().descriptor().feature();
    }

    /** Whole seconds as "10 s"; anything finer in milliseconds, so that 300 ms is not shown as "0 s". */
    private static String describe(Duration timeout) {
        return timeout.toMillis() % 1000 == 0 ? timeout.toSeconds() + " s" : timeout.toMillis() + " ms";
    }

    private static String describe(Throwable cause) {
        String type = cause.getClass().getSimpleName();
        String message;
        try {
            message = cause.getMessage();
        } catch (Throwable unreadable) { // a section's exception whose getMessage fails
            return type + " (its message could not be read: " + unreadable.getClass().getSimpleName() + ")";
        }
        return message == null || message.isBlank() ? type : type + ": " + oneLine(message.replaceAll("\\s+", " "));
    }

    /** The message of a section's exception, or null if it has none or reading it failed. */
    private static String messageOf(Throwable cause) {
        try {
            String message = cause.getMessage();
            return message == null ? null : oneLine(message);
        } catch (Throwable unreadable) {
            return null;
        }
    }

    /**
     * A section's message as the daemon logs and replies it: it may quote what a peer sent (a cookie's text), so a
     * line break in it would forge log lines, and its length is the section's choice.
     */
    static String oneLine(String message) {
        return Xml.oneLine(message, MAX_MESSAGE_CHARS);
    }
}
