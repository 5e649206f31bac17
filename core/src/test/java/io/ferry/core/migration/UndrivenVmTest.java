package io.ferry.core.migration;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import io.ferry.core.domain.DomainState;
import io.ferry.protocol.ChannelException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.Test;

/**
 * A VM of a domain that the daemon does not drive (a QEMU that a daemon killed in a start left: the restarted one
 * takes the domain for shut off) may write the guest's disks. Its driver refuses a second VM of the domain, and what
 * leads to the one that runs, its run directory, stays: without the daemon's record of that QEMU, its pidfile and its
 * QMP socket, the next start looks for it by its command line, which a guest that rewrote its argv defeats.
 */
public class UndrivenVmTest {
    private static final String VM = "vm1";

    /**
     * The destination's driver refused the incoming VM because a QEMU of the domain that it does not drive ran there,
     * and the Prepare deleted that QEMU's run directory as that of any incoming VM that could not be made: the next
     * start there found no trace of it and could start a second VM on the same disks.
     */
    @Test
    public void anArrivalRefusedWhileAnUndrivenVmOfTheDomainRunsKeepsItsRunDirectory() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        d.destination.domains().define(TestHost.definition(VM)); // shut off here, as the restarted daemon took it
        Path runDir = d.destination.domains().store().runDir(TestHost.uuid(VM));
        List<Path> runFiles = List.of(runDir.resolve("qemu.started"), runDir.resolve("qemu.pid"),
                runDir.resolve("qmp.sock"));
        for (Path file : runFiles) {
            Files.writeString(file, "of the QEMU that runs");
        }
        d.destination.hypervisor.strayVm = "QEMU process 4242 that " + runFiles.get(0) + " records still runs, not"
                + " driven by this daemon: stop it first";

        ChannelException refused = d.migrationFails(VM);

        for (Path file : runFiles) {
            assertTrue("the undriven VM's " + file.getFileName(), Files.exists(file));
        }
        assertTrue(refused.getMessage(), refused.getMessage().endsWith(d.destination.hypervisor.strayVm
                + "; the run directory of domain " + VM + " stays this host's while that VM runs"));
        d.source.assertRuns(VM, digest);
        assertEquals(DomainState.SHUTOFF, d.destination.domain(VM).orElseThrow().state());
    }
}
