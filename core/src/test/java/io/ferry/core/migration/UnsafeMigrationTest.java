package io.ferry.core.migration;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import io.ferry.api.hypervisor.DiskStorage;
import io.ferry.api.hypervisor.HypervisorException;
import io.ferry.protocol.ChannelException;
import io.ferry.protocol.MigrationFlags;
import io.ferry.protocol.Messages.Finished;
import java.util.List;
import org.junit.Test;

/**
 * A live migration moves memory only: a VM whose writable disk is on storage only its host has is refused at Begin
 * without --unsafe (libvirt's qemuMigrationSrcIsSafe, VIR_ERR_MIGRATE_UNSAFE), and the guest stays where it runs.
 */
public class UnsafeMigrationTest {
    private static final String VM = "vm1";
    private static final MigrationFlags LIVE_UNSAFE = new MigrationFlags(true, false, false, false, false, false, false, true);
    private static final MigrationFlags OFFLINE = new MigrationFlags(false, false, false, true, true, false, false);

    @Test
    public void aDiskOnUnsharedStorageRefusesALiveMigrationNamingIt() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        d.source.vm(VM).unsharedDisks = List.of(new DiskStorage.Unshared("/disks/vm1.img", "ext4"),
                new DiskStorage.Unshared("/disks/vm1-data.img", "xfs"));

        ChannelException refused = d.migrationFails(VM);

        assertEquals("Unsafe migration: Migration without shared storage is unsafe (disk /disks/vm1.img is on ext4, disk"
                + " /disks/vm1-data.img is on xfs): migrate with --unsafe if the hosts share that storage anyway, or name it with ferryd"
                + " --shared-path DIR", refused.getMessage());
        d.source.assertRuns(VM, digest);
        d.destination.assertGone(VM);
        assertTrue("Begin journaled the refused migration", d.source.journal.all().isEmpty());
        assertTrue("the destination heard of it", d.destination.journal.all().isEmpty());
    }

    @Test
    public void withUnsafeItMigratesAndNoJournalKeepsTheFlag() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        d.source.vm(VM).unsharedDisks = List.of(new DiskStorage.Unshared("/disks/vm1.img", "ext4"));

        Finished finished = d.migrate(VM, LIVE_UNSAFE);

        d.destination.assertRuns(VM, digest);
        d.source.assertGone(VM);
        assertFalse(d.source.journal.find(finished.id()).orElseThrow().flags().unsafe());
        assertFalse(d.destination.journal.find(finished.id()).orElseThrow().flags().unsafe());
        assertTrue(d.source.journal.find(finished.id()).orElseThrow().flags().live());
    }

    @Test
    public void sharedStorageMigratesWithoutUnsafe() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        d.source.vm(VM).unsharedDisks = List.of();

        d.migrate(VM);

        d.destination.assertRuns(VM, digest);
        d.source.assertGone(VM);
    }

    /** An offline migration moves the definition only, and nothing runs at the destination: libvirt skips the check too. */
    @Test
    public void anOfflineMigrationIsNotChecked() throws Exception {
        TwoDaemons d = new TwoDaemons();
        d.source.boot(VM);
        d.source.vm(VM).storageFailure = new HypervisorException("must not be asked");

        d.migrate(VM, OFFLINE);

        assertTrue(d.destination.domain(VM).isPresent());
    }

    @Test
    public void storageThatCannotBeToldRefusesWithTheDriversReason() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        d.source.vm(VM).storageFailure = new HypervisorException("cannot tell the file system of disk /disks/vm1.img:"
                + " Permission denied");

        ChannelException refused = d.migrationFails(VM);

        assertEquals("cannot tell the file system of disk /disks/vm1.img: Permission denied", refused.getMessage());
        d.source.assertRuns(VM, digest);
        d.destination.assertGone(VM);
    }
}
