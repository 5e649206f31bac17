package io.ferry.driver.sim;

import io.ferry.api.hypervisor.HypervisorException;
import io.ferry.api.hypervisor.MigrationControl;
import io.ferry.api.hypervisor.MigrationStats;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UTFDataFormatException;
import java.util.BitSet;
import java.util.zip.CRC32C;

/**
 * The destination side of a memory transfer. The stream comes from the network: every frame is checked before
 * it touches memory, and the digest of the whole memory decides whether the transfer worked. That digest is
 * folded from the CRC of each page as it arrived ({@link SimVirtualMachine#arrivals}), so checking it costs
 * about a millisecond per GiB at switch-over instead of a read of the whole memory.
 */
final class MemoryReceiver {
    private static final System.Logger LOG = System.getLogger(MemoryReceiver.class.getName());
    private static final int BUFFER_BYTES = 64 * 1024;
    private static final int PAGE_BYTES = GuestMemory.PAGE_SIZE;
    private static final long PAGE = PAGE_BYTES;

    private final SimVirtualMachine vm;
    private final GuestMemory memory;
    private final MigrationControl control;
    private final byte[] run = new byte[MemoryStreamFormat.MAX_RUN_PAGES * PAGE_BYTES];
    private final CRC32C crc = new CRC32C();
    private final PageCrcs arrivals;
    private final BitSet seen;

    private long start;
    private long setupNanos;
    private long received; // stream bytes
    private long pages; // pages in PAGES and ZEROS frames, resent ones included
    private long distinct;
    private int round;
    private long nextProgress;
    private long sampleAt;
    private long sampleReceived;
    private long bandwidth;
    private long runFirst; // the frame being read
    private int runCount;

    MemoryReceiver(SimVirtualMachine vm, MigrationControl control) throws IOException {
        this.vm = vm;
        this.memory = vm.memory();
        this.control = control;
        this.arrivals = vm.arrivals();
        this.seen = new BitSet((int) memory.pageCount()); // at most 64 GiB: 16 Mi pages
    }

    MigrationStats receive(InputStream stream) throws IOException, HypervisorException {
        start = System.nanoTime();
        DataInputStream in = new DataInputStream(new BufferedInputStream(stream, BUFFER_BYTES));
        try {
            MemoryStreamFormat.readHeader(in, memory.pageCount(), vm.spec().uuid());
            received = MemoryStreamFormat.HEADER_BYTES;
            setupNanos = System.nanoTime() - start;
            sampleAt = System.nanoTime();
            nextProgress = sampleAt + MemorySender.PROGRESS_NANOS;
            while (true) {
                int type = in.read();
                switch (type) {
                    case -1 -> throw new EOFException();
                    case MemoryStreamFormat.PAGES -> pages(in);
                    case MemoryStreamFormat.ZEROS -> zeros(in);
                    case MemoryStreamFormat.ROUND -> round(in.readInt());
                    case MemoryStreamFormat.DONE -> {
                        return done(in);
                    }
                    default -> throw corrupt(String.format("unknown frame type 0x%02x", type));
                }
                if (control.aborted()) {
                    throw new HypervisorException("migration aborted by user");
                }
                if (System.nanoTime() >= nextProgress) {
                    report();
                }
            }
        } catch (UTFDataFormatException e) {
            throw corrupt("unreadable digest");
        } catch (EOFException e) {
            throw new HypervisorException("migration stream ended early after " + pages + " pages", e);
        }
    }

    /** Reads and checks the head of a PAGES or ZEROS frame into {@link #runFirst} and {@link #runCount}. */
    private void runHead(DataInputStream in, int maxCount, String what) throws IOException, HypervisorException {
        long index = in.readLong();
        int count = in.readInt();
        if (round == 0) {
            throw corrupt(what + " before the first round");
        }
        if (index < 0 || index >= memory.pageCount()) {
            throw corrupt("page index " + index + " out of range (" + memory.pageCount() + " pages)");
        }
        long most = Math.min(maxCount, memory.pageCount() - index);
        if (count < 1 || count > most) {
            throw corrupt(what + " of " + Integer.toUnsignedString(count) + " pages from page " + index + " (at most "
                    + most + ")");
        }
        runFirst = index;
        runCount = count;
    }

