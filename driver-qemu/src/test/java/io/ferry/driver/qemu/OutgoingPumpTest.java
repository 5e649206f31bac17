package io.ferry.driver.qemu;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * The source's pump of QEMU's outgoing stream, closed while its copy is stuck in a stalled stream (a peer that takes
 * nothing): QEMU's connection is cut at once, so that QEMU's migration fails rather than waits on a write no one reads.
 */
public class OutgoingPumpTest {
    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    @Test
    public void closingThePumpCutsQemuOffWhileItsCopyIsStuck() throws Exception {
        CountDownLatch writing = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        OutputStream stalled = new OutputStream() {
            @Override
            public void write(int b) {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) {
                writing.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        };
        Path socket = tmp.getRoot().toPath().resolve("out.sock");
        try (OutgoingPump pump = new OutgoingPump(socket, stalled, "stalled");
                SocketChannel qemu = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            qemu.connect(UnixDomainSocketAddress.of(socket));
            qemu.write(ByteBuffer.wrap(new byte[4096]));
            assertTrue("the pump took QEMU's first bytes", writing.await(30, TimeUnit.SECONDS));

            pump.close();
            CompletableFuture<Integer> read = CompletableFuture.supplyAsync(() -> {
                try {
                    return qemu.read(ByteBuffer.allocate(1));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            assertEquals("QEMU's side ends", -1, (int) read.get(30, TimeUnit.SECONDS));
        } finally {
            release.countDown();
        }
    }
}
