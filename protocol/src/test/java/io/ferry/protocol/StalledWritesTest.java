package io.ferry.protocol;

import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.util.concurrent.CountDownLatch;
import org.junit.Test;

/** The stall guards share one watchdog thread: a disconnect that blocks (a TLS close) must not stop the others. */
public class StalledWritesTest {
    @Test(timeout = 30_000) // a hang guard only
    public void aDisconnectThatBlocksDoesNotStopAnotherGuards() throws Exception {
        CountDownLatch wedged = new CountDownLatch(1);
        CountDownLatch never = new CountDownLatch(1);
        StalledWrites first = StalledWrites.guard(new Blocked(), 100, () -> {
            wedged.countDown();
            await(never); // a close that waits on a lock the blocked write holds
        });
        Thread writer = new Thread(() -> {
            try {
                first.write(1);
            } catch (IOException e) {
                // not reached: nothing ends this write
            }
        }, "wedged writer");
        writer.setDaemon(true);
        writer.start();
        wedged.await();
        try {
            Blocked stream = new Blocked();
            StalledWrites second = StalledWrites.guard(stream, 100, stream.released::countDown);

            assertThrows(IOException.class, () -> second.write(1));
            assertTrue("the second guard's watchdog closed it", second.stalled());
        } finally {
            never.countDown();
        }
    }

    /** A stream whose writes block until it is released, and then fail, as a closed socket's do. */
    private static final class Blocked extends OutputStream {
        final CountDownLatch released = new CountDownLatch(1);

        @Override
        public void write(int b) throws IOException {
            await(released);
            throw new IOException("Socket closed");
        }
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
