package io.ferry.driver.qemu;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import com.fasterxml.jackson.databind.JsonNode;
import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.api.hypervisor.HypervisorException;
import io.ferry.api.hypervisor.MigrationStats;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import org.junit.Test;

/**
 * Live migration between two real QEMU processes of a guest that dirties 16 of its 64 MiB: through the api's
 * streams (as a tunnelled migration: the driver pumps QEMU's bytes) and through a connection the destination
 * QEMU listens on (native). The destination resumes from the source's exact final state.
 */
public class QemuMigrationTest extends TwoQemuDrivers {
    private static final int MEMORY_MIB = 64;
    private static final long RAM_BYTES = MEMORY_MIB << 20;

    private QemuVirtualMachine[] pair(String name, String workingSet) throws Exception {
        DomainSpec spec = Guests.spec(name, MEMORY_MIB, workingSet);
        QemuVirtualMachine src = (QemuVirtualMachine) source.boot(spec, tmp.newFolder().toPath());
        QemuVirtualMachine dst = (QemuVirtualMachine) destination.createIncoming(spec, tmp.newFolder().toPath());
        assertTrue("the source guest booted", Guests.eventually(() -> Guests.status(src, state).magic() == Guests.STATUS_MAGIC));
        assertTrue("the source guest dirties its working set",
                workingSet.equals("0") || Guests.eventually(() -> Guests.status(src, state).passes() > 0));
        return new QemuVirtualMachine[] {src, dst};
    }

    /**
     * A control that cannot converge (1 ms downtime) until the 4th pre-copy pass is done. The bandwidth cap makes
     * a pass last longer than QEMU's first rate measurement (100 ms): a pass over before it completes the
     * migration whatever the downtime limit.
     */
    private static Guests.Control needsFourPasses() {
        Guests.Control control = Guests.Control.capped(128L << 20);
        return control.when(s -> s.iteration() >= 5, () -> control.downtime = 1000);
    }

    @Test
    public void migratesADirtyingGuestThroughTheStreams() throws Exception {
        QemuVirtualMachine[] vms = pair("stream", "16M");
        Guests.Control control = needsFourPasses();
        long start = System.nanoTime();
        MigrationStats sent = Guests.viaStreams(vms[0], vms[1], control, new Guests.Control());
        report("stream, dirtying 16 MiB", start, sent);
        assertResumedAfterFourPasses(vms[0], vms[1], sent);
        assertDisksActivatedByCont(vms[1]);
    }

    @Test
    public void migratesADirtyingGuestQemuToQemu() throws Exception {
        QemuVirtualMachine[] vms = pair("direct", "16M");
        Guests.Control control = needsFourPasses();
        long start = System.nanoTime();
        MigrationStats sent = Guests.direct(vms[0], vms[1], control);
        report("direct, dirtying 16 MiB", start, sent);
        assertResumedAfterFourPasses(vms[0], vms[1], sent);
        assertDisksActivatedByCont(vms[1]);
    }

    /**
     * The destination was asked to take its disks at Finish's {@code cont}, not when the memory loaded, as libvirt asks:
     * before QEMU 10 (which reports the capability off but behaves so), a loaded destination held the disks' write
     * locks, and a source rolled back after QEMU completed could not run its guest again.
     */
    private static void assertDisksActivatedByCont(QemuVirtualMachine destination) throws Exception {
        for (JsonNode capability : destination.execute("query-migrate-capabilities", null)) {
            if (capability.path("capability").asText().equals("late-block-activate")) {
                assertTrue("late-block-activate is on", capability.path("state").asBoolean());
                return;
            }
        }
        fail("QEMU lists no late-block-activate");
    }

    /**
     * Confirm's case: the QEMU of a guest that migrated away is told to quit and its exit is waited out elsewhere,
     * so Confirm does not wait for it; the QEMU of a guest that has not left is waited for, as before.
     */
    @Test
    public void aQemuWhoseGuestLeftIsNotWaitedForWhenDestroyed() throws Exception {
        List<Runnable> exits = new ArrayList<>();
        source = new QemuDriver("qemu", Guests.settings(state, 2000), exits::add);
        QemuVirtualMachine[] vms = pair("leaves", "0");
        Guests.direct(vms[0], vms[1], new Guests.Control());
        assertTrue("the source QEMU left finish-migrate", Guests.eventually(() -> "postmigrate".equals(vms[0].status())));

        vms[0].destroy();
        assertEquals("the wait for the source QEMU's exit is handed off", 1, exits.size());
        exits.get(0).run();
        assertFalse("it quit", vms[0].process().isAlive());

        QemuVirtualMachine stays = (QemuVirtualMachine) source.boot(Guests.spec("stays", 32, "0"), tmp.newFolder().toPath());
        stays.destroy();
        assertEquals("a guest that did not leave: its QEMU is waited for", 1, exits.size());
        assertFalse(stays.process().isAlive());
    }

