package io.ferry.protocol;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.Test;

/** A streamed download (a side stream) read the way sections read one: through a buffered stream, under a time limit. */
public class ControlClientDownloadTest {
    private static final int BODY_BYTES = 5 * 1024 * 1024;

    @Test
    public void aChunkedDownloadReadThroughABufferedStreamArrivesWholeWithoutAllocatingItsSizeOverAndOver() throws Exception {
        byte[] body = new byte[BODY_BYTES];
        new SplittableRandom(11).nextBytes(body);
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/v1/stream", exchange -> {
            exchange.sendResponseHeaders(200, 0); // no length: a chunked body, as the daemon streams a section's writer
            try (OutputStream out = exchange.getResponseBody()) {
                for (int at = 0, step = 1; at < body.length; at += step, step = step % 9_000 + 1_000) { // uneven writes
                    out.write(body, at, Math.min(step, body.length - at));
                    out.flush();
                }
            }
        });
        server.start();
        try {
            ControlClient client = new ControlClient("ferry+tcp://127.0.0.1:" + server.getAddress().getPort());
            com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
            long allocatedBefore = threads.getCurrentThreadAllocatedBytes();
            byte[] received = new byte[body.length];
            int length = 0;
            try (InputStream download = client.download("stream", Map.of());
                    DataInputStream in = new DataInputStream(new BufferedInputStream(download, 64 * 1024))) {
                byte[] record = new byte[523];
                while (true) {
                    int read = in.read(record);
                    if (read < 0) {
                        break;
                    }
                    System.arraycopy(record, 0, received, length, read);
                    length += read;
                }
                // readFully at the end must see the end, not hang or invent bytes
                try {
                    in.readFully(record);
                    throw new AssertionError("bytes after the end of the body");
                } catch (EOFException expected) {
                    // the end
                }
            }
            long allocated = threads.getCurrentThreadAllocatedBytes() - allocatedBefore;

            assertArrayEquals("the body, byte for byte", body, Arrays.copyOf(received, length));
            // reading allocates the copy above and, as the chunks vary, the JDK's own buffers: 1-4 times the body in all;
            // asked available() after each short read, the JDK's chunked decoding allocated 85-250 times the body
            assertTrue("reading " + BODY_BYTES + " bytes allocated " + allocated + " bytes", allocated < 10L * BODY_BYTES);
        } finally {
            server.stop(0);
        }
    }

    @Test
    public void aReaderInterruptedAtItsTimeLimitStopsThoughThePeerTricklesBytesForEver() throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(Executors.newCachedThreadPool());
        server.createContext("/v1/stream", exchange -> {
            exchange.sendResponseHeaders(200, 0);
            try (OutputStream out = exchange.getResponseBody()) {
                while (true) { // a byte now and then, each well within the read timeout: the timeout never fires
                    out.write('x');
                    out.flush();
                    Thread.sleep(20);
                }
            } catch (IOException | InterruptedException e) {
                // the reader went away, or the server stops
            }
        });
        server.start();
        try {
            ControlClient client = new ControlClient("ferry+tcp://127.0.0.1:" + server.getAddress().getPort());
            AtomicReference<Throwable> ended = new AtomicReference<>();
            AtomicLong bytes = new AtomicLong();
            Thread section = new Thread(() -> { // a section's eat reading its side stream to the end
                try (InputStream in = new BufferedInputStream(client.download("stream", Map.of()))) {
                    while (in.read() >= 0) {
                        bytes.incrementAndGet();
                    }
                    ended.set(new AssertionError("the endless stream ended"));
                } catch (Throwable t) {
                    ended.set(t);
                }
            }, "section-reading");
            section.start();
            while (bytes.get() < 5) {
                Thread.sleep(10);
            }
            section.interrupt(); // what the core does to a call at its time limit
            section.join(20_000);

            assertFalse("the reader still reads: a trickling peer held its thread", section.isAlive());
            assertTrue("the read answered the interruption: " + ended.get(), ended.get() instanceof InterruptedIOException);
        } finally {
            server.stop(0);
        }
    }
}
