package io.ferry.driver.sim;

import io.ferry.api.hypervisor.HypervisorException;
import io.ferry.api.hypervisor.MigrationControl;
import io.ferry.api.hypervisor.MigrationStats;
import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.util.concurrent.TimeUnit;

/**
 * The source side of a memory transfer: pre-copy rounds while the guest runs, each sending the pages dirtied
 * since they were last sent, until what is left fits the allowed downtime at the measured throughput (or after
 * {@link #MAX_ROUNDS} rounds); then pause, the last dirty pages and the digest.
 */
final class MemorySender {
    static final int MAX_ROUNDS = 30;
    /** Pages between looks at abort, cap and clock. */
    static final int CHUNK_PAGES = 16;
    static final long PROGRESS_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    static final long MIN_SAMPLE_NANOS = TimeUnit.MILLISECONDS.toNanos(10);
    private static final int BUFFER_BYTES = 64 * 1024;
    private static final long PAGE = GuestMemory.PAGE_SIZE;

    private final SimVirtualMachine vm;
    private final GuestMemory memory;
    private final MigrationControl control;
    private final Throttle throttle;
    private final byte[] page = new byte[GuestMemory.PAGE_SIZE];

    private DirtyBitmap bitmap;
    private DataOutputStream out;
    private long start;
    private long setupNanos;
    private long downtimeNanos;
    private long sent; // stream bytes, resent pages included
    private long unpaced; // bytes written since the throttle last saw them
    private int round;
    private long nextProgress;
    private long sampleAt;
    private long sampleSent;
    private long sampleDirtied;
    private long bandwidth;
    private long dirtyRate;

    MemorySender(SimVirtualMachine vm, MigrationControl control, Throttle throttle) {
        this.vm = vm;
        this.memory = vm.memory();
        this.control = control;
        this.throttle = throttle;
    }

    MigrationStats send(OutputStream stream) throws IOException, HypervisorException {
        start = System.nanoTime();
        bitmap = new DirtyBitmap(memory.pageCount(), true); // round 1: every page
        vm.beginTracking(bitmap);
        boolean pausedHere = false;
        try {
            out = new DataOutputStream(new BufferedOutputStream(stream, BUFFER_BYTES));
            MemoryStreamFormat.writeHeader(out, new MemoryStreamFormat.Header(GuestMemory.PAGE_SIZE,
                    memory.pageCount(), vm.spec().uuid()));
            sent = MemoryStreamFormat.HEADER_BYTES;
            setupNanos = System.nanoTime() - start;
            sampleAt = System.nanoTime();
            sampleDirtied = vm.pagesDirtied();
            nextProgress = sampleAt + PROGRESS_NANOS;
            boolean converged;
            do {
                long roundStart = System.nanoTime();
                long roundSent = sent;
                sendRound();
                converged = fits(bitmap.count() * PAGE, sent - roundSent, System.nanoTime() - roundStart);
                report();
            } while (!converged && round < MAX_ROUNDS);

            pausedHere = vm.pauseIfRunning();
            long pausedAt = System.nanoTime();
            sendRound();
            String digest = vm.memoryDigest();
            MemoryStreamFormat.writeDone(out, digest);
            out.flush();
            sent += 1 + 2 + digest.length();
            downtimeNanos = System.nanoTime() - pausedAt;
            sample();
            MigrationStats stats = stats();
            control.progress(stats);
            return stats;
        } catch (IOException | HypervisorException | RuntimeException | Error e) {
            if (pausedHere) {
                try {
                    vm.resume();
                } catch (RuntimeException resumeFailure) {
                    e.addSuppressed(resumeFailure);
                }
            }
            throw e;
        } finally {
            vm.endTracking(bitmap);
        }
    }

    /** One round: a ROUND frame, then every dirty page, each bit cleared just before its page is copied. */
    private void sendRound() throws IOException, HypervisorException {
        MemoryStreamFormat.writeRound(out, ++round);
        sent += MemoryStreamFormat.ROUND_FRAME_BYTES;
        unpaced += MemoryStreamFormat.ROUND_FRAME_BYTES;
        int inChunk = 0;
        for (long index = bitmap.nextSet(0); index >= 0; index = bitmap.nextSet(index + 1)) {
            if (bitmap.testAndClear(index)) {
                memory.readPage(index, page);
                MemoryStreamFormat.writePage(out, index, page);
                sent += MemoryStreamFormat.PAGE_FRAME_BYTES;
                unpaced += MemoryStreamFormat.PAGE_FRAME_BYTES;
            }
            if (++inChunk == CHUNK_PAGES) {
                inChunk = 0;
                chunkDone();
            }
        }
        chunkDone();
    }

    private void chunkDone() throws IOException, HypervisorException {
        checkAborted();
        try {
            throttle.pace(unpaced, control::maxBandwidth, control::aborted);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("memory transfer interrupted");
        }
        unpaced = 0;
        checkAborted();
        if (System.nanoTime() >= nextProgress) {
            report();
        }
    }

    private void checkAborted() throws HypervisorException {
        if (control.aborted()) {
            throw new HypervisorException("migration aborted by user");
        }
    }

    /** Whether sending {@code dirtyBytes} would take no longer than the allowed downtime. */
    private boolean fits(long dirtyBytes, long roundBytes, long roundNanos) {
        if (dirtyBytes == 0) {
            return true;
        }
        double throughput = roundNanos > 0 && roundBytes >= CHUNK_PAGES * PAGE
                ? roundBytes * 1e9 / roundNanos
                : sent * 1e9 / Math.max(1, System.nanoTime() - start);
        long cap = control.maxBandwidth();
        if (cap > 0) {
            throughput = Math.min(throughput, cap);
        }
        return throughput > 0 && dirtyBytes * 1000 / throughput <= control.maxDowntimeMillis();
    }

    private void report() {
        sample();
        control.progress(stats());
        nextProgress = System.nanoTime() + PROGRESS_NANOS;
    }

    /** Bandwidth and dirty rate over the last 10 to 100 ms. */
    private void sample() {
        long now = System.nanoTime();
        long span = now - sampleAt;
        if (span >= MIN_SAMPLE_NANOS || bandwidth == 0 && span > 0) {
            long dirtied = vm.pagesDirtied();
            bandwidth = (long) ((sent - sampleSent) * 1e9 / span);
            dirtyRate = (long) ((dirtied - sampleDirtied) * 1e9 / span);
            if (span >= PROGRESS_NANOS) {
                sampleAt = now;
                sampleSent = sent;
                sampleDirtied = dirtied;
            }
        }
    }

    private MigrationStats stats() {
        return new MigrationStats(millis(System.nanoTime() - start), memory.bytes(), sent, bitmap.count() * PAGE,
                bandwidth, dirtyRate, round, millis(downtimeNanos), millis(setupNanos), PAGE, false);
    }

    static long millis(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(nanos);
    }
}
