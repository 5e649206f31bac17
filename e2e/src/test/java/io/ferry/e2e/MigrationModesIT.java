package io.ferry.e2e;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.ClassRule;
import org.junit.Test;

/**
 * {@code ferry migrate} in each of its modes between two real daemons: client-managed (the command drives the
 * phases), peer-to-peer (the source daemon does), tunnelled (memory through the control channel), renamed.
 */
public class MigrationModesIT {
    @ClassRule
    public static final TwoHosts HOSTS = TwoHosts.standard();

    @Test
    public void clientManagedLiveMigrationWithProgressAndVerifiedMemory() throws Exception {
        SimDomain vm = SimDomain.idle("managed-vm", 32);
        String digest = HOSTS.source.boot(vm);

        Installation.Result result = HOSTS.migrateOk(vm.name(), "--live", "--verbose");
        assertTrue(result.toString(), result.err().contains("Migration: [100 %]"));

        String arrived = HOSTS.destination.ferryOk("domjobinfo", vm.name(), "--completed").out();
        assertTrue(arrived, arrived.contains("Job type:         Completed"));
        assertTrue(arrived, arrived.contains("Memory verified:  yes"));
        String left = HOSTS.source.ferryOk("domjobinfo", "--completed", vm.name()).out();
        assertTrue(left, left.contains("Job type:         Completed"));
        HOSTS.assertRunsOnlyOn(HOSTS.destination, vm.name(), digest);
    }

    @Test
    public void peerToPeer() throws Exception {
        SimDomain vm = SimDomain.idle("p2p-vm", 16);
        String digest = HOSTS.source.boot(vm);

        HOSTS.migrateOk(vm.name(), "--live", "--p2p");

        assertTrue(HOSTS.destination.ferryOk("domjobinfo", vm.name(), "--completed").out().contains("Memory verified:  yes"));
        HOSTS.assertRunsOnlyOn(HOSTS.destination, vm.name(), digest);
    }

    @Test
    public void peerToPeerTunnelled() throws Exception {
        SimDomain vm = SimDomain.idle("tunnelled-vm", 16);
        String digest = HOSTS.source.boot(vm);

        HOSTS.migrateOk(vm.name(), "--live", "--p2p", "--tunnelled");

        assertTrue(HOSTS.destination.ferryOk("domjobinfo", vm.name(), "--completed").out().contains("Memory verified:  yes"));
        HOSTS.assertRunsOnlyOn(HOSTS.destination, vm.name(), digest);
    }

    @Test
    public void tunnelledNeedsPeerToPeer() throws Exception {
        SimDomain vm = SimDomain.idle("not-tunnelled-vm", 16);
        String digest = HOSTS.source.boot(vm);

        Installation.Result result = HOSTS.migrate(vm.name(), "--live", "--tunnelled");

        assertEquals(result.toString(), 1, result.exit());
        assertEquals("", result.out());
        assertEquals("error: migrate: --tunnelled requires --p2p\n", result.err());
        assertEquals("untouched", "running (booted)", HOSTS.source.dominfo(vm.name()).get("State"));
        HOSTS.assertRunsOnlyOn(HOSTS.source, vm.name(), digest);
    }

    /**
     * A guest that dirties 16 MiB/s against a 4 MiB/s cap never converges: --timeout suspends it here so that it
     * does, and it runs on the destination, where it ran before. Its last round was not the sender's cap on rounds
     * (30), which ends a migration that never converges by pausing it anyway.
     */
    @Test
    public void timeoutSuspendsAGuestThatNeverConvergesAndItRunsOnTheDestination() throws Exception {
        for (boolean p2p : new boolean[] {false, true}) {
            SimDomain vm = SimDomain.idle(p2p ? "timeout-p2p-vm" : "timeout-vm", 8).dirtying(4000);
            HOSTS.source.boot(vm);
            List<String> flags = new ArrayList<>(List.of("--live", "--bandwidth", "4", "--timeout", "2", "--verbose"));
            if (p2p) {
                flags.add("--p2p");
            } else {
                flags.add("--timeout-suspend");
            }

            Installation.Result result = HOSTS.migrateOk(vm.name(), flags.toArray(String[]::new));

            assertTrue(result.toString(), result.err().contains("Migration: timed out after 2 s; domain " + vm.name()
                    + " suspended so that it converges"));
            HOSTS.assertRunsOnlyOn(HOSTS.destination, vm.name(), null);
            Map<String, String> job = HOSTS.destination.fields("domjobinfo", vm.name(), "--completed");
            assertTrue(job.toString(), Integer.parseInt(job.get("Iteration")) < 30);
        }
    }

    /** --suspend: the guest arrives paused and stays so, as its operator's (paused (user)), with or without --p2p. */
    @Test
    public void suspendLeavesTheGuestPausedOnTheDestination() throws Exception {
        for (String mode : new String[] {"--live", "--p2p"}) {
            SimDomain vm = SimDomain.idle(mode.equals("--p2p") ? "suspend-p2p-vm" : "suspend-vm", 16);
            String digest = HOSTS.source.boot(vm);

            HOSTS.migrateOk(vm.name(), "--live", mode, "--suspend");

            assertEquals("paused (user)", HOSTS.destination.dominfo(vm.name()).get("State"));
            String there = HOSTS.source.state(vm.name());
            assertTrue(vm.name() + " on the source: " + there, there == null || there.equals("shut off"));
            assertEquals("Domain '" + vm.name() + "' resumed\n", HOSTS.destination.ferryOk("resume", vm.name()).out());
            HOSTS.assertRunsOnlyOn(HOSTS.destination, vm.name(), digest);
        }
    }

    /** ferry suspend: paused (user) until ferry resume; a shut-off domain is refused by name. */
    @Test
    public void suspendAndResume() throws Exception {
        SimDomain vm = SimDomain.idle("suspended-vm", 16);
        String digest = HOSTS.source.boot(vm);

        assertEquals("Domain 'suspended-vm' suspended\n", HOSTS.source.ferryOk("suspend", vm.name()).out());
        assertEquals("paused (user)", HOSTS.source.dominfo(vm.name()).get("State"));
        assertEquals("Domain 'suspended-vm' resumed\n", HOSTS.source.ferryOk("resume", vm.name()).out());
        HOSTS.assertRunsOnlyOn(HOSTS.source, vm.name(), digest);
        HOSTS.source.ferryOk("destroy", vm.name());
        Installation.Result refused = HOSTS.source.ferry("suspend", vm.name());
        assertEquals(refused.toString(), "error: Requested operation is not valid: domain suspended-vm is not running (shut off)\n",
                refused.err());
    }

    @Test
    public void destinationNameRunsTheDomainUnderItsNewName() throws Exception {
        SimDomain vm = SimDomain.idle("named-vm", 16);
        String digest = HOSTS.source.boot(vm);

        HOSTS.migrateOk(vm.name(), "--live", "--dname", "renamed-vm");

        assertEquals(vm.uuid().toString(), HOSTS.destination.dominfo("renamed-vm").get("UUID"));
        assertEquals("the old name is not used on the destination", Optional.empty(), HOSTS.destination.listedState(vm.name()));
        HOSTS.assertRunsOnlyOn(HOSTS.destination, "renamed-vm", digest);
        assertEquals("the source keeps its persistent definition, shut off", Optional.of("shut off"),
                HOSTS.source.listedState(vm.name()));
    }
}
