package io.ferry.core.migration;

import io.ferry.core.domain.Domain;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * The migration jobs of this host's domains, and the per-domain settings virsh can change at any time. As libvirt keeps
 * them on its domain object, they belong to the domain's entry: a domain of the same name defined anew (after an
 * undefine, or one that left this host and came back) starts with no last job and no migrate-setspeed of its
 * predecessor's, and what a domain gone from this host left is dropped when a later job starts.
 */
public final class Jobs {
    /** libvirt's default maximum downtime, 300 ms. */
    public static final long DEFAULT_MAX_DOWNTIME_MS = 300;

    private final Function<String, Optional<Domain>> entries;
    /** The entry each name's jobs and settings belong to. */
    private final Map<String, Domain> owners = new ConcurrentHashMap<>();
    private final Map<String, LiveJob> active = new ConcurrentHashMap<>();
    private final Map<String, LiveJob> ended = new ConcurrentHashMap<>();
    private final Map<String, Long> speeds = new ConcurrentHashMap<>();
    private final Map<String, Long> downtimes = new ConcurrentHashMap<>();

    /** @param entries the domain entry of a name, as the host lists it now */
    public Jobs(Function<String, Optional<Domain>> entries) {
        this.entries = entries;
    }

    /**
     * Starts the job of migration {@code migration}; bandwidth in bytes per second (0: the domain's migrate-setspeed
     * value, if any).
     */
    public LiveJob start(String domain, String operation, String migration, long bandwidth) {
        forgetTheGone();
        current(domain);
        LiveJob job = new LiveJob(operation, migration, bandwidth > 0 ? bandwidth : speeds.getOrDefault(domain, 0L),
                downtimes.getOrDefault(domain, DEFAULT_MAX_DOWNTIME_MS));
        active.put(domain, job);
        return job;
    }

    /** Ends a job; one that did not succeed is recorded as failed, with its {@link LiveJob#error} or a generic one. */
    public void end(String domain, LiveJob job, boolean succeeded) {
        if (!succeeded) {
            job.failed("the migration failed");
        }
        if (active.remove(domain, job)) {
            ended.put(domain, job);
        }
    }

    /** The domain's last job that ended, succeeded or failed ({@link LiveJob#error}): {@code domjobinfo --completed}. */
    public Optional<LiveJob> lastEnded(String domain) {
        current(domain);
        return Optional.ofNullable(ended.get(domain));
    }

    public Optional<LiveJob> active(String domain) {
        return Optional.ofNullable(active.get(domain));
    }

    /** migrate-setspeed: for the running job and the next ones. */
    public void setSpeed(String domain, long bytesPerSecond) {
        current(domain);
        speeds.put(domain, bytesPerSecond);
        active(domain).ifPresent(job -> job.setMaxBandwidth(bytesPerSecond));
    }

    /** migrate-setmaxdowntime: for the running job and the next ones. */
    public void setMaxDowntime(String domain, long millis) {
        current(domain);
        downtimes.put(domain, millis);
        active(domain).ifPresent(job -> job.setMaxDowntimeMillis(millis));
    }

    /**
     * migrate-getspeed: the running job's cap (a {@code migrate --bandwidth} of its own, or the last migrate-setspeed),
     * else what the next job starts with; bytes per second, 0 for none.
     */
    public long speed(String domain) {
        current(domain);
        return active(domain).map(LiveJob::maxBandwidth).orElseGet(() -> speeds.getOrDefault(domain, 0L));
    }

    /** migrate-getmaxdowntime: the running job's, else what the next job starts with ({@value #DEFAULT_MAX_DOWNTIME_MS} ms unless set). */
    public long maxDowntime(String domain) {
        current(domain);
        return active(domain).map(LiveJob::maxDowntimeMillis).orElseGet(() -> downtimes.getOrDefault(domain, DEFAULT_MAX_DOWNTIME_MS));
    }

    /** How many names this keeps anything of: what a long-running daemon holds. */
    int namesKept() {
        return owners.size();
    }

    /** What is kept of {@code name} is its current entry's; a predecessor's is dropped. */
    private synchronized void current(String name) {
        Domain now = entries.apply(name).orElse(null);
        if (now != null && owners.get(name) != now) {
            forget(name);
            owners.put(name, now);
        }
    }

    /**
     * Drops what is kept of the names whose domain this host no longer lists as it was (a running job keeps its name),
     * at the next job's start: till then a failed arrival's job stays for the engine's callers to see.
     */
    private synchronized void forgetTheGone() {
        for (Map.Entry<String, Domain> owner : owners.entrySet()) {
            String name = owner.getKey();
            if (!active.containsKey(name) && entries.apply(name).orElse(null) != owner.getValue()) {
                forget(name);
            }
        }
    }

    private void forget(String name) {
        owners.remove(name);
        ended.remove(name);
        speeds.remove(name);
        downtimes.remove(name);
    }
}
