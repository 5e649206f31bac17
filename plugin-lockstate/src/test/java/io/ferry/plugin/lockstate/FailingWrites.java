package io.ferry.plugin.lockstate;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.util.function.Supplier;

/** A file's channel whose positional writes can be made to stop half-way, as a full disk or an interrupt stops them. */
final class FailingWrites extends FileChannel {
    enum Failure {
        /** The write fails: the file's lock is still held. */
        FULL_DISK,
        /** The thread is interrupted: the JDK closes the channel, and the file's lock goes with it. */
        INTERRUPT
    }

    private final FileChannel file;
    private final Supplier<Failure> next;

    /** @param next the failure of the next write, or null */
    FailingWrites(FileChannel file, Supplier<Failure> next) {
        this.file = file;
        this.next = next;
    }

    @Override
    public int write(ByteBuffer src, long position) throws IOException {
        Failure failure = next.get();
        if (failure == null) {
            return file.write(src, position);
        }
        ByteBuffer half = src.duplicate();
        half.limit(src.position() + src.remaining() / 2);
        file.write(half, position);
        if (failure == Failure.INTERRUPT) {
            Thread.currentThread().interrupt();
            close();
            throw new ClosedByInterruptException();
        }
        throw new IOException("No space left on device");
    }

    @Override
    public int read(ByteBuffer dst, long position) throws IOException {
        return file.read(dst, position);
    }

    @Override
    public long size() throws IOException {
        return file.size();
    }

    @Override
    public void force(boolean metaData) throws IOException {
        file.force(metaData);
    }

    @Override
    public FileLock lock(long position, long size, boolean shared) throws IOException {
        return file.lock(position, size, shared);
    }

    @Override
    protected void implCloseChannel() throws IOException {
        file.close();
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        return file.read(dst);
    }

    @Override
    public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
        return file.read(dsts, offset, length);
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        return file.write(src);
    }

    @Override
    public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
        return file.write(srcs, offset, length);
    }

    @Override
    public long position() throws IOException {
        return file.position();
    }

    @Override
    public FileChannel position(long newPosition) throws IOException {
        file.position(newPosition);
        return this;
    }

    @Override
    public FileChannel truncate(long size) throws IOException {
        file.truncate(size);
        return this;
    }

    @Override
    public long transferTo(long position, long count, WritableByteChannel target) throws IOException {
        return file.transferTo(position, count, target);
    }

    @Override
    public long transferFrom(ReadableByteChannel src, long position, long count) throws IOException {
        return file.transferFrom(src, position, count);
    }

    @Override
    public MappedByteBuffer map(MapMode mode, long position, long size) throws IOException {
        return file.map(mode, position, size);
    }

    @Override
    public FileLock tryLock(long position, long size, boolean shared) throws IOException {
        return file.tryLock(position, size, shared);
    }
}
