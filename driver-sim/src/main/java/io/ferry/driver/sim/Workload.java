package io.ferry.driver.sim;

import java.io.IOException;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;

/**
 * The guest at work: a thread that dirties random pages at a steady rate while the VM runs. Each dirtying
 * writes the page first and marks it in the migration's dirty bitmap (if one is active) after.
 */
final class Workload {
    private static final System.Logger LOG = System.getLogger(Workload.class.getName());
    private static final long TICK_NANOS = TimeUnit.MILLISECONDS.toNanos(10);
    private static final int LONGS_PER_DIRTYING = 8;

    private final GuestMemory memory;
    private final long pagesPerSecond;
    private final Supplier<DirtyBitmap> tracking;
    private final AtomicLong dirtied;
    private final Thread thread;
    private volatile boolean stopping;

    Workload(GuestMemory memory, long pagesPerSecond, Supplier<DirtyBitmap> tracking, AtomicLong dirtied,
            String threadName) {
        this.memory = memory;
        this.pagesPerSecond = pagesPerSecond;
        this.tracking = tracking;
        this.dirtied = dirtied;
        this.thread = new Thread(this::run, threadName);
        thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    /** Stops the thread and waits until it has: afterwards memory holds still. */
    void stop() {
        stopping = true;
        LockSupport.unpark(thread);
        boolean interrupted = false;
        while (thread.isAlive()) {
            try {
                thread.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private void run() {
        SplittableRandom random = new SplittableRandom();
        byte[] scratch = new byte[GuestMemory.PAGE_SIZE];
        long pages = memory.pageCount();
        long start = System.nanoTime();
        long done = 0;
        try {
            while (!stopping) {
                long due = (long) ((System.nanoTime() - start) / 1e9 * pagesPerSecond);
                if (due - done > pagesPerSecond / 10) {
                    done = due - pagesPerSecond / 10; // starved for long: do not make up for more than 100 ms
                }
                while (done < due && !stopping) {
                    long page = random.nextLong(pages);
                    memory.scribble(page, random, LONGS_PER_DIRTYING, scratch);
                    DirtyBitmap bitmap = tracking.get();
                    if (bitmap != null) {
                        bitmap.mark(page);
                    }
                    dirtied.incrementAndGet();
                    done++;
                }
                LockSupport.parkNanos(TICK_NANOS);
            }
        } catch (IllegalStateException released) {
            // the memory went away under a VM that is being torn down
        } catch (IOException e) { // a full disk under a sparse memory file: the guest stops writing, the host says why
            LOG.log(System.Logger.Level.ERROR, "the guest of {0} stopped writing its memory {1}: {2}", thread.getName(),
                    memory.file(), e.getMessage());
        }
    }
}
