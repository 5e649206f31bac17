package io.ferry.driver.sim;

import io.ferry.api.hypervisor.HypervisorException;
import io.ferry.api.hypervisor.MigrationControl;
import io.ferry.api.hypervisor.MigrationStats;
import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;

/**
 * The source side of a memory transfer: pre-copy rounds while the guest runs, each sending the pages dirtied
 * since they were last sent, until what is left fits the allowed downtime at the measured throughput (or after
 * {@link #MAX_ROUNDS} rounds); then pause, the last dirty pages and the digest. Pages go in runs of up to 64
 * (one frame, one write); a zero page costs no bytes but a share of a ZEROS frame. Each page's CRC is taken as
 * it is sent, so the digest at switch-over is a fold of those ({@link PageCrcs}), not a read of the memory.
 */
final class MemorySender {
    static final int MAX_ROUNDS = 30;
    /** Pages between looks at abort, cap and clock: a word of the dirty bitmap. */
    static final int CHUNK_PAGES = DirtyBitmap.WORD_PAGES;
    static final long PROGRESS_NANOS = TimeUnit.MILLISECONDS.toNanos(25);
    static final long MIN_SAMPLE_NANOS = TimeUnit.MILLISECONDS.toNanos(10);
    private static final int BUFFER_BYTES = 64 * 1024;
    private static final int PAGE_BYTES = GuestMemory.PAGE_SIZE;
    private static final long PAGE = PAGE_BYTES;
    private static final byte[] ZERO_PAGE = new byte[PAGE_BYTES];
    private static final int HEAD = MemoryStreamFormat.RUN_HEAD_BYTES;

    private final SimVirtualMachine vm;
    private final GuestMemory memory;
    private final MigrationControl control;
    private final Throttle throttle;
    /**
     * A run of pages as it goes out: page i at {@code HEAD + i * PAGE}, the frame head just before the first page
     * sent (in the tail of the zero page before it, which is done with, or in the room at the start).
     */
    private final byte[] run = new byte[HEAD + CHUNK_PAGES * PAGE_BYTES];
    private final byte[] small = new byte[HEAD];
    private final CRC32C crc = new CRC32C();
    private final PageCrcs crcs;

    private DirtyBitmap bitmap;
    private GuestMemory.PageReader pages;
    private DataOutputStream out;
    private long start;
    private long setupNanos;
    private long downtimeNanos;
    private long sent; // stream bytes, resent pages included
    private long unpaced; // bytes written since the throttle last saw them
    private int round;
    private long zeroFirst; // the ZEROS frame being gathered
    private int zeroCount;
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
        this.crcs = new PageCrcs(memory.pageCount());
    }

    MigrationStats send(OutputStream stream) throws IOException, HypervisorException {
        start = System.nanoTime();
        bitmap = new DirtyBitmap(memory.pageCount(), true); // round 1: every page
        vm.beginTracking(bitmap);
        boolean pausedHere = false;
        try {
            pages = memory.reader();
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
            String digest = crcs.digest();
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
            if (pages != null) {
                pages.close();
            }
        }
    }

    /**
     * One round: a ROUND frame, then every dirty page, a bitmap word at a time: the word is cleared just before
     * its pages are copied, so a write that races with the copy leaves its bit set and the page goes again. Pages
     * the memory never had written are zero without a look at them: an idle guest's sparse file is not read.
     */
    private void sendRound() throws IOException, HypervisorException {
        MemoryStreamFormat.writeRound(out, ++round);
        account(MemoryStreamFormat.ROUND_FRAME_BYTES);
        for (int word = 0; word < bitmap.words(); word++) {
            long bits = bitmap.take(word);
            boolean sentAny = bits != 0;
            long written = memory.written(word);
            long base = (long) word * CHUNK_PAGES;
            while (bits != 0) {
                int from = Long.numberOfTrailingZeros(bits);
                boolean data = (written >>> from & 1) != 0;
                long alike = bits & (data ? written : ~written);
                int to = from + Long.numberOfTrailingZeros(~(alike >>> from)); // 64 when the run reaches the top bit
                int count = Math.min(to, CHUNK_PAGES) - from;
                if (data) {
                    sendRun(base + from, count);
                } else {
                    crcs.setZero(base + from, count);
                    zeros(base + from, count);
                }
                bits = to >= CHUNK_PAGES ? 0 : bits & (-1L << to);
            }
            if (sentAny || (word & 1023) == 1023) {
                chunkDone();
            }
        }
        flushZeros();
        chunkDone();
    }

    /** Sends consecutive pages: the zero ones join the ZEROS frame being gathered, the others go in PAGES frames. */
    private void sendRun(long first, int count) throws IOException {
        pages.read(first, count, run, HEAD);
        int pagesFrom = -1; // the first page of the PAGES frame being gathered in run
        for (int i = 0; i < count; i++) {
            int offset = HEAD + i * PAGE_BYTES;
            if (Arrays.mismatch(run, offset, offset + PAGE_BYTES, ZERO_PAGE, 0, PAGE_BYTES) < 0) {
                pagesFrom = writePages(first, pagesFrom, i);
                crcs.set(first + i, PageCrcs.ZERO_PAGE);
                zeros(first + i, 1);
            } else {
                if (pagesFrom < 0) {
                    flushZeros();
                    pagesFrom = i;
                }
                crcs.set(first + i, PageCrcs.crc(run, offset, crc));
            }
        }
        writePages(first, pagesFrom, count);
    }

    /** Adds zero pages to the ZEROS frame being gathered, which goes first if they do not follow it. */
    private void zeros(long first, int count) throws IOException {
        if (zeroCount > 0 && zeroFirst + zeroCount == first) {
            zeroCount += count;
        } else {
            flushZeros();
            zeroFirst = first;
            zeroCount = count;
        }
    }

    /** Writes pages {@code from} to {@code to} (excluded) of the run as one PAGES frame, if {@code from >= 0}; returns -1. */
    private int writePages(long first, int from, int to) throws IOException {
        if (from >= 0) {
            int head = from * PAGE_BYTES; // HEAD bytes before page from's data
            MemoryStreamFormat.putRunHead(run, head, MemoryStreamFormat.PAGES, first + from, to - from);
            out.write(run, head, HEAD + (to - from) * PAGE_BYTES);
            account(HEAD + (long) (to - from) * PAGE_BYTES);
        }
        return -1;
    }

    private void flushZeros() throws IOException {
        if (zeroCount > 0) {
            MemoryStreamFormat.putRunHead(small, 0, MemoryStreamFormat.ZEROS, zeroFirst, zeroCount);
            out.write(small);
            account(HEAD);
            zeroCount = 0;
        }
    }

    private void account(long bytes) {
        sent += bytes;
        unpaced += bytes;
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
