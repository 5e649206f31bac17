package io.ferry.driver.qemu;

import java.io.IOException;
import java.io.OutputStream;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The destination's side of a migration through the core's stream: the pipe to the incoming QEMU's standard input
 * ({@link QemuProcess#incomingPipe}), written on a thread of its own. The JDK writes a pipe only blocking, and a QEMU
 * that stops reading must not keep the caller from seeing an abort or the progress timeout: the caller waits on each
 * write's future, and a write it gives up on ends with QEMU (the core destroys a VM whose arrival failed).
 */
final class IncomingFeed implements AutoCloseable {
    /** The most written at once: a pipe's buffer, so that {@link #tookAt} moves while QEMU takes anything. */
    private static final int SLICE_BYTES = 64 * 1024;

    private final OutputStream pipe;
    private final ExecutorService writer;
    private volatile long tookAt = System.nanoTime();

    IncomingFeed(OutputStream pipe, String name) {
        this.pipe = pipe;
        this.writer = Executors.newSingleThreadExecutor(task -> {
            Thread thread = new Thread(task, "qemu-" + name + "-migration-in");
            thread.setDaemon(true);
            return thread;
        });
    }

    /** Begins writing {@code bytes[0, length)}; done once QEMU's pipe took them all. Not reused until then. */
    Future<?> write(byte[] bytes, int length) {
        tookAt = System.nanoTime(); // the time the stream took to bring them is not QEMU's
        return writer.submit(() -> {
            for (int offset = 0; offset < length; offset += SLICE_BYTES) {
                pipe.write(bytes, offset, Math.min(SLICE_BYTES, length - offset));
                pipe.flush(); // the JDK buffers a short write
                tookAt = System.nanoTime();
            }
            return null;
        });
    }

    /** Begins ending the stream: QEMU reads its end once it took the rest. */
    Future<?> end() {
        tookAt = System.nanoTime();
        return writer.submit(() -> {
            pipe.close();
            return null;
        });
    }

    /** When QEMU last took part of a write, or when the write began. */
    long tookAt() {
        return tookAt;
    }

    /** Closes the pipe after the write under way, if any: at once, or once QEMU takes it or ends. */
    @Override
    public void close() {
        writer.submit(() -> {
            try {
                pipe.close();
            } catch (IOException e) {
                // QEMU went: the pipe is closed anyway
            }
        });
        writer.shutdown();
    }
}
