package io.ferry.e2e;

import static org.junit.Assert.assertTrue;

import java.util.Map;
import org.junit.ClassRule;
import org.junit.Test;

/**
 * A peer that only speaks migration protocol 2 ({@code ferryd --protocols 2}, like an old libvirt): the
 * migration falls back to Prepare, Perform, Finish without cookies, whichever side is the old one.
 */
public class MigrationProtocolTwoIT {
    @ClassRule
    // protocol 2 carries no cookie, so no lock state: it is only possible without a stateful lock manager (LeasesIT)
    public static final TwoHosts HOSTS = new TwoHosts(new String[] {"--lock-manager", "none"}, Map.of(),
            new String[] {"--protocols", "2", "--lock-manager", "none"});

    @Test
    public void clientManagedToAProtocolTwoDestination() throws Exception {
        SimDomain vm = SimDomain.idle("v2-managed-vm", 16);
        String digest = HOSTS.source.boot(vm);

        HOSTS.migrateOk(vm.name(), "--live");

        assertVerifiedOn(HOSTS.destination, vm.name());
        HOSTS.assertRunsOnlyOn(HOSTS.destination, vm.name(), digest);
    }

    @Test
    public void peerToPeerToAProtocolTwoDestination() throws Exception {
        SimDomain vm = SimDomain.idle("v2-p2p-vm", 16);
        String digest = HOSTS.source.boot(vm);

        HOSTS.migrateOk(vm.name(), "--live", "--p2p");

        assertVerifiedOn(HOSTS.destination, vm.name());
        HOSTS.assertRunsOnlyOn(HOSTS.destination, vm.name(), digest);
    }

    @Test
    public void clientManagedFromAProtocolTwoSource() throws Exception {
        SimDomain vm = SimDomain.idle("v2-back-managed-vm", 16);
        String digest = HOSTS.source.boot(vm);
        HOSTS.migrateOk(vm.name(), "--live");

        HOSTS.migrateOk(HOSTS.destination, vm.name(), "--live");

        assertVerifiedOn(HOSTS.source, vm.name());
        HOSTS.assertRunsOnlyOn(HOSTS.source, vm.name(), digest);
    }

    @Test
    public void peerToPeerFromAProtocolTwoSource() throws Exception {
        SimDomain vm = SimDomain.idle("v2-back-p2p-vm", 16);
        String digest = HOSTS.source.boot(vm);
        HOSTS.migrateOk(vm.name(), "--live", "--p2p");

        HOSTS.migrateOk(HOSTS.destination, vm.name(), "--live", "--p2p");

        assertVerifiedOn(HOSTS.source, vm.name());
        HOSTS.assertRunsOnlyOn(HOSTS.source, vm.name(), digest);
    }

    private static void assertVerifiedOn(DaemonProcess host, String domain) throws Exception {
        String job = host.ferryOk("domjobinfo", domain, "--completed").out();
        assertTrue(job, job.contains("Memory verified:  yes"));
    }
}
