package io.ferry.core.section;

import io.ferry.api.cookie.CookieException;
import io.ferry.api.cookie.CookieSection;
import io.ferry.api.cookie.SectionContext;
import io.ferry.api.cookie.SideStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.MDC;
import org.w3c.dom.Element;

/**
 * The only way the core calls a section: each call runs on a worker of the registry's bounded pool with a time
 * limit, gets the section object on that worker and gives it back only when the call has really ended (also when
 * the caller stopped waiting), and turns anything the section throws into a {@link SectionFailure} naming it. A
 * section runs at most one bake, eat or side stream of a migration at a time: a call that timed out and still
 * runs holds the next one of the same migration off. A plug-in's bug or hang therefore fails one call, never the
 * daemon.
 */
public final class SectionHandle {
    private final SectionDescriptor descriptor;
    private final SectionSource source;
    private final ExecutorService workers;
    private final Duration timeout;
    /** The migrations that have a bake, eat or stream of this section under way. */
    private final Set<String> busy = ConcurrentHashMap.newKeySet();

    public SectionHandle(SectionDescriptor descriptor, SectionSource source, ExecutorService workers, Duration timeout) {
        this.descriptor = descriptor;
        this.source = source;
        this.workers = workers;
        this.timeout = timeout;
    }

    public SectionDescriptor descriptor() {
        return descriptor;
    }

    public Object parse(Element fragment) throws CookieException {
        return call("parse", null, timeout, section -> section.parse(fragment));
    }

    public void format(Object value, Element fragment) throws CookieException {
        call("format", null, timeout, section -> {
            section.format(value, fragment);
            return null;
        });
    }

    /** The value an eater assumes when the cookie lacks this section, or null. */
    public Object absent() throws CookieException {
        return call("absent", null, timeout, CookieSection::absent);
    }

    public Optional<Object> bake(SectionContext context) throws CookieException {
        Optional<Object> baked = call("bake", migrationOf(context), timeout, section -> section.bake(context));
        return baked == null ? Optional.empty() : baked;
    }

    public void eat(SectionContext context, Object value) throws CookieException {
        call("eat", migrationOf(context), timeout, section -> {
            section.eat(context, value);
            return null;
        });
    }

    /**
     * Runs the writer of this section's side stream for migration {@code migrationId} under the same rules as its
     * other calls, with ten times their time limit (a stream carries bulk).
     */
    public void stream(String migrationId, SideStream.Writer writer, OutputStream out) throws CookieException {
        call("stream", migrationId, timeout.multipliedBy(10), section -> {
            writer.writeTo(out);
            return null;
        });
    }

    private static String migrationOf(SectionContext context) {
        return context == null ? null : context.migrationId();
    }

    private interface SectionCall<R> {
        R apply(CookieSection<Object> section) throws Exception;
    }

    /** @param migrationId the migration the call belongs to, null for the pure calls (parse, format, absent) */
    private <R> R call(String what, String migrationId, Duration limit, SectionCall<R> call) throws CookieException {
        if (migrationId != null && !busy.add(migrationId)) {
            throw new SectionFailure("cookie section " + descriptor.feature() + " still runs an earlier call of migration "
                    + migrationId + ": " + what + " refused");
        }
        Map<String, String> logContext = MDC.getCopyOfContextMap();
        Future<R> future;
        try {
            future = workers.submit(() -> {
                if (logContext != null) {
                    MDC.setContextMap(logContext);
                }
                try {
                    CookieSection<Object> section = source.acquire();
                    try {
                        return call.apply(section);
                    } finally {
                        source.release(section); // only now: a timed-out call keeps its object until it ends
                    }
                } finally {
                    MDC.clear();
                    if (migrationId != null) {
                        busy.remove(migrationId);
                    }
                }
            });
        } catch (RejectedExecutionException e) {
            if (migrationId != null) {
                busy.remove(migrationId);
            }
            throw new SectionFailure("cookie section " + descriptor.feature() + " cannot run " + what
                    + ": every section worker of this daemon is busy");
        }
        try {
            return future.get(limit.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof SectionFailure failure) {
                throw failure;
            }
            if (cause instanceof CookieException cookie) {
                throw new CookieException(cookie.getMessage(), cookie);
            }
            throw new SectionFailure("cookie section " + descriptor.feature() + " failed in " + what + ": " + describe(cause), cause);
        } catch (TimeoutException e) {
            future.cancel(true);
            throw new SectionFailure("cookie section " + descriptor.feature() + " did not finish " + what + " within "
                    + describe(limit));
        } catch (InterruptedException e) {
            future.cancel(true);
            Thread.currentThread().interrupt();
            throw new SectionFailure("interrupted while cookie section " + descriptor.feature() + " ran " + what);
        }
    }

    /** Whole seconds as "10 s"; anything finer in milliseconds, so that 300 ms is not shown as "0 s". */
    private static String describe(Duration timeout) {
        return timeout.toMillis() % 1000 == 0 ? timeout.toSeconds() + " s" : timeout.toMillis() + " ms";
    }

    private static String describe(Throwable cause) {
        String message = cause.getMessage();
        String type = cause.getClass().getSimpleName();
        return message == null || message.isBlank() ? type : type + ": " + message.replaceAll("\\s+", " ");
    }

    @Override
    public String toString() {
        return descriptor.feature() + " (" + descriptor.bundle() + ")";
    }
}
