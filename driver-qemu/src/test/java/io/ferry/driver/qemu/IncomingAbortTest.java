package io.ferry.driver.qemu;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.api.hypervisor.HypervisorException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;
import org.junit.After;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * An arriving VM's memory fed from the core's stream to its QEMU, and to it alone: through the pipe that is its
 * standard input, which no QEMU a guest took over can reach (all QEMUs of a host share the driver's user). The
 * operator's domjobabort stops the feed wherever it is: while QEMU takes the stream, while a wedged QEMU takes nothing
 * of it, and while QEMU loads what it was sent; a wedged QEMU nobody aborts fails the feed at the progress timeout.
 * Each test's time limit is a hang guard: the feed would otherwise go on for good.
 */
public class IncomingAbortTest {
    private static final String ABORTED = "migration aborted by user";
    /** Stand-ins for an incoming QEMU: one that takes its whole stream, one that takes nothing of it. */
    private static final List<String> READS = List.of("sh", "-c", "cat > /dev/null");
    private static final List<String> WEDGED = List.of("sleep", "600");

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    private final List<QemuProcess> qemus = new ArrayList<>();

    @After
    public void killQemus() {
        qemus.forEach(QemuProcess::kill);
    }

    @Test(timeout = 30_000)
    public void anAbortStopsAFeedQemuTakes() throws Exception {
        Guests.Control control = new Guests.Control();
        Endless feed = new Endless();
        control.abort = () -> feed.read.get() > 64 << 20; // QEMU took the first 64 MiB
        assertEquals(ABORTED, receive(feed, control, READS));
    }

    @Test(timeout = 30_000) // the old code blocked for good in its write to QEMU
    public void anAbortStopsAFeedQemuNoLongerTakes() throws Exception {
        Guests.Control control = new Guests.Control();
        Endless feed = new Endless();
        control.abort = feed::stalled; // true once the feed waits on QEMU (it read nothing for a second)
        assertEquals(ABORTED, receive(feed, control, WEDGED));
    }

    @Test(timeout = 30_000)
    public void anAbortStopsTheWaitForQemuToLoadTheStream() throws Exception {
        Guests.Control control = new Guests.Control();
        control.abort = () -> true; // the stream was all sent (it is empty); QEMU never says it loaded it
        assertEquals(ABORTED, receive(InputStream.nullInputStream(), control, READS));
    }

    @Test(timeout = 30_000) // without the progress timeout a wedged QEMU holds the migration's job for good
    public void aQemuThatTakesNothingFailsTheFeedAtTheProgressTimeout() throws Exception {
        String message = receive(qemu(WEDGED), new Endless(), new Guests.Control(), 1_000, IncomingAbortTest::yes);
        assertTrue(message, message.matches("incoming migration of domain 'arriving' failed: "
                + "QEMU took nothing of the stream for 1\\.0 s after \\d+ bytes"));
    }

    /** QEMU starts its load at the first byte: a pipe closed before any would keep the feed waiting for good. */
    @Test(timeout = 30_000)
    public void anEmptyStreamFailsTheArrivalAtOnce() throws Exception {
        assertEquals("incoming migration of domain 'arriving' failed: the stream ended before any of it came",
                receive(InputStream.nullInputStream(), new Guests.Control(), READS));
    }

    /**
     * A QEMU a guest took over puts its own listener wherever {@code migrate-incoming} names a unix socket, before the
     * daemon connects (it finds the path in the arriving QEMU's command line, and may write where that QEMU may): the
     * whole memory would be its to read and to pass on edited.
     */
    @Test(timeout = 30_000)
    public void aQemuThatTookOverGetsNoneOfAnArrivingStream() throws Exception {
        byte[] memory = new byte[4 << 20];
        new Random(7).nextBytes(memory);
        Path read = tmp.getRoot().toPath().resolve("read.bin");
        QemuProcess qemu = qemu(List.of("sh", "-c", "cat > " + read));
        AtomicLong stolen = new AtomicLong();
        assertNull(receive(qemu, new ByteArrayInputStream(memory), new Guests.Control(), 60_000, (command, out) -> {
            String uri = FakeQmp.json(command).path("arguments").path("uri").asText();
            if (FakeQmp.command(command).equals("migrate-incoming") && uri.startsWith("unix:")) {
                impostor(Path.of(uri.substring("unix:".length())), stolen);
            }
            FakeQmp.write(out, "{\"return\": {" + (FakeQmp.command(command).equals("query-migrate")
                    ? "\"status\": \"completed\"" : "") + "}, \"id\": \"" + FakeQmp.id(command) + "\"}\n");
        }));
        assertEquals("bytes of the arriving VM's memory the impostor read", 0, stolen.get());
        assertTrue("QEMU read its stream to the end", qemu.awaitGone(10_000));
        assertArrayEquals("the memory QEMU read", memory, Files.readAllBytes(read));
    }

    /** The pipe closed with the daemon that started QEMU: the feed is refused before QEMU is told anything. */
    @Test(timeout = 30_000)
    public void aReattachedQemuIsNotFed() throws Exception {
        QemuProcess reattached = QemuProcess.attached(qemu(WEDGED).pid(), tmp.getRoot().toPath().resolve("vm.log"));
        List<String> commands = new CopyOnWriteArrayList<>();
        String message = receive(reattached, new ByteArrayInputStream(new byte[4096]), new Guests.Control(), 60_000,
                (command, out) -> {
                    commands.add(FakeQmp.command(command));
                    yes(command, out);
                });
        assertEquals("incoming migration of domain 'arriving' failed: its QEMU was not started by this daemon, and the"
                + " pipe to it closed with the daemon that started it", message);
        assertFalse(commands.toString(), commands.contains("migrate-incoming"));
    }

    /** The impostor: a listener at {@code socket} in place of QEMU's (renamed aside), reading what comes. */
    private static void impostor(Path socket, AtomicLong stolen) {
        try {
            Files.deleteIfExists(socket);
            ServerSocketChannel listener = ServerSocketChannel.open(StandardProtocolFamily.UNIX)
                    .bind(UnixDomainSocketAddress.of(socket));
            Thread reader = new Thread(() -> {
                try (listener; SocketChannel stream = listener.accept()) {
                    ByteBuffer buffer = ByteBuffer.allocate(1 << 20);
                    for (int n; (n = stream.read(buffer.clear())) >= 0;) {
                        stolen.addAndGet(n);
                    }
                } catch (IOException e) {
                    // the feed hung up
                }
            }, "impostor");
            reader.setDaemon(true);
            reader.start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A stand-in for an incoming QEMU running {@code argv}, its standard input the daemon's pipe; killed after. */
    private QemuProcess qemu(List<String> argv) throws HypervisorException {
        Path dir = tmp.getRoot().toPath();
        QemuProcess qemu = QemuProcess.start(argv, dir.resolve("vm.log"), true, dir);
        qemus.add(qemu);
        return qemu;
    }

    /** A monitor that says yes to everything: QEMU never says it loaded the stream. */
    private static void yes(String command, OutputStream out) {
        FakeQmp.write(out, "{\"return\": {}, \"id\": \"" + FakeQmp.id(command) + "\"}\n");
    }

    /** Feeds {@code in} to {@code argv} with {@link #yes} for its monitor; the message of the feed's failure. */
    private String receive(InputStream in, Guests.Control control, List<String> argv) throws Exception {
        String message = receive(qemu(argv), in, control, 60_000, IncomingAbortTest::yes);
        assertNotNull("the feed ended as if QEMU had loaded the stream", message);
        return message;
    }

    /**
     * Feeds {@code in} to {@code qemu}, whose monitor hands every command to {@code monitor}; the message of the
     * feed's failure, or null once QEMU said it loaded the stream.
     */
    private String receive(QemuProcess qemu, InputStream in, Guests.Control control, long progressTimeoutMillis,
            BiConsumer<String, OutputStream> monitor) throws Exception {
        DomainSpec spec = Guests.spec("arriving", 32, "0");
        RunFiles files = new RunFiles(tmp.newFolder("run").toPath());
        files.prepare(null);
        QemuSettings settings = Guests.settings(tmp.newFolder("state").toPath(), progressTimeoutMillis);
        try (FakeQmp fake = new FakeQmp(files.qmp(), monitor);
                Qmp qmp = Qmp.connect(files.qmp(), 10_000, () -> true, () -> "")) {
            QemuVirtualMachine vm = Guests.vm(spec, files, qemu, qmp, settings, () -> { });
            new IncomingMigration(vm, settings).receive(in, control);
            return null;
        } catch (HypervisorException e) {
            return e.getMessage();
        }
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
