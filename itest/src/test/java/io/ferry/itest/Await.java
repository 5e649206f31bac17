package io.ferry.itest;

import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/** Bounded polling for changes that happen on other threads (service registry, component activation). */
final class Await {
    private static final long POLL_MILLIS = 20;

    private Await() {
    }

    /**
     * Calls {@code probe} until its value satisfies {@code done}, for at most {@link FerryTestSupport#WAIT_MILLIS}.
     *
     * @return the first value that satisfied {@code done}
     * @throws AssertionError naming {@code what} and the last value seen, when time runs out
     */
    static <T> T until(String what, Callable<T> probe, Predicate<? super T> done) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(FerryTestSupport.WAIT_MILLIS);
        while (true) {
            T value = probe.call();
            if (done.test(value)) {
                return value;
            }
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("waited " + FerryTestSupport.WAIT_MILLIS + " ms for " + what + "; last seen: " + value);
            }
            Thread.sleep(POLL_MILLIS);
        }
    }
}
