package io.ferry.core.migration;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.core.TestDirectories;
import io.ferry.core.domain.DomainException;
import io.ferry.core.domain.DomainState;
import io.ferry.protocol.MigrationFlags;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.Test;

/**
 * A domain without disks leases itself ({@code domain:UUID}), as libvirt's sanlock driver leases the VM beside its
 * disks: the definition a live --persistent migration left behind, or another host's definition of the same UUID,
 * does not start while the guest runs elsewhere. It had no lease at all, and started a second copy.
 */
public class DisklessDomainLeaseTest {
    private static final String VM = "appliance";
    private static final UUID ID = UUID.fromString("3c9a1f52-7d0e-4b8a-9f61-2e5d4c3b2a10");
    private static final String DISKLESS = "<domain type='" + FakeHypervisor.TYPE + "'><name>" + VM + "</name><uuid>" + ID
            + "</uuid><memory unit='KiB'>64</memory><vcpu>1</vcpu></domain>";
    private static final MigrationFlags LIVE_PERSISTENT = new MigrationFlags(true, false, false, false, true, false, false);

    @Test
    public void theDefinitionALiveMigrationLeftBehindDoesNotStartWhileTheGuestRunsElsewhere() throws Exception {
        TwoDaemons d = TwoDaemons.withFileLeases();
        d.source.domains().define(DISKLESS);
        d.source.domains().start(VM);
        String digest = d.source.digest(VM);

        d.migrate(VM, LIVE_PERSISTENT);
        assertEquals(DomainState.RUNNING, d.destination.domain(VM).orElseThrow().state());
        assertEquals(digest, d.destination.digest(VM));
        assertEquals(DomainState.SHUTOFF, d.source.domain(VM).orElseThrow().state());

        DomainException refused = assertThrows(DomainException.class, () -> d.source.domains().start(VM));
        assertTrue(refused.getMessage(), refused.getMessage().startsWith("Failed to acquire lock: resource domain:" + ID
                + " is held by destination ("));
        assertTrue(refused.getMessage(), refused.getMessage().endsWith(" for domain " + VM));
        assertEquals(DomainState.SHUTOFF, d.source.domain(VM).orElseThrow().state());

        d.destination.domains().destroy(VM); // gone there: its lease given back, the definition left behind starts
        d.source.domains().start(VM);
        assertEquals(DomainState.RUNNING, d.source.domain(VM).orElseThrow().state());
    }

    @Test
    public void twoHostsDefiningTheSameDisklessDomainRunItOnOneAtATime() throws Exception {
        TwoDaemons d = TwoDaemons.withFileLeases();
        d.source.domains().define(DISKLESS);
        d.destination.domains().define(DISKLESS);
        d.source.domains().start(VM);

        DomainException refused = assertThrows(DomainException.class, () -> d.destination.domains().start(VM));
        assertTrue(refused.getMessage(), refused.getMessage().contains("resource domain:" + ID + " is held by source ("));
        assertEquals(DomainState.SHUTOFF, d.destination.domain(VM).orElseThrow().state());
    }

    /**
     * A destination without leases cannot honour the domain's own lease: the lease state goes in the cookie for a
     * diskless guest too, so Prepare refuses it. Without it the guest arrived, its lease was left free at the source,
     * and the definition left behind there started a second copy.
     */
    @Test
    public void aDestinationWithoutLeasesRefusesADisklessGuestAtPrepare() throws Exception {
        TwoDaemons d = TwoDaemons.withFileLeases();
        d.destination.leasesOff = true;
        d.destination.restart();
        d.source.domains().define(DISKLESS);
        d.source.domains().start(VM);
        String digest = d.source.digest(VM);

        String refusal = d.migrationFails(VM).getMessage();

        assertTrue(refusal, refusal.contains("the source leases " + VM + " with lock manager file, and this host has no"
                + " lock manager"));
        assertEquals(DomainState.RUNNING, d.source.domain(VM).orElseThrow().state());
        assertEquals(digest, d.source.digest(VM));
        assertTrue(d.destination.domain(VM).isEmpty());
    }

    /**
     * Upgrade: a guest that runs since before domain leases has a status whose held state names none (an earlier
     * version took none); re-attached by the upgraded daemon, it takes its own lease fresh, not paused for lacking it.
     */
    @Test
    public void aGuestRunningSinceBeforeDomainLeasesTakesItsOwnAtReattach() throws Exception {
        Path leases = TestDirectories.create("ferry-domain-leases");
        TwoDaemons d = TwoDaemons.withFileLeases(leases);
        d.source.domains().define(DISKLESS);
        d.source.domains().start(VM);
        String digest = d.source.digest(VM);
        Path status = d.source.stateDir.resolve("status").resolve(VM + ".xml");
        String recorded = Files.readString(status);
        assertTrue(recorded, recorded.contains("<held-leases state="));
        Files.writeString(status, recorded.replaceAll("<held-leases state='[^']*'", "<held-leases state=''")
                .replaceAll("<held-leases state=\"[^\"]*\"", "<held-leases state=\"\""));
        try (Stream<Path> files = Files.list(leases)) { // as an earlier version left it: no lease of the domain itself
            for (Path file : files.toList()) {
                Files.delete(file);
            }
        }

        d.source.lockManagerLate = true;
        d.source.restart();
        d.source.domains().addLockManager("file", () -> TwoDaemons.fileLockManager(leases));

        assertEquals(DomainState.RUNNING, d.source.domain(VM).orElseThrow().state());
        assertEquals(digest, d.source.digest(VM));
        d.destination.domains().define(DISKLESS);
        DomainException refused = assertThrows(DomainException.class, () -> d.destination.domains().start(VM));
        assertTrue(refused.getMessage(), refused.getMessage().contains("resource domain:" + ID + " is held by source ("));
    }

}
