package io.ferry.core.section;

import io.ferry.api.cookie.CookieException;
import io.ferry.api.cookie.SectionContext;
import io.ferry.api.cookie.SideStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import org.w3c.dom.Element;

/**
 * The only way the core calls a section (with {@link SectionCalls}, which runs the calls): each call runs on a
 * worker of the registry's bounded pool with a time limit, gets the section object on that worker and gives it
 * back only when the call has really ended (also when the caller stopped waiting), and turns anything the section
 * throws into a {@link SectionFailure} naming it. A section runs at most one bake, eat or side stream of a
 * migration at a time: a call that timed out and still runs holds the next one of the same migration off. A
 * plug-in's bug or hang therefore fails one call, never the daemon.
 */
public final class SectionHandle {
    /**
     * The calls of one section that may outlive their limit at once (deaf to interruption, they still hold a worker):
     * beyond this many, its further calls fail at once, and the daemon's other workers stay with the other sections.
     */
    public static final int MAX_OVERRUNNING = 16; // a quarter of the registry's workers (the testkit embeds this class alone)

    private final SectionDescriptor descriptor;
    private final SectionSource source;
    private final ExecutorService workers;
    private final Duration timeout;
    /** The migrations that have a bake, eat or stream of this section under way. */
    private final Set<String> busy = ConcurrentHashMap.newKeySet();
    /** This section's calls whose caller stopped waiting at their limit and that have not ended yet. */
    private final AtomicInteger overrunning = new AtomicInteger();

    public SectionHandle(SectionDescriptor descriptor, SectionSource source, ExecutorService workers, Duration timeout) {
        this.descriptor = descriptor;
        this.source = source;
        this.workers = workers;
        this.timeout = timeout;
    }

    public SectionDescriptor descriptor() {
        return descriptor;
    }

    Duration timeout() {
        return timeout;
    }

    ExecutorService workers() {
        return workers;
    }

    SectionSource source() {
        return source;
    }

    /** Refuses a call of a section that already holds {@link #MAX_OVERRUNNING} workers with calls past their limit. */
    void requireWorkersLeft(String what) throws SectionFailure {
        if (overrunning.get() >= MAX_OVERRUNNING) {
            throw new SectionFailure("cookie section " + descriptor.feature() + " still runs " + MAX_OVERRUNNING
                    + " calls past their limit (deaf to interruption): " + what + " refused");
        }
    }

    /** A call of this section outlived its limit and still runs. */
    void overran() {
        overrunning.incrementAndGet();
    }

    /** A call that had outlived its limit has ended. */
    void overrunEnded() {
        overrunning.decrementAndGet();
    }

    /** One pure call: {@link SectionCalls} runs a cookie's together. */
    public Object parse(Element fragment) throws CookieException {
        return new SectionCalls().parse(this, fragment).run().get(0);
    }

    public void format(Object value, Element fragment) throws CookieException {
        new SectionCalls().format(this, value, fragment).run();
    }

    /** The value an eater assumes when the cookie lacks this section, or null. */
    public Object absent() throws CookieException {
        return new SectionCalls().absent(this).run().get(0);
    }

    public Optional<Object> bake(SectionContext context) throws CookieException {
        Object baked = call("bake", migrationOf(context), timeout, section -> section.bake(context));
        return baked == null ? Optional.empty() : castOptional(baked);
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

    @SuppressWarnings("unchecked")
    private static Optional<Object> castOptional(Object baked) {
        return (Optional<Object>) baked;
    }

    /** A call of one migration, refused while an earlier call of the same migration still runs in this section. */
    private Object call(String what, String migrationId, Duration limit, SectionCalls.Call call) throws CookieException {
        if (migrationId != null && !busy.add(migrationId)) {
            throw new SectionFailure("cookie section " + descriptor.feature() + " still runs an earlier call of migration "
                    + migrationId + ": " + what + " refused");
        }
        return new SectionCalls().add(this, what, limit, call).run(() -> {
            if (migrationId != null) {
                busy.remove(migrationId);
            }
        }).get(0);
    }

    @Override
    public String toString() {
        return descriptor.feature() + " (" + descriptor.bundle() + ")";
    }
}
