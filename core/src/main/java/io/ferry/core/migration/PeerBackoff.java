package io.ferry.core.migration;

/**
 * When a source asks its destination again what became of a migration that no answer settled (the destination down,
 * or still deciding): 1 s after the first ask, then twice as long after each ask left undecided, up to 30 s, so a long
 * outage neither floods the destination with asks nor the log with one warning a second. An answer starts it over.
 * Only the watchdog's asks wait for it; the first comes when the driver's silence or the confirm wait calls for it, and
 * the operator's ({@code domjobabort}, {@code resume}) go at once.
 */
final class PeerBackoff {
    static final long FIRST_MILLIS = 1_000;
    static final long MOST_MILLIS = 30_000;

    /** What {@link #changed} is given when the destination answers that the migration is still under way. */
    static final String IN_PROGRESS = "in progress";
    /** ... still under way because its Finish or Prepare holds the domain there right now ({@code Fate.busy}). */
    static final String BUSY = "in progress, the domain busy there";

    private long delay;
    private long nextAt;
    private String said;

    /** Whether the watchdog may ask again at {@code now} (ms). */
    synchronized boolean due(long now) {
        return delay == 0 || now - nextAt >= 0;
    }

    /** An ask at {@code now} left the migration undecided: the next waits longer. */
    synchronized void undecided(long now) {
        delay = delay == 0 ? FIRST_MILLIS : Math.min(MOST_MILLIS, delay * 2);
        nextAt = now + delay;
    }

    /** Whether no ask was left undecided since the last answer: the next one is the first of a round (worth a log line). */
    synchronized boolean fresh() {
        return delay == 0;
    }

    /**
     * Whether {@code state} (what the destination answered, or why it did not) differs from the last one noted, which
     * it becomes: the log says each once, not at every ask.
     */
    synchronized boolean changed(String state) {
        if (state.equals(said)) {
            return false;
        }
        said = state;
        return true;
    }

    /** Whether the destination's last word was that the migration is still under way there (not silence). */
    synchronized boolean saidInProgress() {
        return IN_PROGRESS.equals(said) || BUSY.equals(said);
    }

    /** Whether it was so because the migration's Finish or Prepare held the domain there: soon over, either way. */
    synchronized boolean saidBusy() {
        return BUSY.equals(said);
    }

    /** The delay before the next ask, 0 while none was left undecided. */
    synchronized long delayMillis() {
        return delay;
    }
}
