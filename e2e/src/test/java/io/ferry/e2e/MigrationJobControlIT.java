package io.ferry.e2e;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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

    @Test
    public void ctrlCOfAPeerToPeerMigrationWaitingForTheDomainEndsItAndTheMigrationHoldingTheDomainCompletes() throws Exception {
        interruptedWhileWaiting("waiting-p2p-vm", "--live", "--p2p");
    }

    @Test
    public void ctrlCOfAMigrationTheCommandDrivesWaitingForTheDomainEndsItAndTheMigrationHoldingTheDomainCompletes()
            throws Exception {
        interruptedWhileWaiting("waiting-vm", "--live");
    }

    /**
     * Another operator's migration holds the domain (its Perform, throttled); a second {@code ferry migrate} of it waits
     * for the domain's job. Its Ctrl-C ends it, saying its migration had not begun, and leaves the other one alone.
     */
    private static void interruptedWhileWaiting(String name, String... flags) throws Exception {
        SimDomain vm = SimDomain.idle(name, 64);
        String digest = HOSTS.source.boot(vm);
        Installation.Running holder = holdWithAThrottledMigration(vm.name());
        Installation.Running waiting = HOSTS.migrateInBackground(vm.name(), flags);
        awaitBeginWaitingForTheDomain(waiting, vm.name());

        waiting.signal("INT");
        Installation.Result interrupted = waiting.await();
        HOSTS.source.ferryOk("migrate-setspeed", vm.name(), "0");
        Installation.Result completed = holder.await();

        assertEquals(completed.toString(), 0, completed.exit());
        HOSTS.assertRunsOnlyOn(HOSTS.destination, vm.name(), digest);
        assertEquals(interrupted.toString(), 1, interrupted.exit());
        assertTrue(interrupted.err(), interrupted.err().matches("(?s)\ninterrupted: aborting the migration of " + name
                + " \\(Ctrl-C again leaves it to the daemons\\)\nMigration [0-9a-f-]+ of " + name + " had not begun: it will not"
                + " begin now; migration [0-9a-f-]+ of " + name + " goes on\nerror: interrupted: the migration of " + name
                + " had not begun\n"));
    }

    /**
     * Another operator's migration holds the domain (its Perform, throttled) while a second {@code ferry migrate --verbose}
     * of it waits for the domain's job: the second shows none of the first's progress while the first runs to its end,
     * only that it waits for it, and then its own failure (the domain left the host).
     */
    @Test
    public void aVerboseMigrationWaitingForTheDomainShowsNoProgressOfTheMigrationHoldingIt() throws Exception {
        SimDomain vm = SimDomain.idle("verbose-waiting-vm", 64);
        String digest = HOSTS.source.boot(vm);
        Installation.Running holder = holdWithAThrottledMigration(vm.name());
        Installation.Running waiting = HOSTS.migrateInBackground(vm.name(), "--live", "--verbose");
        awaitBeginWaitingForTheDomain(waiting, vm.name());
        // what it shows of the domain's job while another migration holds it (it polls four times a second)
        Poll.until("the second migration to show the domain's job", () -> Files.readString(waiting.err()).contains("Migration:"));

        HOSTS.source.ferryOk("migrate-setspeed", vm.name(), "0");
        Installation.Result completed = holder.await();
        Installation.Result refused = waiting.await();

        assertEquals(completed.toString(), 0, completed.exit());
        HOSTS.assertRunsOnlyOn(HOSTS.destination, vm.name(), digest);
        assertEquals(refused.toString(), 1, refused.exit());
        assertTrue(refused.err(), refused.err().matches("Migration: waiting for the job of domain verbose-waiting-vm \\(held by"
                + " migration [0-9a-f-]+, Outgoing migration\\)\nerror: [^\n]*\n"));
    }

    /** A peer-to-peer migration of {@code domain} at 1 MiB/s, once its memory is on its way: it holds the domain's job. */
    private static Installation.Running holdWithAThrottledMigration(String domain) throws Exception {
        Installation.Running holder = HOSTS.migrateInBackground(domain, "--live", "--p2p", "--bandwidth", "1");
        Poll.until("memory of " + domain + " on its way", () -> {
            if (!holder.isAlive()) {
                throw new AssertionError("the first migration ended before the second could wait for it:\n" + holder.await());
            }
            Matcher processed = Pattern.compile("Data processed: +([0-9.]+) MiB").matcher(jobInfo(HOSTS.source, domain));
            return processed.find() && Double.parseDouble(processed.group(1)) > 0;
        });
        return holder;
    }

    /** Until the Begin of {@code waiting}, a second migration of {@code domain}, waits for the domain's job. */
    private static void awaitBeginWaitingForTheDomain(Installation.Running waiting, String domain) throws Exception {
        String waits = "migration begin of domain " + domain + " waits up to 30 s for its job";
        Poll.until("the second migration's Begin to wait for " + domain, () -> {
            if (!waiting.isAlive()) {
                throw new AssertionError("the second migration ended before it waited:\n" + waiting.await());
            }
            return HOSTS.source.log().contains(waits);
        });
    }

    private static String jobInfo(DaemonProcess host, String domain) throws Exception {
        return host.ferryOk("domjobinfo", domain).out();
    }
}