    private void pages(DataInputStream in) throws IOException, HypervisorException {
        runHead(in, MemoryStreamFormat.MAX_RUN_PAGES, "a page run");
        in.readFully(run, 0, runCount * PAGE_BYTES);
        write(runFirst, runCount, run);
        for (int i = 0; i < runCount; i++) {
            arrivals.set(runFirst + i, PageCrcs.crc(run, i * PAGE_BYTES, crc));
        }
        arrived(MemoryStreamFormat.RUN_HEAD_BYTES + (long) runCount * PAGE_BYTES);
    }

    /** Zero pages: nothing to write where the memory never got data (a fresh file is zero), zeros elsewhere. */
    private void zeros(DataInputStream in) throws IOException, HypervisorException {
        runHead(in, Integer.MAX_VALUE, "a zero run");
        long end = runFirst + runCount;
        for (long word = runFirst >>> 6; word <= (end - 1) >>> 6; word++) {
            for (long bits = memory.written(word); bits != 0; bits &= bits - 1) {
                long page = (word << 6) + Long.numberOfTrailingZeros(bits);
                if (page >= runFirst && page < end) {
                    zero(page);
                }
            }
        }
        arrivals.setZero(runFirst, runCount);
        arrived(MemoryStreamFormat.RUN_HEAD_BYTES);
    }

    private void write(long index, int count, byte[] from) throws HypervisorException {
        try {
            memory.writePages(index, count, from, 0);
        } catch (IOException e) {
            throw cannotWrite(e);
        }
    }

    private void zero(long page) throws HypervisorException {
        try {
            memory.zeroPage(page);
        } catch (IOException e) {
            throw cannotWrite(e);
        }
    }

    /** This host's own trouble (a full disk), not the stream's: said here, in its own words. */
    private HypervisorException cannotWrite(IOException e) {
        vm.forgetArrivals(); // what the failed write left is unknown
        String why = "cannot write the memory of domain '" + vm.spec().name() + "' to " + memory.file() + ": " + e.getMessage();
        LOG.log(System.Logger.Level.ERROR, why);
        return new HypervisorException(why, e);
    }

    private void arrived(long bytes) {
        pages += runCount;
        received += bytes;
        int from = (int) runFirst;
        int to = from + runCount;
        distinct += runCount - seen.get(from, to).cardinality();
        seen.set(from, to);
    }

    private void round(int next) throws HypervisorException {
        if (next != round + 1) {
            throw corrupt("round " + next + " after round " + round);
        }
        round = next;
        received += MemoryStreamFormat.ROUND_FRAME_BYTES;
        report();
    }

    private MigrationStats done(DataInputStream in) throws IOException, HypervisorException {
        String source = in.readUTF();
        if (source.length() > MemoryStreamFormat.MAX_DIGEST_CHARS) {
            throw corrupt("digest of " + source.length() + " characters");
        }
        // the peer's text goes into the refusal, the daemon's log and the job's error: a line break would forge lines
        int unprintable = source.chars().filter(c -> c < 0x20 || c > 0x7e).findFirst().orElse(-1);
        if (unprintable >= 0) {
            throw corrupt(String.format("digest holds the character U+%04X (printable ASCII only)", unprintable));
        }
        received += 1 + 2 + source.length();
        String destination = arrivals.digest();
        if (!destination.equals(source)) {
            throw new HypervisorException("memory digest mismatch: source " + source + " destination " + destination);
        }
        sample();
        MigrationStats stats = stats(0, true);
        control.progress(stats);
        return stats;
    }

    private void report() {
        sample();
        control.progress(stats((memory.pageCount() - distinct) * PAGE, false));
        nextProgress = System.nanoTime() + MemorySender.PROGRESS_NANOS;
    }

    /** Bandwidth over the last 10 to 100 ms. */
    private void sample() {
        long now = System.nanoTime();
        long span = now - sampleAt;
        if (span >= MemorySender.MIN_SAMPLE_NANOS || bandwidth == 0 && span > 0) {
            bandwidth = (long) ((received - sampleReceived) * 1e9 / span);
            if (span >= MemorySender.PROGRESS_NANOS) {
                sampleAt = now;
                sampleReceived = received;
            }
        }
    }

    /** The destination cannot see the guest dirty pages nor the source's pause: those figures stay 0. */
    private MigrationStats stats(long remaining, boolean verified) {
        return new MigrationStats(MemorySender.millis(System.nanoTime() - start), memory.bytes(), received,
                remaining, bandwidth, 0, round, 0, MemorySender.millis(setupNanos), PAGE, verified);
    }

    private static HypervisorException corrupt(String what) {
        return new HypervisorException("corrupt migration stream: " + what);
    }
}
