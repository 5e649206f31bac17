package io.ferry.driver.sim;

import static io.ferry.driver.sim.Sim.MIB_KIB;
import static io.ferry.driver.sim.Sim.spec;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.api.hypervisor.HypervisorException;
import io.ferry.api.hypervisor.MigrationStats;
import io.ferry.api.hypervisor.VirtualMachine;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import org.junit.After;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** Memory transfer between two VMs, live, over real streams. */
public class MigrationTest {
    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    private final SimHypervisor source = new SimHypervisor(Sim.TEST_CHUNK);
    private final SimHypervisor destination = new SimHypervisor(Sim.TEST_CHUNK);

    @After
    public void stop() {
        source.deactivate();
        destination.deactivate();
    }

    private VirtualMachine boot(DomainSpec spec) throws Exception {
        return source.boot(spec, tmp.newFolder().toPath());
    }

    private VirtualMachine incoming(DomainSpec spec) throws Exception {
        return destination.createIncoming(spec, tmp.newFolder().toPath());
    }

    @Test
    public void liveMigrationOverLoopbackSockets() throws Exception {
        DomainSpec spec = spec("busy", UUID.randomUUID(), 32 * MIB_KIB, 20_000);
        VirtualMachine src = boot(spec);
        VirtualMachine dst = incoming(spec);
        Sim.Control sending = new Sim.Control();
        Sim.Control receiving = new Sim.Control();
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            FutureTask<MigrationStats> received = Sim.async("receiver", () -> {
                try (Socket socket = server.accept()) {
                    return dst.receiveMemory(socket.getInputStream(), receiving);
                }
            });
            MigrationStats sent;
            long start = System.nanoTime();
            try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort())) {
                sent = src.sendMemory(socket.getOutputStream(), sending);
            }
            MigrationStats in = received.get(60, TimeUnit.SECONDS);
            long nanos = System.nanoTime() - start;
            System.out.printf("loopback: %d MiB of memory, %.1f MiB sent in %d rounds, %d ms (%.0f MiB/s),"
                    + " downtime %d ms, last bandwidth %.0f MiB/s, dirty rate %d pages/s%n", spec.memoryKiB() / 1024,
                    sent.processed() / 1048576.0, sent.iteration(), nanos / 1_000_000,
                    sent.processed() / 1048576.0 / (nanos / 1e9), sent.downtimeMillis(),
                    sent.bandwidth() / 1048576.0, sent.dirtyRate());

            assertFalse("the source is left paused", src.isRunning());
            assertFalse(dst.isRunning());
            assertEquals(src.memoryDigest(), dst.memoryDigest());
            assertTrue(in.memoryVerified());
            assertFalse(sent.memoryVerified());
            assertSane(sent);
            assertSane(in);
            assertEquals(sent.processed(), in.processed());
            assertEquals(sent.iteration(), in.iteration());
            assertTrue(sent.iteration() >= 2); // the pre-copy rounds and the switch-over
            assertTrue(sending.reports.size() >= sent.iteration() - 1);
            assertTrue(receiving.reports.size() >= in.iteration());
        }
    }

    private static void assertSane(MigrationStats stats) {
        assertEquals(32L << 20, stats.total());
        assertTrue(stats.toString(), stats.processed() >= stats.total());
        assertEquals(0, stats.remaining());
        assertEquals(100, stats.percent());
        assertTrue(stats.iteration() >= 1);
        assertEquals(4096, stats.pageSize());
        assertTrue(stats.elapsedMillis() >= stats.downtimeMillis());
        assertTrue(stats.elapsedMillis() >= stats.setupMillis());
        assertTrue(stats.bandwidth() >= 0 && stats.dirtyRate() >= 0 && stats.downtimeMillis() >= 0);
    }

    @Test
    public void liveMigrationOverPipesWithoutConvergence() throws Exception {
        DomainSpec spec = spec("pipes", UUID.randomUUID(), 16 * MIB_KIB, 20_000);
        VirtualMachine src = boot(spec);
        VirtualMachine dst = incoming(spec);
        Sim.Control sending = new Sim.Control();
        sending.downtime = 0; // never fits while the guest writes: the round limit ends the pre-copy
        PipedInputStream in = new PipedInputStream(1 << 20);
        PipedOutputStream out = new PipedOutputStream(in);
        FutureTask<MigrationStats> received = Sim.async("receiver", () -> dst.receiveMemory(in, new Sim.Control()));
        MigrationStats sent;
        try (out) {
            sent = src.sendMemory(out, sending);
        }
        assertTrue(received.get(60, TimeUnit.SECONDS).memoryVerified());
        assertEquals(src.memoryDigest(), dst.memoryDigest());
        assertFalse(src.isRunning());
        assertTrue(sent.toString(), sent.iteration() >= 2 && sent.iteration() <= MemorySender.MAX_ROUNDS + 1);
        assertTrue(sent.processed() >= sent.total());
        // every round reported, remaining never above the total
        assertTrue(sending.reports.stream().allMatch(r -> r.remaining() <= r.total() && r.iteration() >= 1));
    }

    @Test
    public void abortMidTransferLeavesTheSourceRunning() throws Exception {
        DomainSpec spec = spec("abort", UUID.randomUUID(), 8 * MIB_KIB, 5000);
        VirtualMachine src = boot(spec);
        VirtualMachine dst = incoming(spec);
        PipedInputStream in = new PipedInputStream(1 << 16);
        PipedOutputStream out = new PipedOutputStream(in);
        FutureTask<MigrationStats> received = Sim.async("receiver", () -> dst.receiveMemory(in, new Sim.Control()));
        try (out) {
            HypervisorException e = assertThrows(HypervisorException.class,
                    () -> src.sendMemory(out, new Sim.Control().abortAfter(20))); // in round 1: 32 runs of 64 pages
            assertEquals("migration aborted by user", e.getMessage());
        }
        assertTrue(src.isRunning());
        ExecutionException failed = assertThrows(ExecutionException.class, () -> received.get(60, TimeUnit.SECONDS));
        assertTrue(failed.getCause().getMessage(), failed.getCause().getMessage()
                .matches("migration stream ended early after [1-9][0-9]* pages"));
        // the VM can be migrated again
        src.sendMemory(OutputStream.nullOutputStream(), new Sim.Control());
        assertFalse(src.isRunning());
    }

    @Test
    public void abortAtSwitchOverResumesTheSource() throws Exception {
        VirtualMachine src = boot(spec("late", UUID.randomUUID(), 8 * MIB_KIB, 5000));
        Sim.Control control = new Sim.Control();
        control.abort = () -> !src.isRunning(); // true once the sender has paused the guest
        HypervisorException e = assertThrows(HypervisorException.class,
                () -> src.sendMemory(OutputStream.nullOutputStream(), control));
        assertEquals("migration aborted by user", e.getMessage());
        assertTrue(src.isRunning());
    }

    @Test
    public void aBrokenStreamLeavesTheVmAsItWas() throws Exception {
        VirtualMachine running = boot(spec("broken", UUID.randomUUID(), 8 * MIB_KIB, 5000));
        assertThrows(IOException.class, () -> running.sendMemory(failingAfter(1 << 20), new Sim.Control()));
        assertTrue(running.isRunning());
        // failing after the pause: resumed again
        assertThrows(IOException.class, () -> running.sendMemory(new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                check();
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                check();
            }

            private void check() throws IOException {
                if (!running.isRunning()) {
                    throw new IOException("connection reset");
                }
            }
        }, new Sim.Control()));
        assertTrue(running.isRunning());
        // a VM the user had paused stays paused
        running.pause();
        assertThrows(IOException.class, () -> running.sendMemory(failingAfter(1 << 20), new Sim.Control()));
        assertFalse(running.isRunning());
    }

    private static OutputStream failingAfter(long bytes) {
        return new OutputStream() {
            private long written;

            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                written += len;
                if (written > bytes) {
                    throw new IOException("broken pipe");
                }
            }
        };
    }

    @Test
    public void oneMigrationAtATime() throws Exception {
        VirtualMachine src = boot(spec("twice", UUID.randomUUID(), 8 * MIB_KIB, 0));
        PipedInputStream in = new PipedInputStream(1 << 16);
        PipedOutputStream out = new PipedOutputStream(in); // nobody reads: the first transfer blocks
        FutureTask<MigrationStats> first = Sim.async("first", () -> src.sendMemory(out, new Sim.Control()));
        assertTrue(Sim.eventually(() -> {
            try {
                return in.available() > 0;
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        }));
        HypervisorException e = assertThrows(HypervisorException.class,
                () -> src.sendMemory(new ByteArrayOutputStream(), new Sim.Control()));
        assertEquals("a migration of domain 'twice' is already in progress", e.getMessage());
        in.close();
        assertThrows(ExecutionException.class, () -> first.get(60, TimeUnit.SECONDS));
        assertTrue(src.isRunning());
    }

    @Test
    public void aRunningVmDoesNotReceive() throws Exception {
        DomainSpec spec = spec("live", UUID.randomUUID(), 8 * MIB_KIB, 0);
        VirtualMachine vm = boot(spec);
        HypervisorException e = assertThrows(HypervisorException.class,
                () -> vm.receiveMemory(new java.io.ByteArrayInputStream(new byte[0]), new Sim.Control()));
        assertEquals("domain 'live' is running: it cannot receive memory", e.getMessage());
    }
}
