package io.ferry.e2e;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.util.ArrayList;
import java.util.List;
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

    @Test
    public void ctrlCAbortsAPeerToPeerMigrationAndTheDomainRunsOnTheSource() throws Exception {
        interruptedMigrationStaysOnTheSource("interrupted-p2p-vm", "--live", "--p2p");
    }

    @Test
    public void ctrlCAbortsAMigrationTheCommandDrivesAndTheDomainRunsOnTheSource() throws Exception {
        interruptedMigrationStaysOnTheSource("interrupted-vm", "--live");
    }

    /** As virsh: Ctrl-C while {@code ferry migrate} runs aborts the migration, and the command says so. */
    private static void interruptedMigrationStaysOnTheSource(String name, String... flags) throws Exception {
        SimDomain vm = SimDomain.idle(name, 64);
        String digest = HOSTS.source.boot(vm);
        List<String> throttled = new ArrayList<>(List.of(flags));
        throttled.addAll(List.of("--bandwidth", "1"));
        Installation.Running migration = HOSTS.migrateInBackground(vm.name(), throttled.toArray(String[]::new));
        Poll.until("the incoming job of " + vm.name(), () -> {
            if (!migration.isAlive()) {
                throw new AssertionError("the migration ended before it could be interrupted:\n" + migration.await());
            }
            // the destination knows the domain from Prepare on
            Installation.Result incoming = HOSTS.destination.ferry("domjobinfo", vm.name());
            return incoming.exit() == 0 && incoming.out().contains("Operation:        Incoming migration");
        });

        migration.signal("INT");
        Installation.Result interrupted = migration.await();

        assertEquals(interrupted.toString(), 1, interrupted.exit());
        assertTrue(interrupted.err(), interrupted.err().contains("interrupted: aborting the migration of " + name));
        assertTrue(interrupted.err(), interrupted.err().matches(
                "(?s).*\nMigration [0-9a-f-]+ of " + name + " aborted[^\n]*: " + name + " runs here\n.*"));
        assertTrue(interrupted.err(), interrupted.err().contains("error: "));
        Poll.until("the job to end", () -> jobInfo(HOSTS.source, vm.name()).contains("Job type:         None"));
        assertEquals(Optional.empty(), HOSTS.destination.listedState(vm.name()));
        HOSTS.assertRunsOnlyOn(HOSTS.source, vm.name(), digest);
    }

    private static String jobInfo(DaemonProcess host, String domain) throws Exception {
        return host.ferryOk("domjobinfo", domain).out();
    }
}
