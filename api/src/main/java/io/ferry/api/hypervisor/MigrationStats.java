package io.ferry.api.hypervisor;

/**
 * A memory transfer's figures, in libvirt's job-info terms.
 *
 * @param elapsedMillis time since the transfer started
 * @param total bytes of guest memory
 * @param processed bytes sent (source) or received (destination), resent pages included
 * @param remaining bytes still dirty
 * @param bandwidth recent throughput, bytes per second
 * @param dirtyRate pages dirtied per second by the guest
 * @param iteration the pre-copy round, from 1
 * @param downtimeMillis how long the guest was paused at switch-over (0 before)
 * @param setupMillis time before the first byte moved
 * @param pageSize bytes per page
 * @param memoryVerified the destination verified the digest of the whole memory
 */
public record MigrationStats(long elapsedMillis, long total, long processed, long remaining, long bandwidth,
        long dirtyRate, long iteration, long downtimeMillis, long setupMillis, long pageSize, boolean memoryVerified) {

    public static final MigrationStats NONE = new MigrationStats(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, false);

    /** Percent of the work done, as virsh's progress shows it. */
    public int percent() {
        return total == 0 ? 0 : (int) Math.min(100, Math.max(0, (total - remaining) * 100 / total));
    }
}
