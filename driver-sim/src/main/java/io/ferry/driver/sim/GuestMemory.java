package io.ferry.driver.sim;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.LongBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Locale;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * Guest RAM: a file mapped in chunks (one mapping holds at most 2 GiB), addressed in 4 KiB pages. A page is first
 * written through the file (see {@link #writePages}); only then may the guest store into it through the mapping,
 * where its block is already in place. Every access holds the read lock so that {@link #close} never pulls the
 * mapping from under a reader.
 */
final class GuestMemory {
    static final int PAGE_SIZE = 4096;
    static final int DEFAULT_CHUNK_BYTES = 1 << 30;
    /** Bytes per write of {@link #fill}. */
    private static final int FILL_BLOCK_BYTES = 1 << 20;
    private static final byte[] ZERO_PAGE = new byte[PAGE_SIZE];

    private final Path file;
    private final long bytes;
    private final int chunkShift;
    private final long chunkMask;
    private final MappedByteBuffer[] chunks;
    /** Kept open for {@link #writePage}: writing a fresh sparse file through the mapping faults every page. */
    private final FileChannel channel;
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    /** Pages that may hold data: each write marks its pages first; a clear bit is a page that is zero. */
    private final DirtyBitmap written;
    private boolean closed; // guarded by lock

    private GuestMemory(Path file, long bytes, int chunkBytes, FileChannel channel, boolean fresh) throws IOException {
        this.written = new DirtyBitmap(bytes / PAGE_SIZE, !fresh);
        this.channel = channel;
        this.chunks = map(channel, bytes, chunkBytes);
        this.file = file;
        this.bytes = bytes;
        this.chunkShift = Integer.numberOfTrailingZeros(chunkBytes);
        this.chunkMask = chunkBytes - 1L;
    }

    /**
     * A new memory file of {@code bytes} zero bytes (sparse), replacing any previous one, that only its owner may
     * read ({@link OwnerOnly}).
     */
    static GuestMemory create(Path file, long bytes, int chunkBytes) throws IOException {
        Files.deleteIfExists(file); // a previous one keeps its permissions: this one is new, with its own
        FileChannel channel = FileChannel.open(file, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                StandardOpenOption.WRITE), OwnerOnly.file(file));
        try {
            channel.write(ByteBuffer.allocate(1), bytes - 1); // extends the file without writing blocks
            return new GuestMemory(file, bytes, chunkBytes, channel, true);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    /** The memory file a previous daemon left; its size must be {@code bytes}. */
    static GuestMemory open(Path file, long bytes, int chunkBytes) throws IOException {
        FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
        try {
            if (channel.size() != bytes) {
                throw new IOException("memory file " + file + " has " + channel.size() + " bytes, the domain "
                        + bytes);
            }
            return new GuestMemory(file, bytes, chunkBytes, channel, false); // what it holds is not known
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    private static MappedByteBuffer[] map(FileChannel channel, long bytes, int chunkBytes) throws IOException {
        if (Integer.bitCount(chunkBytes) != 1 || chunkBytes < PAGE_SIZE) {
            throw new IllegalArgumentException("chunk size must be a power of two of at least a page");
        }
        MappedByteBuffer[] chunks = new MappedByteBuffer[(int) ((bytes + chunkBytes - 1) / chunkBytes)];
        for (int i = 0; i < chunks.length; i++) {
            long position = (long) i * chunkBytes;
            chunks[i] = channel.map(FileChannel.MapMode.READ_WRITE, position, Math.min(chunkBytes, bytes - position));
            chunks[i].order(ByteOrder.LITTLE_ENDIAN); // same content on every host, whatever its byte order
        }
        return chunks;
    }

    long bytes() {
        return bytes;
    }

    Path file() {
        return file;
    }

    long pageCount() {
        return bytes / PAGE_SIZE;
    }

    /**
     * A reader of pages for one transfer or one digest: positional reads on a channel of its own, not copies out of
     * the mapping, where the first touch of each page costs a page fault (reading 1 GiB that way took four times as
     * long on ext4 here, fifteen times on tmpfs). A channel of its own, because a thread interrupted while it reads a
     * {@code FileChannel} closes that channel: only the reader's, never the one the guest's writes go through.
     */
    PageReader reader() throws IOException {
        lock.readLock().lock();
        try {
            checkOpen();
            return new PageReader(FileChannel.open(file, StandardOpenOption.READ));
        } finally {
            lock.readLock().unlock();
        }
    }

    /** See {@link #reader}. */
    final class PageReader implements AutoCloseable {
        private final FileChannel channel;

        private PageReader(FileChannel channel) {
            this.channel = channel;
        }

        /** Copies {@code count} pages from {@code first} on into {@code into} at {@code offset}. */
        void read(long first, int count, byte[] into, int offset) throws IOException {
            lock.readLock().lock();
            try {
                long position = offset(first);
                offset(first + count - 1);
                ByteBuffer buffer = ByteBuffer.wrap(into, offset, count * PAGE_SIZE);
                while (buffer.hasRemaining()) {
                    if (channel.read(buffer, position + buffer.position() - offset) < 0) {
                        throw new EOFException("memory file " + file + " ends before page " + (first + count - 1));
                    }
                }
            } finally {
                lock.readLock().unlock();
            }
        }

        @Override
        public void close() throws IOException {
            channel.close();
        }
    }

    /**
     * Writes a page through the file rather than the mapping (the page cache is the same): on a fresh sparse
     * file a write allocates in bulk where a store through the mapping takes a page fault per page, about
     * three times slower on a disk-backed file; and a full disk is an {@code IOException}, not a SIGBUS.
     */
    void writePage(long page, byte[] from) throws IOException {
        writePages(page, 1, from, 0);
    }

    /**
     * Writes {@code count} pages from {@code from} at {@code offset} to the pages from {@code first} on, in one write.
     * The pages are marked written first (a page that may hold data is never taken for zero); a write that fails
     * unmarks the pages it newly marked and did not reach, which have no block to read (a full tmpfs faults on them).
     */
    void writePages(long first, int count, byte[] from, int offset) throws IOException {
        lock.readLock().lock();
        try {
            long position = offset(first);
            offset(first + count - 1);
            long[] fresh = new long[count];
            int marked = 0;
            for (long page = first; page < first + count; page++) {
                if ((written(page >>> 6) & (1L << page)) == 0) {
                    written.mark(page);
                    fresh[marked++] = page;
                }
            }
            ByteBuffer buffer = ByteBuffer.wrap(from, offset, count * PAGE_SIZE);
            try {
                write(buffer, position);
            } catch (IOException e) {
                long reached = first + (buffer.position() - offset + PAGE_SIZE - 1) / PAGE_SIZE;
                for (int i = 0; i < marked; i++) {
                    if (fresh[i] >= reached) {
                        written.clear(fresh[i]);
                    }
                }
                throw e;
            }
        } finally {
            lock.readLock().unlock();
        }
    }

    /** Makes a page zero: nothing to do for one never written (a fresh file is zero), zeros written otherwise. */
    void zeroPage(long page) throws IOException {
        if ((written(page >>> 6) & (1L << page)) != 0) {
            writePage(page, ZERO_PAGE);
            written.clear(page);
        }
    }

    /** Which pages of the 64 of {@code word} (bit i: page 64 word + i) may hold data; the others are zero. */
    long written(long word) {
        return written.peek((int) word);
    }

    private void write(ByteBuffer buffer, long position) throws IOException {
        while (buffer.hasRemaining()) {
            position += channel.write(buffer, position);
        }
    }

    /**
     * What a busy guest does to a page: overwrites {@code count} random longs of it. A page already written through
     * the file has its block: the stores go through the mapping. A page never written (an idle boot's, a zero page
     * that arrived as a header) is written through the file first, so that a full disk is an {@code IOException}
     * and not a SIGBUS; {@code page} is the caller's scratch page for that.
     */
    void scribble(long index, SplittableRandom random, int count) throws IOException {
        scribble(index, random, count, new byte[PAGE_SIZE]);
    }

    void scribble(long index, SplittableRandom random, int count, byte[] page) throws IOException {
        lock.readLock().lock();
        try {
            long offset = offset(index);
            if ((written(index >>> 6) & (1L << index)) != 0) {
                MappedByteBuffer chunk = chunks[(int) (offset >>> chunkShift)];
                int base = (int) (offset & chunkMask);
                for (int i = 0; i < count; i++) {
                    chunk.putLong(base + random.nextInt(PAGE_SIZE / Long.BYTES) * Long.BYTES, random.nextLong());
                }
                return;
            }
        } finally {
            lock.readLock().unlock();
        }
        Arrays.fill(page, (byte) 0); // never written: zero, and not read (a hole of a full tmpfs faults when touched)
        ByteBuffer longs = ByteBuffer.wrap(page).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < count; i++) {
            longs.putLong(random.nextInt(PAGE_SIZE / Long.BYTES) * Long.BYTES, random.nextLong());
        }
        writePage(index, page);
    }

    /**
     * Fills the whole memory with xorshift64* output from {@code seed}: the same seed, the same content. Written
     * through the file, not the mapping: on a full file system a write fails with "No space left on device"
     * where a store through the mapping into a page with no block behind it kills the thread with SIGBUS. Once
     * every block is written, the guest's stores through the mapping find their blocks in place.
     */
    void fill(long seed) throws IOException {
        lock.readLock().lock();
        try {
            checkOpen();
            written.markAll();
            long x = seed == 0 ? 0x9E3779B97F4A7C15L : seed;
            ByteBuffer block = ByteBuffer.allocate((int) Math.min(FILL_BLOCK_BYTES, bytes)).order(ByteOrder.LITTLE_ENDIAN);
            LongBuffer longs = block.asLongBuffer();
            for (long position = 0; position < bytes; position += block.capacity()) {
                for (int i = 0; i < longs.capacity(); i++) {
                    x ^= x >>> 12;
                    x ^= x << 25;
                    x ^= x >>> 27;
                    longs.put(i, x * 0x2545F4914F6CDD1DL);
                }
                block.clear().limit((int) Math.min(block.capacity(), bytes - position));
                write(block, position);
            }
        } finally {
            lock.readLock().unlock();
        }
    }

    /** The digest's text: {@code crc32c:<hex>/<pages>}. */
    static String digest(int crc, long pages) {
        return String.format(Locale.ROOT, "crc32c:%08x/%d", crc, pages);
    }

    /**
     * Releases the mapping; with {@code delete} also the file. Java 17 cannot unmap a buffer before it is
     * collected, so the file is truncated first: its blocks are freed at once, and nothing touches the stale
     * mapping since every access checks {@code closed} under the lock.
     */
    void close(boolean delete) throws IOException {
        lock.writeLock().lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            Arrays.fill(chunks, null);
            channel.close();
            if (delete && Files.exists(file)) {
                try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
                    channel.truncate(0);
                }
                Files.deleteIfExists(file);
            }
        } finally {
            lock.writeLock().unlock();
        }
    }

    private long offset(long page) {
        checkOpen();
        if (page < 0 || page >= pageCount()) {
            throw new IndexOutOfBoundsException("page " + page + " of " + pageCount());
        }
        return page * PAGE_SIZE;
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("guest memory " + file + " is released");
        }
    }
}
