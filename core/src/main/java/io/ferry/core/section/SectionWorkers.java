package io.ferry.core.section;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Section workers, and how many of them each section holds, counted by feature: a call that hangs outlives its
 * section's handle (a bundle's update makes a new one), so its count must too, or each redeploy of a hanging build
 * would take a new share. A daemon has one (its registry's); handles made on a bare pool count apart.
 */
public final class SectionWorkers {
    /** The calls of one section under way, and those of them past their limit (deaf to interruption). */
    static final class Share {
        final AtomicInteger inFlight = new AtomicInteger();
        final AtomicInteger overrunning = new AtomicInteger();
    }

    private final ExecutorService pool;
    private final Map<String, Share> shares = new ConcurrentHashMap<>();

    public SectionWorkers(ExecutorService pool) {
        this.pool = pool;
    }

    ExecutorService pool() {
        return pool;
    }

    /** One entry per feature ever registered here: a few, and a call still running must find its count. */
    Share share(String feature) {
        return shares.computeIfAbsent(feature, f -> new Share());
    }

    void shutdownNow() {
        pool.shutdownNow();
    }
}
