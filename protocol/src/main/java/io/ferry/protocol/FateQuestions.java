package io.ferry.protocol;

import io.ferry.protocol.Messages.Outcome;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * What a {@link MigrationDriver} asks a daemon once a reply was lost: whether the migration committed, and any call
 * that is safe to send again. A daemon that cannot be reached is asked again until the settle wait is over.
 */
final class FateQuestions {
    interface Question<T> {
        T ask() throws ChannelException;
    }

    private final long settleWaitMillis;

    /** @param settleWaitMillis how long an unreachable daemon is asked again before the driver gives up */
    FateQuestions(long settleWaitMillis) {
        this.settleWaitMillis = settleWaitMillis;
    }

    /**
     * The destination's answer to "abort unless committed", asked again while it cannot be reached or answers that the
     * migration is under way (the Finish whose reply was lost still holds its job there); {@link Outcome#IN_PROGRESS}
     * when it never said more. A destination with no record of the migration never prepared it, which is as good as
     * aborted.
     */
    Outcome settle(Peer destination, String id, String key) {
        return asked(() -> {
            Outcome outcome = destination.settle(id, key).outcome();
            return outcome == Outcome.UNKNOWN ? Outcome.ABORTED : outcome;
        }, true);
    }

    /** The source's record of the migration once its Confirm was refused; IN_PROGRESS when it cannot say. */
    static Outcome sourceSays(Peer source, String id, String key) {
        try {
            return source.fate(id, key).outcome();
        } catch (ChannelException e) {
            return Outcome.IN_PROGRESS;
        }
    }

    /**
     * {@code question}'s answer, asked again while the daemon cannot be reached (and, {@code untilFinal}, while it
     * answers that the migration is under way) until the settle wait is over; {@link Outcome#IN_PROGRESS} when it
     * never said more, or refused.
     */
    Outcome asked(Question<Outcome> question, boolean untilFinal) {
        try {
            return askedUntil(question, outcome -> !untilFinal || outcome != Outcome.IN_PROGRESS);
        } catch (ChannelException e) {
            return Outcome.IN_PROGRESS;
        }
    }

    /**
     * {@code question}'s first answer that is {@code enough}, asked again while the daemon cannot be reached or its
     * answer is not, until the settle wait is over: then its last answer. Throws a refusal, or the loss once the wait
     * is over.
     */
    <T> T askedUntil(Question<T> question, Predicate<T> enough) throws ChannelException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(settleWaitMillis);
        while (true) {
            T answer = null;
            ChannelException lost = null;
            try {
                answer = question.ask();
                if (enough.test(answer) || System.nanoTime() - deadline > 0) {
                    return answer;
                }
            } catch (ChannelException e) {
                if (e.refused() || System.nanoTime() - deadline > 0) {
                    throw e;
                }
                lost = e;
            }
            try {
                Thread.sleep(Math.min(500, settleWaitMillis));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                if (lost != null) {
                    throw lost;
                }
                return answer;
            }
        }
    }
}
