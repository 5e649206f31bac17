package io.ferry.core.migration;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/** The migration jobs of this host's domains, and the per-domain settings virsh can change at any time. */
public final class Jobs {
    /** libvirt's default maximum downtime, 300 ms. */
    public static final long DEFAULT_MAX_DOWNTIME_MS = 300;

    private final Map<String, LiveJob> active = new ConcurrentHashMap<>();
    private final Map<String, LiveJob> ended = new ConcurrentHashMap<>();
    private final Map<String, Long> speeds = new ConcurrentHashMap<>();
    private final Map<String, Long> downtimes = new ConcurrentHashMap<>();

    /** Starts a job; bandwidth in bytes per second (0: the domain's migrate-setspeed value, if any). */
    public LiveJob start(String domain, String operation, long bandwidth) {
        LiveJob job = new LiveJob(operation, bandwidth > 0 ? bandwidth : speeds.getOrDefault(domain, 0L),
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
        return Optional.ofNullable(ended.get(domain));
    }

    public Optional<LiveJob> active(String domain) {
        return Optional.ofNullable(active.get(domain));
    }

    /** migrate-setspeed: for the running job and the next ones. */
    public void setSpeed(String domain, long bytesPerSecond) {
        speeds.put(domain, bytesPerSecond);
        active(domain).ifPresent(job -> job.setMaxBandwidth(bytesPerSecond));
    }

    /** migrate-setmaxdowntime: for the running job and the next ones. */
    public void setMaxDowntime(String domain, long millis) {
        downtimes.put(domain, millis);
        active(domain).ifPresent(job -> job.setMaxDowntimeMillis(millis));
    }
}
