package io.ferry.core.migration;

/**
 * How long this daemon waits for the parties of its migrations before it settles them alone.
 *
 * @param driverTimeoutMillis a driver silent this long (no call under way, no keepalive) is gone
 * @param confirmWaitMillis a source left after Perform this long without Confirm asks the destination itself,
 *        even while its driver still speaks up
 * @param finishWaitMillis a destination whose memory arrived this long ago without a Finish gives up
 */
public record Timing(long driverTimeoutMillis, long confirmWaitMillis, long finishWaitMillis) {
    public static final Timing DEFAULT = new Timing(8_000, 60_000, 120_000);
}
