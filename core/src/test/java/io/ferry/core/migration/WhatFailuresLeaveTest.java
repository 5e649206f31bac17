package io.ferry.core.migration;

import static org.junit.Assert.assertEquals;

import io.ferry.api.hypervisor.HypervisorException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.Test;

/**
 * A daemon runs for months while migrations fail in every way: what a failure leaves behind on the host must go with
 * it, or a few thousand failures exhaust the host. Each test fails a migration the same way many times and checks
 * that what stays is bounded, whatever the count.
 */
public class WhatFailuresLeaveTest {
    private static final int FAILURES = 50;

    /**
     * Each arrival whose incoming VM could not be made (a destination QEMU that cannot start: an emulator missing, a
     * device it refuses) left its run directory, named by the guest's UUID, on the destination for good.
     */
    @Test
    public void anArrivalWhoseVmCannotStartLeavesNoRunDirectory() throws Exception {
        TwoDaemons d = new TwoDaemons();
        d.destination.hypervisor.createFailure = new HypervisorException("cannot start QEMU: no such emulator");
        Path runs = d.destination.stateDir.resolve("run");
        List<Path> before = entries(runs);

        for (int i = 0; i < FAILURES; i++) {
            String guest = "guest" + i; // each its own UUID, as the guests a host receives
            d.source.boot(guest);
            d.migrationFails(guest);
            d.source.assertRuns(guest, null);
        }

        List<Path> after = entries(runs);
        assertEquals("run directories left on the destination after " + FAILURES + " failed arrivals (the first: "
                + after.stream().findFirst().map(Path::toString).orElse("none") + ")", before.size(), after.size());
    }

    private static List<Path> entries(Path dir) throws Exception {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(dir)) {
            return files.sorted().toList();
        }
    }
}
