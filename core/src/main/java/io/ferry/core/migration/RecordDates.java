package io.ferry.core.migration;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The dates of the journal's records (their files' modification times: when their migrations ended), and whether the
 * wall clock can judge them. A step of the wall clock removed records still needed: stepped forward ({@code date -s}
 * with a wrong year, a host resumed after a long suspend), records of migrations that ended minutes before looked
 * long ended; behind (a bad RTC at boot, until chrony stepped it), the records written then were dated in the past,
 * and went once the clock was right. A source told "unknown" of such a record takes it for aborted and resumes with
 * its own released lease state, which the lock manager refuses once the destination's Finish moved the leases on.
 */
final class RecordDates {
    private static final Logger LOG = LoggerFactory.getLogger(RecordDates.class);
    /** How far the wall clock may move against the monotonic one (slewing, drift) and still judge the records. */
    static final Duration STEP_TOLERATED = Duration.ofHours(1);

    private final LongSupplier wall;
    private final LongSupplier monotonic;
    private final long wallMinusMonotonic;
    /** The newest date a record holds, in the wall clock's milliseconds. */
    private final AtomicLong newest;
    /** The step last warned of, so that a pass skipped for the same step does not warn again. */
    private final AtomicLong warnedStep = new AtomicLong();

    /**
     * @param wall the wall clock, in milliseconds
     * @param monotonic a clock no step moves, in milliseconds
     */
    RecordDates(Path directory, LongSupplier wall, LongSupplier monotonic) throws IOException {
        this.wall = wall;
        this.monotonic = monotonic;
        this.wallMinusMonotonic = wall.getAsLong() - monotonic.getAsLong();
        this.newest = new AtomicLong(newestIn(directory));
    }

    private static long newestIn(Path directory) throws IOException {
        long newest = Long.MIN_VALUE;
        try (DirectoryStream<Path> files = Files.newDirectoryStream(directory, "*.xml")) {
            for (Path file : files) {
                newest = Math.max(newest, Files.getLastModifiedTime(file).toMillis());
            }
        }
        return newest;
    }

    long monotonicMillis() {
        return monotonic.getAsLong();
    }

    /**
     * Dates a record just written no earlier than the newest the journal holds: written by a clock behind them, it
     * would look older than the records written before it, and be removed before them once the clock is right.
     */
    void dated(Path file) {
        try {
            long written = Files.getLastModifiedTime(file).toMillis();
            long floor = newest.accumulateAndGet(written, Math::max);
            if (written < floor) {
                Files.setLastModifiedTime(file, FileTime.fromMillis(floor));
            }
        } catch (IOException e) {
            LOG.warn("cannot date migration journal {} by the newest record before it: {}", file, e.getMessage());
        }
    }

    /**
     * The date before which an ended record goes (one in the future of the clock never does), or none while the wall
     * clock is this many away from where the monotonic one puts it since the start: a step, not time that passed.
     */
    OptionalLong endedBefore(Duration kept) {
        long now = wall.getAsLong();
        long step = now - monotonic.getAsLong() - wallMinusMonotonic;
        if (Math.abs(step) <= STEP_TOLERATED.toMillis()) {
            return OptionalLong.of(now - kept.toMillis());
        }
        long warned = warnedStep.get();
        if (Math.abs(step - warned) > STEP_TOLERATED.toMillis() && warnedStep.compareAndSet(warned, step)) {
            LOG.warn("journal: the wall clock is {} {} where the monotonic clock puts it since this daemon started (a"
                    + " step: date -s, a resume from suspend, a wrong clock at boot set right): records of ended"
                    + " migrations are not removed while it is; set the clock right before the daemon restarts, a"
                    + " start judges them by the clock it finds", span(step), step > 0 ? "ahead of" : "behind");
        }
        return OptionalLong.empty();
    }

    private static String span(long millis) {
        Duration d = Duration.ofMillis(Math.abs(millis));
        return d.toDays() >= 2 ? d.toDays() + " days" : d.toHours() >= 2 ? d.toHours() + " h" : d.toMinutes() + " min";
    }
}
