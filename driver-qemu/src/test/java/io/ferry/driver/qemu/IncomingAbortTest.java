package io.ferry.driver.qemu;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.api.hypervisor.HypervisorException;
import java.io.IOException;
import java.io.InputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * The operator's domjobabort stops an arriving migration wherever its feed is: while QEMU takes the stream, while a
 * wedged QEMU takes nothing of it, and while QEMU loads what it was sent; a wedged QEMU nobody aborts fails the feed
 * at the progress timeout. Each test's time limit is a hang guard: the feed would otherwise go on for good.
 */
public class IncomingAbortTest {
    private static final String ABORTED = "migration aborted by user";

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    @Test(timeout = 30_000)
    public void anAbortStopsAFeedQemuTakes() throws Exception {
        Guests.Control control = new Guests.Control();
        Endless feed = new Endless();
        control.abort = () -> feed.read.get() > 64 << 20; // QEMU took the first 64 MiB
        assertEquals(ABORTED, receive(feed, control, true));
    }

    @Test(timeout = 30_000) // the old code blocked for good in its write to QEMU
    public void anAbortStopsAFeedQemuNoLongerTakes() throws Exception {
        Guests.Control control = new Guests.Control();
        Endless feed = new Endless();
        control.abort = feed::stalled; // true once the feed waits on QEMU (it read nothing for a second)
        assertEquals(ABORTED, receive(feed, control, false));
    }

    @Test(timeout = 30_000)
    public void anAbortStopsTheWaitForQemuToLoadTheStream() throws Exception {
        Guests.Control control = new Guests.Control();
        control.abort = () -> true; // the stream was all sent (it is empty); QEMU never says it loaded it
        assertEquals(ABORTED, receive(InputStream.nullInputStream(), control, true));
    }

    @Test(timeout = 30_000) // without the progress timeout a wedged QEMU holds the migration's job for good
    public void aQemuThatTakesNothingFailsTheFeedAtTheProgressTimeout() throws Exception {
        String message = receive(new Endless(), new Guests.Control(), false, 1_000);
        assertTrue(message, message.matches("incoming migration of domain 'arriving' failed: "
                + "QEMU took nothing of the stream for 1\\.0 s after \\d+ bytes"));
    }

    private String receive(InputStream in, Guests.Control control, boolean qemuReads) throws Exception {
        return receive(in, control, qemuReads, 60_000);
    }

    /** Feeds {@code in} to a QEMU whose monitor says yes to everything; the message of the feed's failure. */
    private String receive(InputStream in, Guests.Control control, boolean qemuReads, long progressTimeoutMillis)
            throws Exception {
        DomainSpec spec = Guests.spec("arriving", 32, "0");
        RunFiles files = new RunFiles(tmp.newFolder("run").toPath());
        files.prepare(null);
        QemuSettings settings = Guests.settings(tmp.newFolder("state").toPath(), progressTimeoutMillis);
        QemuProcess process = QemuProcess.start(List.of("sleep", "600"), tmp.getRoot().toPath().resolve("vm.log"));
        try (FakeQmp qemu = new FakeQmp(files.qmp(), (command, out) -> FakeQmp.write(out,
                "{\"return\": {}, \"id\": \"" + FakeQmp.id(command) + "\"}\n"));
                ServerSocketChannel incoming = ServerSocketChannel.open(StandardProtocolFamily.UNIX)
                        .bind(UnixDomainSocketAddress.of(files.incoming()));
                Qmp qmp = Qmp.connect(files.qmp(), 10_000, () -> true, () -> "")) {
            if (qemuReads) {
                drain(incoming);
            }
            QemuVirtualMachine vm = Guests.vm(spec, files, process, qmp, settings, () -> { });
            new IncomingMigration(vm, settings).receive(in, control);
            fail("the feed ended although it was aborted");
            return null;
        } catch (HypervisorException e) {
            return e.getMessage();
        } finally {
            process.kill();
        }
    }

    /** QEMU reading the whole stream, as fast as it comes. */
    private static void drain(ServerSocketChannel incoming) {
        Thread reader = new Thread(() -> {
            try (SocketChannel stream = incoming.accept()) {
                ByteBuffer buffer = ByteBuffer.allocate(1 << 20);
                while (stream.read(buffer.clear()) >= 0) {
                    // taken
                }
            } catch (IOException e) {
                // the feed hung up: the test asserts what it said
            }
        }, "qemu-incoming");
        reader.setDaemon(true);
        reader.start();
    }

    /** A stream without end that knows how much was read of it, and whether its reader has stopped reading. */
    private static final class Endless extends InputStream {
        final AtomicLong read = new AtomicLong();
        private volatile long lastReadAt = System.nanoTime();

        @Override
        public int read() {
            return 0;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            read.addAndGet(len);
            lastReadAt = System.nanoTime();
            return len;
        }

        /** No read for a second: the feed is stuck in a write that QEMU does not take. */
        boolean stalled() {
            return System.nanoTime() - lastReadAt > 1_000_000_000L;
        }
    }
}
