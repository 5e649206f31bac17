package io.ferry.core;

import java.util.concurrent.CountDownLatch;

/** Waits of a test's section as a stalled call waits: one that does not answer its time limit's interruption. */
public final class Latches {
    private Latches() {
    }

    /** Waits for {@code latch} whatever interrupts the thread, which is interrupted again once it opens. */
    public static void awaitUninterruptibly(CountDownLatch latch) {
        boolean interrupted = false;
        while (latch.getCount() > 0) {
            try {
                latch.await();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
