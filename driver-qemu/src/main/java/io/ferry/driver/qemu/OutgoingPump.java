package io.ferry.driver.qemu;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The source's side of a migration through the core's stream: QEMU migrates into a unix socket this pump
 * listens on, and the pump copies what arrives into the stream, on a thread of its own (the caller watches the
 * job meanwhile, and a stalled stream must not stop it).
 */
final class OutgoingPump implements AutoCloseable {
    private static final int BUFFER_BYTES = 256 * 1024;

    private final ServerSocketChannel server;
    private final OutputStream out;
    private final AtomicLong bytes = new AtomicLong();
    private final Thread thread;
    private volatile SocketChannel qemu;
    private volatile Throwable failure;
    private volatile boolean finished;

    OutgoingPump(Path socket, OutputStream out, String name) throws IOException {
        Files.deleteIfExists(socket);
        this.server = ServerSocketChannel.open(StandardProtocolFamily.UNIX).bind(UnixDomainSocketAddress.of(socket), 1);
        this.out = out;
        this.thread = new Thread(this::pump, "qemu-" + name + "-migration-out");
        thread.setDaemon(true);
        thread.start();
    }

    private void pump() {
        try (SocketChannel accepted = server.accept()) {
            qemu = accepted;
            server.close();
            InputStream in = Channels.newInputStream(accepted);
            byte[] buffer = new byte[BUFFER_BYTES];
            for (int n; (n = in.read(buffer)) >= 0;) {
                out.write(buffer, 0, n);
                bytes.addAndGet(n);
            }
            out.flush();
            finished = true;
        } catch (IOException | RuntimeException e) {
            failure = e;
        } finally {
            close();
        }
    }

    long bytes() {
        return bytes.get();
    }

    /** What stopped the pump, or null. */
    Throwable failure() {
        return failure;
    }

    /** Waits at most {@code millis} for QEMU's stream to be copied to its end; true once it is. */
    boolean awaitFinished(long millis) throws InterruptedException {
        thread.join(Math.max(1, millis));
        return finished;
    }

    /** Whether the pump has stopped without copying QEMU's stream to its end (read after its thread ended). */
    boolean failed() {
        return !thread.isAlive() && !finished; // in this order: a pump that ended has set finished, or never will
    }

    /** Stops taking QEMU's bytes (QEMU's side fails); a write blocked on the stream ends when its owner closes it. */
    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException e) {
            // closing anyway
        }
        SocketChannel accepted = qemu;
        if (accepted != null) {
            try {
                accepted.close();
            } catch (IOException e) {
                // closing anyway
            }
        }
    }
}
