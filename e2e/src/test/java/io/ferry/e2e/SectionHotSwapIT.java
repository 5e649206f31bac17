package io.ferry.e2e;

import io.ferry.launcher.BundleJars;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import io.ferry.protocol.ChannelException;
import io.ferry.protocol.ControlClient;
import io.ferry.protocol.HttpPeer;
import io.ferry.protocol.Messages;
import io.ferry.protocol.MigrationDriver;
import io.ferry.protocol.MigrationFlags;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.Test;

/**
 * A third party's mandatory section (the test section's {@code probe}: baked at Begin, eaten at Prepare) is
 * updated, removed and added again on both hosts, over and over, while sixteen migrations run at once: each either
 * completes with the section eaten on the destination, or fails before any memory moves naming the section; none
 * succeeds without it, and every guest ends on exactly one host with its memory.
 */
public class SectionHotSwapIT {
    private static final int GUESTS = 16;
    private static final MigrationFlags LIVE = new MigrationFlags(true, false, false, false, false, false, false);

    @Test
    public void sixteenMigrationsWhileAMandatorySectionComesAndGoesOnBothHosts() throws Exception {
        Path work = Files.createTempDirectory(Installation.work(), "hot-swap");
        // the probe alone, as the tpm section: baked at Begin, eaten at Prepare. (The bundle's gate section
        // bakes at Perform, after the memory moved: removed mid-transfer, it can only fail the migration then.)
        Path withoutFault = BundleJars.withoutComponent(Path.of(System.getProperty("ferry.test.section")),
                "io.ferry.testsection.FaultSection", work.resolve("probe-0.jar"));
        Path probe = BundleJars.withoutComponent(withoutFault, "io.ferry.testsection.GateSection", work.resolve("probe-1.jar"));
        List<Path> versions = List.of(probe, BundleJars.withVersion(probe, "1.1.0", work.resolve("probe-1.1.jar")));
        try (DaemonProcess a = DaemonProcess.start("swap-a"); DaemonProcess b = DaemonProcess.start("swap-b")) {
            for (DaemonProcess host : List.of(a, b)) {
                BundleJars.dropInto(probe, host.deployDir, "probe.jar");
            }
            for (DaemonProcess host : List.of(a, b)) {
                Poll.until("probe on " + host, () -> host.ferryOk("sections").out().contains(" probe "));
            }
            Map<String, String> digests = new ConcurrentHashMap<>();
            for (int i = 0; i < GUESTS; i++) {
                digests.put("swap-" + i, a.boot(SimDomain.idle("swap-" + i, 16)));
            }

            AtomicBoolean swapping = new AtomicBoolean(true);
            AtomicInteger swaps = new AtomicInteger();
            Thread swapper = new Thread(() -> swap(List.of(a, b), versions, swapping, swaps), "probe-swapper");
            swapper.start();
            Map<String, String> migrated = new ConcurrentHashMap<>();
            Map<String, String> refused = new ConcurrentHashMap<>();
            ExecutorService drivers = Executors.newFixedThreadPool(GUESTS);
            try {
                List<Future<?>> runs = new ArrayList<>();
                for (String guest : digests.keySet()) {
                    runs.add(drivers.submit(() -> {
                        try {
                            Thread.sleep((long) (Math.random() * 4000)); // spread over several swaps
                            migrated.put(guest, new MigrationDriver(MigrationDriver.Listener.NONE).run(
                                    new HttpPeer(new ControlClient(a.url())), new HttpPeer(new ControlClient(b.url())),
                                    new Messages.Migrate(guest, b.url(), LIVE, null, null, 0)).id());
                        } catch (ChannelException e) {
                            refused.put(guest, e.getMessage());
                        }
                        return null;
                    }));
                }
                for (Future<?> run : runs) {
                    run.get();
                }
            } finally {
                swapping.set(false);
                swapper.join();
                drivers.shutdownNow();
            }

            System.out.printf("%d migrations completed, %d refused, %d section swaps meanwhile%n", migrated.size(),
                    refused.size(), swaps.get());
            assertEquals(GUESTS, migrated.size() + refused.size());
            for (Map.Entry<String, String> done : migrated.entrySet()) {
                assertTrue(done.getKey() + " migrated without the probe eaten on the destination",
                        b.log().contains("mig=" + done.getValue() + " - probe: probe baked by version"));
                Placement.assertRunsOnlyOn(b, a, done.getKey(), digests.get(done.getKey()));
            }
            String section = "probe";
            for (Map.Entry<String, String> failed : refused.entrySet()) {
                assertTrue(failed.getKey() + ": " + failed.getValue(), failed.getValue().matches(
                        "(cookie section " + section + " .*|Unknown migration cookie feature " + section + ".*)"));
                b.awaitState(failed.getKey(), null);
                Placement.assertRunsOnlyOn(a, b, failed.getKey(), digests.get(failed.getKey()));
                Map<String, String> job = a.fields("domjobinfo", failed.getKey(), "--completed");
                assertEquals(failed.getKey() + ": " + job, "Failed", job.get("Job type"));
                assertTrue(failed.getKey() + ": " + job, job.get("Error message").matches(".*\\b" + section + "\\b.*"));
                assertEquals(failed.getKey() + " moved no memory", "0.000 MiB", job.get("Memory processed"));
                String events = a.ferryOk("events", "--domain", failed.getKey()).out();
                assertTrue(events, events.lines().anyMatch(line -> line.contains("event 'migration-failed' for domain '"
                        + failed.getKey() + "' (source): ") && line.matches(".*\\b" + section + "\\b.*")));
            }
        }
    }

    /** Every second, on both hosts: update the probe to the other version, remove it, or add it back. */
    private static void swap(List<DaemonProcess> hosts, List<Path> versions, AtomicBoolean swapping, AtomicInteger swaps) {
        int step = 0;
        try {
            while (swapping.get()) {
                Thread.sleep(1000);
                for (DaemonProcess host : hosts) {
                    Path jar = host.deployDir.resolve("probe.jar");
                    if (step % 3 == 2) {
                        Files.deleteIfExists(jar);
                    } else {
                        BundleJars.dropInto(versions.get(step % 2), host.deployDir, "probe.jar");
                    }
                }
                swaps.incrementAndGet();
                step++;
            }
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
