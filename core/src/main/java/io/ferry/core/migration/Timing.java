package io.ferry.core.migration;

/**
 * How long this daemon waits for the parties of its migrations before it settles them alone.
 *
 * @param driverTimeoutMillis a driver silent this long (no call under way, no keepalive) is gone
 * @param confirmWaitMillis a source left after Perform this long without Confirm asks the destination itself,
 *        even while its driver still speaks up
 * @param finishWaitMillis a destination whose memory arrived this long ago without a Finish gives up
 * @param sectionWaitMillis how long a pinned section that may be mandatory can be away (its bundle being
 *        updated) before the migration gives up on it
 * @param pausedSectionWaitMillis the same while the guest is paused (the source's Perform, the destination's Finish
 *        before the commit): short, a bundle update's gap (FileInstall stops the old bundle, the new one registers)
 *        being tens of milliseconds, so that a section removed for good adds little to the downtime before the rollback
 * @param dataSilenceMillis a direct data connection that moves no byte this long has lost its peer (a host gone
 *        without closing it): the destination stops reading, the source stops writing, and the migration fails
 */
public record Timing(long driverTimeoutMillis, long confirmWaitMillis, long finishWaitMillis, long sectionWaitMillis,
        long pausedSectionWaitMillis, long dataSilenceMillis) {
    public static final Timing DEFAULT = new Timing(8_000, 60_000, 120_000, 10_000, 2_000, 30_000);
}
