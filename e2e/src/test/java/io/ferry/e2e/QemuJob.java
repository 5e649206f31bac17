package io.ferry.e2e;

import io.ferry.protocol.ControlClient;
import io.ferry.protocol.Xml;
import java.util.ArrayList;
import java.util.List;

/**
 * A QEMU guest's migration job, watched and steered as an operator would ({@code migrate-setmaxdowntime},
 * {@code --bandwidth}), the job's figures read through the daemon's control channel (a {@code ferry} command per
 * look would be slow). Nothing here measures time: a 1 ms downtime limit keeps pre-copy going until the test lets
 * it end, so "in flight" is a state, not a moment.
 */
final class QemuJob {
    /** MiB/s: a pass over the 16 MiB working set lasts longer than QEMU's first rate measurement (100 ms). */
    static final String BANDWIDTH = "128";

    private QemuJob() {
    }

    /** The job's pre-copy iteration on {@code host} (QEMU's dirty-sync-count: the passes plus one); 0 without a job. */
    static long iteration(DaemonProcess host, String domain) throws Exception {
        String value = Xml.of(ControlClient.parse(new ControlClient(host.url()).get("domains/" + domain + "/job")))
                .attr("iteration");
        return value == null ? 0 : Long.parseLong(value);
    }

    /**
     * Starts {@code ferry migrate FLAGS… DOMAIN DESTINATION} on {@code source} with a downtime limit of 1 ms, which
     * pre-copy never meets, and returns once the job has done {@code passes} passes: the migration is in flight.
     */
    static Installation.Running inFlight(DaemonProcess source, DaemonProcess destination, String domain, int passes,
            String... flags) throws Exception {
        source.ferryOk("migrate-setmaxdowntime", domain, "1");
        List<String> args = new ArrayList<>(List.of("migrate"));
        args.addAll(List.of(flags));
        args.addAll(List.of("--bandwidth", BANDWIDTH, domain, destination.url()));
        Installation.Running migration = source.ferryInBackground(args.toArray(String[]::new));
        Poll.until(passes + " pre-copy passes of " + domain, () -> {
            if (!migration.isAlive()) {
                throw new AssertionError("the migration of " + domain + " ended in pass "
                        + iteration(source, domain) + ":\n" + migration.await());
            }
            return iteration(source, domain) > passes;
        });
        return migration;
    }

    /** Lifts the downtime limit so that the next pass ends the pre-copy. */
    static void letConverge(DaemonProcess source, String domain) throws Exception {
        source.ferryOk("migrate-setmaxdowntime", domain, "1000");
    }
}