    @Test
    public void migratesAnIdleGuestBothWays() throws Exception {
        migrateBothWays("idle", "0", "idle");
    }

    /** QEMU's own convergence: the default downtime limit (300 ms), no bandwidth cap. */
    @Test
    public void migratesADirtyingGuestUncappedBothWays() throws Exception {
        migrateBothWays("fast", "16M", "dirtying 16 MiB, no cap, 300 ms downtime");
    }

    private void migrateBothWays(String name, String workingSet, String what) throws Exception {
        QemuVirtualMachine[] a = pair(name + "-stream", workingSet);
        long start = System.nanoTime();
        report("stream, " + what, start, Guests.viaStreams(a[0], a[1], new Guests.Control(), new Guests.Control()));
        assertArrayEquals(Guests.pmemsave(a[0], state, 0, RAM_BYTES), Guests.pmemsave(a[1], state, 0, RAM_BYTES));

        QemuVirtualMachine[] b = pair(name + "-direct", workingSet);
        start = System.nanoTime();
        report("direct, " + what, start, Guests.direct(b[0], b[1], new Guests.Control()));
        assertArrayEquals(Guests.pmemsave(b[0], state, 0, RAM_BYTES), Guests.pmemsave(b[1], state, 0, RAM_BYTES));
    }

    /** Prepares at once each get a port of their own: each found the first free one, and QEMU could bind only one. */
    @Test
    public void incomingMigrationsListeningAtOnceEachGetAPort() throws Exception {
        List<QemuVirtualMachine> incoming = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            incoming.add((QemuVirtualMachine) destination.createIncoming(Guests.spec("at-once-" + i, 32, "0"),
                    tmp.newFolder().toPath()));
        }
        CountDownLatch go = new CountDownLatch(1);
        List<FutureTask<String>> listening = new ArrayList<>();
        for (QemuVirtualMachine vm : incoming) {
            listening.add(Guests.async("listen-" + vm.spec().name(), () -> {
                go.await();
                return vm.listenForMemory("127.0.0.1");
            }));
        }
        go.countDown();
        Set<String> uris = new HashSet<>();
        for (FutureTask<String> uri : listening) {
            uris.add(uri.get(60, TimeUnit.SECONDS));
        }
        assertEquals(uris.toString(), 4, uris.size());
        for (QemuVirtualMachine vm : incoming) { // QEMU to QEMU: no pipe of the daemon's is left open to each
            java.io.OutputStream pipe = vm.process().incomingPipe().orElseThrow();
            assertThrows(IOException.class, () -> {
                pipe.write(0);
                pipe.flush();
            });
        }
    }

    @Test
    public void anAbortMidFlightLeavesTheSourceRunning() throws Exception {
        QemuVirtualMachine[] vms = pair("abort", "16M");
        Guests.Control control = Guests.Control.capped(128L << 20);
        control.when(s -> s.iteration() >= 3, () -> control.abort = () -> true);
        String uri = vms[1].listenForMemory("127.0.0.1");
        FutureTask<MigrationStats> received = Guests.async("receiver", () -> vms[1].awaitMemory(new Guests.Control()));

        HypervisorException e = assertThrows(HypervisorException.class, () -> vms[0].sendMemory(uri, control));
        assertEquals("migration aborted by user", e.getMessage());
        assertSourceRunsOn(vms[0]);
        ExecutionException failed = assertThrows(ExecutionException.class, () -> received.get(30, TimeUnit.SECONDS));
        assertTrue(failed.getCause().getMessage(), failed.getCause().getMessage().contains("could not load the migration stream"));
    }

    /**
     * The watchdog's 2 s count from the last growth, not from the start: a slow migration that keeps moving goes on;
     * and the destination, fed the stream, reports its progress meanwhile.
     */
    @Test
    public void aSlowMigrationThatKeepsMovingOutlastsTheProgressTimeout() throws Exception {
        QemuVirtualMachine[] vms = pair("slow", "16M");
        Guests.Control control = Guests.Control.capped(4L << 20); // cannot converge while capped
        control.when(s -> s.elapsedMillis() >= 3000, () -> {
            control.bandwidth = 0;
            control.downtime = 1000;
        });
        Guests.Control receiving = new Guests.Control();
        MigrationStats sent = Guests.viaStreams(vms[0], vms[1], control, receiving);
        assertTrue("it ran past the progress timeout before it could converge: " + sent, sent.elapsedMillis() >= 3000);
        assertTrue("the destination reported while the stream came, not only at its end: " + receiving.reports,
                receiving.reports.size() > 1);
        assertResumedFromTheFinalState(vms[0], vms[1]);
    }

    @Test
    public void theWatchdogCancelsAMigrationToAStoppedDestination() throws Exception {
        QemuVirtualMachine[] vms = pair("stopped", "16M");
        Guests.Control control = Guests.Control.capped(32L << 20); // slow enough to be in flight when the destination stops
        control.when(s -> s.processed() > (8L << 20), () -> {
            try {
                Guests.signal(vms[1].process().pid(), "STOP");
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        String uri = vms[1].listenForMemory("127.0.0.1");

        HypervisorException e = assertThrows(HypervisorException.class, () -> vms[0].sendMemory(uri, control));
        assertTrue(e.getMessage(), e.getMessage().contains("made no progress for 2.0 s"));
        assertSourceRunsOn(vms[0]);
        vms[1].destroy(); // the stopped QEMU is killed after the quit timeout
        assertFalse(vms[1].process().isAlive());
    }

    /**
     * A QMP command of the job that times out (a QEMU stopped for a moment, a loaded host) fails the migration: QEMU's
     * own migration is cancelled too, or it would go on and pause the guest whenever it converged, after the core
     * had rolled back and let the guest run on here.
     */
    @Test
    public void aMigrationFailedByAQmpTimeoutIsCancelledInQemu() throws Exception {
        QemuDriver impatient = new QemuDriver("qemu", new QemuSettings(QemuSettings.DEFAULT_EMULATOR, 49152, 49215,
                30_000, 1000, 1000, state.resolve("qemu"), null));
        DomainSpec spec = Guests.spec("timeout", MEMORY_MIB, "16M");
        QemuVirtualMachine src = (QemuVirtualMachine) impatient.boot(spec, tmp.newFolder().toPath());
        try {
            QemuVirtualMachine dst = (QemuVirtualMachine) destination.createIncoming(spec, tmp.newFolder().toPath());
            assertTrue(Guests.eventually(() -> Guests.status(src, state).passes() > 0));
            Guests.Control control = Guests.Control.capped(32L << 20);
            FutureTask<Void> stopped = new FutureTask<>(() -> {
                Guests.signal(src.process().pid(), "STOP"); // longer than the 1 s QMP limit, shorter than two
                Thread.sleep(1500);
                Guests.signal(src.process().pid(), "CONT");
                return null;
            });
            control.when(s -> s.processed() > (8L << 20), () -> new Thread(stopped, "stopper").start());
            String uri = dst.listenForMemory("127.0.0.1");

            HypervisorException e = assertThrows(HypervisorException.class, () -> src.sendMemory(uri, control));
            assertTrue(e.getMessage(), e.getMessage().contains("did not answer"));
            stopped.get(30, TimeUnit.SECONDS);
            assertEquals("QEMU's migration after the failure", "cancelled",
                    MigrationInfo.of(src.execute("query-migrate", null)).status());
            assertSourceRunsOn(src);
        } finally {
            src.destroy();
        }
    }

    /**
     * The daemon dies in Perform while its QEMU migrates (QEMU outlives it). Nobody can commit that migration any
     * more (its Perform reply died with the daemon): the restarted daemon's re-attach cancels it, so that it never
     * pauses the guest later, whatever the core's recovery decides.
     */
    @Test
    public void aReattachCancelsTheOutgoingMigrationQemuStillRuns() throws Exception {
        DomainSpec spec = Guests.spec("orphan", MEMORY_MIB, "16M");
        Path dir = tmp.newFolder().toPath();
        QemuVirtualMachine src = (QemuVirtualMachine) source.boot(spec, dir);
        QemuVirtualMachine dst = (QemuVirtualMachine) destination.createIncoming(spec, tmp.newFolder().toPath());
        String uri = dst.listenForMemory("127.0.0.1");
        // a guest still booting dirties nothing, and its migration converged before the re-attach could cancel it
        assertTrue("the guest dirties its memory", Guests.eventually(() -> Guests.status(src, state).passes() > 0));
        src.execute("migrate-set-parameters", Qmp.JSON.createObjectNode().put("max-bandwidth", 8L << 20)
                .put("downtime-limit", 1)); // never converges by itself
        src.execute("migrate", Qmp.JSON.createObjectNode().put("uri", uri));
        assertTrue(Guests.eventually(() -> MigrationInfo.of(src.execute("query-migrate", null)).transferred() > 0));
        source.detachAll(); // the daemon dies; QEMU migrates on

        QemuDriver restarted = new QemuDriver("qemu", Guests.settings(state, 2000));
        QemuVirtualMachine again = (QemuVirtualMachine) restarted.reattach(spec, dir).orElseThrow();
        try {
            assertEquals("QEMU's migration after the re-attach", "cancelled",
                    MigrationInfo.of(again.execute("query-migrate", null)).status());
            assertSourceRunsOn(again);
        } finally {
            again.destroy();
        }
    }

    @Test
    public void aDestinationThatDiesFailsTheStreamWithQemusReason() throws Exception {
        QemuVirtualMachine[] vms = pair("dies", "16M");
        Guests.Control control = Guests.Control.capped(128L << 20);
        control.when(s -> s.processed() > (8L << 20), () -> {
            try {
                Guests.signal(vms[1].process().pid(), "KILL");
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        HypervisorException e = assertThrows(HypervisorException.class,
                () -> Guests.viaStreams(vms[0], vms[1], control, new Guests.Control()));
        assertTrue(e.getMessage(), e.getMessage().startsWith("migration of domain 'dies' failed"));
        assertSourceRunsOn(vms[0]);
    }

    /** As QEMU leaves it: a guest paused before a migration that failed stays paused; only a running one runs again. */
    @Test
    public void aPausedGuestStaysPausedWhenItsMigrationFails() throws Exception {
        QemuVirtualMachine src = (QemuVirtualMachine) source.boot(Guests.spec("paused", MEMORY_MIB, "0"),
                tmp.newFolder().toPath());
        src.pause();
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort();
        }
        HypervisorException e = assertThrows(HypervisorException.class,
                () -> src.sendMemory("tcp:127.0.0.1:" + closedPort, new Guests.Control()));
        assertTrue(e.getMessage(), e.getMessage().startsWith("migration of domain 'paused' failed"));
        assertEquals("paused", src.status());
        assertFalse(src.isRunning());
    }

    /**
     * Tunnelled, the pump's last write to the destination fails after QEMU reported completion (the guest paused,
     * postmigrate): the job fails at once with the stream's error, not when the progress watchdog gives up, and
     * the guest runs again.
     */
    @Test
    public void aStreamFailingAfterQemuCompletedFailsAtOnceAndTheGuestRunsAgain() throws Exception {
        QemuVirtualMachine src = (QemuVirtualMachine) source.boot(Guests.spec("lastwrite", MEMORY_MIB, "1M"),
                tmp.newFolder().toPath());
        OutputStream failsAtTheEnd = new OutputStream() {
            @Override
            public void write(int b) {
            }

            @Override
            public void write(byte[] bytes, int offset, int length) {
            }

            @Override
            public void flush() throws IOException {
                throw new IOException("connection reset by the destination");
            }
        };
        HypervisorException e = assertThrows(HypervisorException.class, () -> src.sendMemory(failsAtTheEnd, new Guests.Control()));
        assertTrue(e.getMessage(), e.getMessage().startsWith("migration of domain 'lastwrite' failed: the migration stream failed"));
        assertTrue(e.getMessage(), e.getMessage().contains("connection reset by the destination"));
        assertSourceRunsOn(src);
    }

    @Test
    public void spiceClientsAreRelocatedAndVncClientsAreNot() throws Exception {
        String graphics = "<graphics type='spice' autoport='yes' listen='127.0.0.1'/>"
                + "<graphics type='vnc' autoport='yes' listen='127.0.0.1'/>";
        DomainSpec spec = Guests.spec(Guests.xml("spice", UUID.randomUUID(), 32, "1M", graphics));
        QemuVirtualMachine src = (QemuVirtualMachine) source.boot(spec, tmp.newFolder().toPath());
        QemuVirtualMachine dst = (QemuVirtualMachine) destination.createIncoming(spec, tmp.newFolder().toPath());
        DomainSpec.Graphics spice = dst.graphicsListeners().stream().filter(g -> g.type().equals("spice")).findFirst()
                .orElseThrow();
        DomainSpec.Graphics vnc = dst.graphicsListeners().stream().filter(g -> g.type().equals("vnc")).findFirst()
                .orElseThrow();
        assertTrue("nothing to wait for before a relocation", src.awaitGraphicsClientsMigrated(0));

        src.relocateGraphicsClients(spice, spice.port() + 1, "C=XX,O=Ferry,CN=destination");
        src.relocateGraphicsClients(vnc, -1, null); // QEMU cannot: logged, not failed
        Guests.direct(src, dst, new Guests.Control());
        assertTrue("SPICE_MIGRATE_COMPLETED", src.awaitGraphicsClientsMigrated(10_000));
        HypervisorException e = assertThrows(HypervisorException.class,
                () -> dst.relocateGraphicsClients(new DomainSpec.Graphics("rdp", 3389, "x"), -1, null));
        assertEquals("domain 'spice' has no rdp graphics", e.getMessage());
    }

    /** QEMU relocates only SPICE clients: a VNC-only guest's relocation is a line in the log, nothing sent to QEMU. */
    @Test
    public void aVncOnlyGuestsRelocationAsksNothingOfQemu() throws Exception {
        DomainSpec spec = Guests.spec(Guests.xml("vnc-only", UUID.randomUUID(), 32, "1M",
                "<graphics type='vnc' autoport='yes' listen='127.0.0.1'/>"));
        QemuVirtualMachine src = (QemuVirtualMachine) source.boot(spec, tmp.newFolder().toPath());

        src.relocateGraphicsClients(new DomainSpec.Graphics("vnc", 5901, "192.0.2.7"), -1, null); // QEMU has no SPICE to aim
        assertTrue("no SPICE clients to wait for", src.awaitGraphicsClientsMigrated(0));
        assertSourceRunsOn(src);
    }

    private static void assertSourceRunsOn(QemuVirtualMachine vm) throws Exception {
        assertTrue("the source runs", vm.isRunning());
        assertEquals("running", vm.status());
    }

    /** {@link #needsFourPasses}'s migration made them, then the destination resumed from the final state. */
    private void assertResumedAfterFourPasses(QemuVirtualMachine src, QemuVirtualMachine dst, MigrationStats sent)
            throws Exception {
        assertTrue("at least 4 pre-copy passes, not " + (sent.iteration() - 1), sent.iteration() - 1 >= 4);
        assertResumedFromTheFinalState(src, dst);
    }

    /** Both paused: the destination's RAM is the source's, byte for byte; then it runs on from there. */
    private void assertResumedFromTheFinalState(QemuVirtualMachine src, QemuVirtualMachine dst) throws Exception {
        // QEMU says completed before its runstate leaves finish-migrate (the guest stopped in both)
        assertTrue("the source QEMU left finish-migrate", Guests.eventually(() -> "postmigrate".equals(src.status())));
        assertEquals("paused", dst.status());
        byte[] sourceRam = Guests.pmemsave(src, state, 0, RAM_BYTES);
        byte[] destinationRam = Guests.pmemsave(dst, state, 0, RAM_BYTES);
        assertArrayEquals("the destination's RAM is the source's final RAM", sourceRam, destinationRam);
        Guests.Status last = Guests.status(dst, state);
        assertEquals(Guests.STATUS_MAGIC, last.magic());
        assertTrue("the guest had written before it moved", last.writes() > 0);
        dst.resume();
        assertTrue("the destination guest goes on counting from the source's last write",
                Guests.eventually(() -> Guests.status(dst, state).writes() > last.writes()));
    }

    private static void report(String what, long startNanos, MigrationStats sent) {
        System.out.printf("%d MiB guest, %s: %d ms wall, %d passes, %.1f MiB sent, downtime %d ms%n", MEMORY_MIB, what,
                (System.nanoTime() - startNanos) / 1_000_000, sent.iteration() - 1, sent.processed() / 1048576.0,
                sent.downtimeMillis());
    }
}
