package io.ferry.core.section;

import io.ferry.api.cookie.CookieException;
import io.ferry.api.cookie.CookieSection;
import io.ferry.api.cookie.SectionContext;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.MDC;
import org.w3c.dom.Element;

/**
 * The only way the core calls a section: each call gets the section object, runs on a worker thread with a
 * time limit, turns anything the section throws into a {@link SectionFailure} naming it, and gives the object
 * back. A plug-in's bug or hang therefore fails one call, never the daemon.
 */
public final class SectionHandle {
    private final SectionDescriptor descriptor;
    private final SectionSource source;
    private final ExecutorService workers;
    private final Duration timeout;

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
        return call("parse", section -> section.parse(fragment));
    }

    public void format(Object value, Element fragment) throws CookieException {
        call("format", section -> {
            section.format(value, fragment);
            return null;
        });
    }

    /** The value an eater assumes when the cookie lacks this section, or null. */
    public Object absent() throws CookieException {
        return call("absent", CookieSection::absent);
    }

    public Optional<Object> bake(SectionContext context) throws CookieException {
        Optional<Object> baked = call("bake", section -> section.bake(context));
        return baked == null ? Optional.empty() : baked;
    }

    public void eat(SectionContext context, Object value) throws CookieException {
        call("eat", section -> {
            section.eat(context, value);
            return null;
        });
    }

    private interface SectionCall<R> {
        R apply(CookieSection<Object> section) throws Exception;
    }

    private <R> R call(String what, SectionCall<R> call) throws CookieException {
        CookieSection<Object> section = source.acquire();
        Map<String, String> logContext = MDC.getCopyOfContextMap();
        Future<R> future = workers.submit(() -> {
            if (logContext != null) {
                MDC.setContextMap(logContext);
            }
            try {
                return call.apply(section);
            } finally {
                MDC.clear();
            }
        });
        try {
            return future.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof CookieException cookie && !(cause instanceof SectionFailure)) {
                throw new CookieException(cookie.getMessage(), cookie);
            }
            throw new SectionFailure("cookie section " + descriptor.feature() + " failed in " + what + ": " + describe(cause), cause);
        } catch (TimeoutException e) {
            future.cancel(true);
            throw new SectionFailure("cookie section " + descriptor.feature() + " did not finish " + what + " within "
                    + describe(timeout));
        } catch (InterruptedException e) {
            future.cancel(true);
            Thread.currentThread().interrupt();
            throw new SectionFailure("interrupted while cookie section " + descriptor.feature() + " ran " + what);
        } finally {
            source.release(section);
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
