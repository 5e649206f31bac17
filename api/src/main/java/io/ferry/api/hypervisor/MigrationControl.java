package io.ferry.api.hypervisor;

import org.osgi.annotation.versioning.ProviderType;

/** What the core lets a driver's memory transfer read and report while it runs. */
@ProviderType
public interface MigrationControl {
    /** Current bandwidth cap in bytes per second, 0 for none; may change during the transfer (migrate-setspeed). */
    long maxBandwidth();

    /** Current longest acceptable pause at switch-over, in ms; may change (migrate-setmaxdowntime). */
    long maxDowntimeMillis();

    /** True once the user aborted the job (domjobabort); the transfer stops as soon as it sees it. */
    boolean aborted();

    /** Reports progress; called at least once per pre-copy round. */
    void progress(MigrationStats stats);
}
