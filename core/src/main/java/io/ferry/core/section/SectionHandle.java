package io.ferry.core.section;

import io.ferry.api.cookie.CookieException;
import io.ferry.api.cookie.SectionContext;
import io.ferry.api.cookie.SideStream;
import java.io.OutputStream;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
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
     * The calls of one section that may be under way at once while one of them outlives its limit (deaf to
     * interruption, it still holds a worker): a quarter of the registry's workers (the testkit embeds this class alone).
     */
    public static final int MAX_OVERRUNNING = 16;
    /**
     * The calls of one section under way at once, whatever they do: the registry's 64 workers less a share, which the
     * other sections and the built-ins keep. Calls of a section that hangs all pass the share until the first reaches
     * its limit (30 s by default), so only this bounds them. Above PeerCalls.ALL_PEERS (40): every peer's Prepare at
     * once, and 8 of this host's own migrations beside them, of a healthy section still run (a cap at the share
     * refused them).
     */
    public static final int MAX_IN_FLIGHT = 48;

    private final SectionDescriptor descriptor;
    private final SectionSource source;
    private final SectionWorkers workers;
    private final Duration timeout;
    /** The migrations that have a bake, eat or stream of this section under way. */
    private final Set<String> busy = ConcurrentHashMap.newKeySet();
    /** This section's calls under way, its feature's over all its handles on these workers. */
    private final SectionWorkers.Share share;

    /** A handle whose calls are counted alone: the testkit's and the benchmarks', on a pool of their own. */
    public SectionHandle(SectionDescriptor descriptor, SectionSource source, ExecutorService workers, Duration timeout) {
        this(descriptor, source, new SectionWorkers(workers), timeout);
    }

    public SectionHandle(SectionDescriptor descriptor, SectionSource source, SectionWorkers workers, Duration timeout) {
        this.descriptor = descriptor;
        this.source = source;
        this.workers = workers;
        this.timeout = timeout;
        this.share = workers.share(descriptor.feature());
    }

    public SectionDescriptor descriptor() {
        return descriptor;
    }

    Duration timeout() {
        return timeout;
    }

    ExecutorService workers() {
        return workers.pool();
    }

    SectionSource source() {
        return source;
    }

    /**
     * Counts a call of this section in, or refuses it: once one of its calls outlived its limit and still runs, beyond
     * {@link #MAX_OVERRUNNING} under way; beyond {@link #MAX_IN_FLIGHT} in any case. A healthy section (no call past its
     * limit) is refused only at the latter. Each call counted in is counted out by {@link #callEnded()}.
     */
    void admit(String what) throws SectionFailure {
        while (true) {
            int running = share.inFlight.get();
            int overrunning = share.overrunning.get();
            if (running >= MAX_IN_FLIGHT || overrunning > 0 && running >= MAX_OVERRUNNING) {
                String why = running >= MAX_IN_FLIGHT
                        ? "already runs " + running + " calls, the most one section may (the others keep the rest of the workers)"
                        : "still runs " + running + " calls" + (overrunning < running ? ", " + overrunning + " of them" : "")
                                + " past their limit (deaf to interruption)";
                throw new SectionFailure("cookie section " + descriptor.feature() + " " + why + ": " + what + " refused", null,
                        this);
            }
            if (share.inFlight.compareAndSet(running, running + 1)) {
                return;
            }
        }
    }

    /** A call {@link #admit} counted in has ended. */
    void callEnded() {
        share.inFlight.decrementAndGet();
    }

    /** A call of this section outlived its limit and still runs. */
    void overran() {
        share.overrunning.incrementAndGet();
    }

    /** A call that had outlived its limit has ended. */
    void overrunEnded() {
        share.overrunning.decrementAndGet();
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
     * other calls, with ten times their time limit (a stream carries bulk), or the longest a {@link Duration} holds.
     */
    public void stream(String migrationId, SideStream.Writer writer, OutputStream out) throws CookieException {
        Duration longest = ChronoUnit.FOREVER.getDuration();
        Duration limit = timeout.compareTo(longest.dividedBy(10)) > 0 ? longest : timeout.multipliedBy(10);
        call("stream", migrationId, limit, section -> {
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
