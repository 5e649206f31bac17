package io.ferry.core.migration;

import io.ferry.api.cookie.MigrationJob;
import io.ferry.api.hypervisor.MigrationControl;
import io.ferry.api.hypervisor.MigrationStats;

/**
 * A migration job's live controls and figures (domjobinfo, domjobabort, migrate-setspeed,
 * migrate-setmaxdowntime), handed to the driver as its {@link MigrationControl} and to sections as their
 * {@link MigrationJob}.
 */
public final class LiveJob implements MigrationControl, MigrationJob {
    private final String operation;
    private final String migration;
    private final long started = System.currentTimeMillis();
    private volatile long maxBandwidth;
    private volatile long maxDowntimeMillis;
    private volatile boolean aborted;
    private volatile MigrationStats stats = MigrationStats.NONE;
    private volatile String error;
    private volatile String holdup;

    /** @param migration the id of the migration this job is, or null (a probe) */
    public LiveJob(String operation, String migration, long maxBandwidth, long maxDowntimeMillis) {
        this.operation = operation;
        this.migration = migration;
        this.maxBandwidth = maxBandwidth;
        this.maxDowntimeMillis = maxDowntimeMillis;
    }

    /** "Outgoing migration" or "Incoming migration", as virsh names them. */
    public String operation() {
        return operation;
    }

    /**
     * The id of the migration this job is: what tells a {@code ferry migrate} waiting for the domain's job its own
     * migration's progress from another's (an operator's who holds the domain, or one begun after its own ended).
     */
    public String migration() {
        return migration;
    }

    public long started() {
        return started;
    }

    @Override
    public long startedMillis() {
        return started;
    }

    public MigrationStats stats() {
        return stats;
    }

    /** Why the job failed, or null: what {@code domjobinfo --completed} shows of a failed job. */
    public String error() {
        return error;
    }

    /**
     * What keeps this job, which has failed, from ending, or null: what {@code domjobinfo} shows of a running job (an
     * arrival whose abort waits for its incoming VM to die).
     */
    public String holdup() {
        return holdup;
    }

    void heldUp(String what) {
        holdup = what;
    }

    void failed(String why) {
        if (error == null) {
            error = why;
        }
    }

    public void abort() {
        aborted = true;
    }

    public void setMaxBandwidth(long bytesPerSecond) {
        maxBandwidth = bytesPerSecond;
    }

    public void setMaxDowntimeMillis(long millis) {
        maxDowntimeMillis = millis;
    }

    @Override
    public long maxBandwidth() {
        return maxBandwidth;
    }

    @Override
    public long maxDowntimeMillis() {
        return maxDowntimeMillis;
    }

    @Override
    public boolean aborted() {
        return aborted;
    }

    @Override
    public void progress(MigrationStats latest) {
        stats = latest;
    }
}
