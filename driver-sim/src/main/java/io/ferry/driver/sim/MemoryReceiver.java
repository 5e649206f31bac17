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

/**
 * The destination side of a memory transfer. The stream comes from the network: every frame is checked before
 * it touches memory, and the digest of the whole memory decides whether the transfer worked.
 */
final class MemoryReceiver {
    private static final System.Logger LOG = System.getLogger(MemoryReceiver.class.getName());
    private static final int BUFFER_BYTES = 64 * 1024;
    private static final long PAGE = GuestMemory.PAGE_SIZE;

    private final SimVirtualMachine vm;
    private final GuestMemory memory;
    private final MigrationControl control;
    private final byte[] page = new byte[GuestMemory.PAGE_SIZE];
    private final BitSet seen;

    private long start;
    private long setupNanos;
    private long received; // stream bytes
    private long pages; // page frames, resent ones included
    private long distinct;
    private int round;
    private long nextProgress;
    private long sampleAt;
    private long sampleReceived;
    private long bandwidth;

    MemoryReceiver(SimVirtualMachine vm, MigrationControl control) {
        this.vm = vm;
        this.memory = vm.memory();
        this.control = control;
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
            for (long frames = 1;; frames++) {
                int type = in.read();
                switch (type) {
                    case -1 -> throw new EOFException();
                    case MemoryStreamFormat.PAGE -> page(in);
                    case MemoryStreamFormat.ROUND -> round(in.readInt());
                    case MemoryStreamFormat.DONE -> {
                        return done(in);
                    }
                    default -> throw corrupt(String.format("unknown frame type 0x%02x", type));
                }
                if (frames % MemorySender.CHUNK_PAGES == 0) {
                    if (control.aborted()) {
                        throw new HypervisorException("migration aborted by user");
                    }
                    if (System.nanoTime() >= nextProgress) {
                        report();
                    }
                }
            }
        } catch (UTFDataFormatException e) {
            throw corrupt("unreadable digest");
        } catch (EOFException e) {
            throw new HypervisorException("migration stream ended early after " + pages + " pages", e);
        }
    }

    private void page(DataInputStream in) throws IOException, HypervisorException {
        long index = in.readLong();
        if (round == 0) {
            throw corrupt("page before the first round");
        }
        if (index < 0 || index >= memory.pageCount()) {
            throw corrupt("page index " + index + " out of range (" + memory.pageCount() + " pages)");
        }
        in.readFully(page);
        try {
            memory.writePage(index, page);
        } catch (IOException e) { // this host's own trouble (a full disk), not the stream's: said here, in its own words
            String why = "cannot write the memory of domain '" + vm.spec().name() + "' to " + memory.file() + ": " + e.getMessage();
            LOG.log(System.Logger.Level.ERROR, why);
            throw new HypervisorException(why, e);
        }
        pages++;
        received += MemoryStreamFormat.PAGE_FRAME_BYTES;
        if (!seen.get((int) index)) {
            seen.set((int) index);
            distinct++;
        }
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
        received += 1 + 2 + source.length();
        String destination = vm.memoryDigest();
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
