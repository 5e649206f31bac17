package io.ferry.e2e;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.util.Optional;
import org.junit.ClassRule;
import org.junit.Test;

/**
 * A migration job watched and steered while it runs: {@code --bandwidth}, {@code domjobinfo},
 * {@code migrate-setspeed}, {@code domjobabort}. Nothing here measures time: the bandwidth cap only makes the
 * job last long enough to be seen, and every wait is a bounded poll.
 */
public class MigrationJobControlIT {
    @ClassRule
    public static final TwoHosts HOSTS = TwoHosts.standard();

    @Test
    public void aThrottledMigrationIsVisibleAndCanBeAborted() throws Exception {
        SimDomain vm = SimDomain.idle("throttled-vm", 64);
        String digest = HOSTS.source.boot(vm);

        Installation.Running migration = HOSTS.migrateInBackground(vm.name(), "--live", "--bandwidth", "8");
        Poll.until("the outgoing job of " + vm.name(), () -> {
            if (!migration.isAlive()) {
                throw new AssertionError("the migration ended before it could be watched:\n" + migration.await());
            }
            return jobInfo(HOSTS.source, vm.name()).contains("Job type:         Unbounded");
        });
        // slower still, so that what follows surely happens while the job runs
        HOSTS.source.ferryOk("migrate-setspeed", vm.name(), "1");
        String outgoing = jobInfo(HOSTS.source, vm.name());
        assertTrue(outgoing, outgoing.contains("Job type:         Unbounded"));
        assertTrue(outgoing, outgoing.contains("Operation:        Outgoing migration"));
        String incoming = jobInfo(HOSTS.destination, vm.name());
        assertTrue(incoming, incoming.contains("Operation:        Incoming migration"));

        String said = HOSTS.source.ferryOk("domjobabort", vm.name()).out();
        assertTrue(said, said.matches("Migration [0-9a-f-]+ of throttled-vm aborted: throttled-vm runs here\n"));
        Installation.Result aborted = migration.await();

        assertEquals(aborted.toString(), 1, aborted.exit());
        assertTrue(aborted.err(), aborted.err().startsWith("error: ") && aborted.err().contains("aborted"));
        Poll.until("the job to end", () -> jobInfo(HOSTS.source, vm.name()).contains("Job type:         None"));
        assertEquals(Optional.empty(), HOSTS.destination.listedState(vm.name()));
        HOSTS.assertRunsOnlyOn(HOSTS.source, vm.name(), digest);

        Installation.Result nothingToAbort = HOSTS.source.ferry("domjobabort", vm.name());
        assertEquals(nothingToAbort.toString(), 1, nothingToAbort.exit());
        assertEquals("error: Requested operation is not valid: no job is active on the domain\n", nothingToAbort.err());

        // migrate-setspeed holds for the domain's next migrations too, as in libvirt: lift the cap
        HOSTS.source.ferryOk("migrate-setspeed", vm.name(), "0");
        HOSTS.migrateOk(vm.name(), "--live", "--p2p");
        assertEquals(Optional.of("shut off"), HOSTS.source.listedState(vm.name()));
        HOSTS.assertRunsOnlyOn(HOSTS.destination, vm.name(), digest);
    }

    private static String jobInfo(DaemonProcess host, String domain) throws Exception {
        return host.ferryOk("domjobinfo", domain).out();
    }
}
