package io.ferry.e2e;

import java.util.concurrent.Callable;

/** Waits for a condition with a generous bound; the bound is a failure, never a measurement. */
final class Poll {
    private static final long LIMIT_MILLIS = 60_000;

    private Poll() {
    }

    /** A condition that throws (a daemon that does not answer, say) ends the wait at once with its exception. */
    static void until(String what, Callable<Boolean> condition) throws Exception {
        long deadline = System.currentTimeMillis() + LIMIT_MILLIS;
        while (!condition.call()) {
            if (System.currentTimeMillis() > deadline) {
                throw new AssertionError("gave up waiting for " + what);
            }
            Thread.sleep(100);
        }
    }
}
