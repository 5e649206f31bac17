package io.ferry.core.migration;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import io.ferry.core.TestDirectories;
import io.ferry.protocol.ChannelException;
import io.ferry.protocol.Messages;
import io.ferry.protocol.MigrationDriver;
import io.ferry.protocol.MigrationFlags;
import java.util.List;
import org.junit.Test;

/**
 * VMs that move their memory over a connection of their own and have no digest (QEMU's, through the api's
 * DirectMigration): the engine hands the destination's URI to the source's VM and takes the hypervisor's word
 * that the memory loaded, shown as not verified; tunnelled migrations and daemons with a TLS control channel keep
 * to the core's streams, which carry a token (and later TLS) where the VMs' own connection would carry the
 * memory in the clear.
 */
public class DirectMigrationTest {
    private static final String VM = "direct-vm";

    private static TwoDaemons direct() throws Exception {
        TwoDaemons d = new TwoDaemons();
        d.source.hypervisor.direct = true;
        d.destination.hypervisor.direct = true;
        return d;
    }

    @Test
    public void theMemoryGoesOverTheVmsOwnConnectionAndIsNotCalledVerified() throws Exception {
        TwoDaemons d = direct();
        String contents = d.source.boot(VM);
        FakeDirectVm source = (FakeDirectVm) d.source.vm(VM);

        d.migrate(VM);

        d.destination.assertRuns(VM, contents);
        d.source.assertGone(VM);
        FakeDirectVm arrived = (FakeDirectVm) d.destination.vm(VM);
        assertEquals(List.of("listen", "await"), arrived.events);
        assertTrue(source.events.toString(), source.events.get(0).matches("send tcp:127\\.0\\.0\\.1:[0-9]+"));
        assertFalse("no digest was checked", d.source.engine().jobs().lastEnded(VM).orElseThrow().stats().memoryVerified());
        assertFalse(d.destination.engine().jobs().lastEnded(VM).orElseThrow().stats().memoryVerified());
    }

    @Test
    public void aDestinationDaemonThatDiesWhileTheVmsSendTheirMemoryCancelsTheTransferAndTheGuestGoesOnAtTheSource()
            throws Exception {
        TwoDaemons d = direct();
        String contents = d.source.boot(VM);
        // the destination's VM keeps reading what the source's sends, but its daemon is gone
        ((FakeDirectVm) d.source.vm(VM)).whileSending = () -> d.network.down(d.destination);

        ChannelException e = d.migrationFails(VM);

        assertTrue(e.getMessage(), e.getMessage().startsWith("lost connection to the destination host's daemon ("));
        assertTrue(e.getMessage(), e.getMessage().endsWith("): the migration was canceled and direct-vm goes on here"));
        d.source.assertRuns(VM, contents);
        // back, the destination hears no driver and learns from the source that the migration was aborted
        d.network.up(d.destination);
        d.network.passes(d.network.timing.driverTimeoutMillis() + 1, d.destination);
        d.destination.assertGone(VM);
    }

    @Test
    public void theDestinationHandsOutNoTokenForTheVmsOwnConnection() throws Exception {
        TwoDaemons d = direct();
        d.source.boot(VM);

        TwoDaemons.ByHand migration = d.byHand(VM).prepare();

        assertNull(migration.prepared.token());
        assertTrue(migration.prepared.dataUri(), migration.prepared.dataUri().startsWith("tcp:127.0.0.1:"));
        migration.perform();
        assertNotNull(migration.finish().domain());
        migration.confirm(false, null);
        d.source.assertGone(VM);
    }

    @Test
    public void peerToPeerToo() throws Exception {
        TwoDaemons d = direct();
        String contents = d.source.boot(VM);

        d.source.engine().migrate(new Messages.Migrate(VM, d.destination.uri, TwoDaemons.P2P, null, null, 0),
                MigrationDriver.Listener.NONE);

        d.destination.assertRuns(VM, contents);
        assertEquals(List.of("listen", "await"), ((FakeDirectVm) d.destination.vm(VM)).events);
    }

    @Test
    public void aTunnelledMigrationKeepsTheCoresStreams() throws Exception {
        TwoDaemons d = direct();
        String contents = d.source.boot(VM);
        FakeDirectVm source = (FakeDirectVm) d.source.vm(VM);

        d.source.engine().migrate(new Messages.Migrate(VM, d.destination.uri,
                new MigrationFlags(true, true, true, false, false, false, false), null, null, 0), MigrationDriver.Listener.NONE);

        d.destination.assertRuns(VM, contents);
        assertEquals(List.of("stream in"), ((FakeDirectVm) d.destination.vm(VM)).events);
        assertEquals("stream out", source.events.get(0));
    }

    @Test
    public void aDestinationWithATlsControlChannelKeepsTheCoresTokenAndStream() throws Exception {
        TwoDaemons d = direct();
        java.nio.file.Path dir = TestDirectories.create("direct-tls");
        io.ferry.core.control.TestPki pki = new io.ferry.core.control.TestPki(dir, "secret");
        // named as the destination's URI names it (test://destination), not by the data URI's address
        javax.net.ssl.SSLContext identity = pki.files(pki.issue("daemon", "dns:destination")).load();
        d.source.withTls(identity);
        d.destination.withTls(identity);
        String contents = d.source.boot(VM);
        FakeDirectVm source = (FakeDirectVm) d.source.vm(VM);

        TwoDaemons.ByHand migration = d.byHand(VM).prepare();
        assertNotNull("the core's data channel, with its token", migration.prepared.token());
        migration.perform();
        migration.confirm(false, migration.finish().cookie());

        d.destination.assertRuns(VM, contents);
        assertEquals(List.of("stream in"), ((FakeDirectVm) d.destination.vm(VM)).events);
        assertEquals("stream out", source.events.get(0));
        assertFalse(d.destination.engine().jobs().lastEnded(VM).orElseThrow().stats().memoryVerified());
    }

    @Test
    public void confirmWaitsForTheGraphicsClientsBeforeTheSourceGoes() throws Exception {
        TwoDaemons d = direct();
        d.source.boot(VM);
        FakeDirectVm source = (FakeDirectVm) d.source.vm(VM);

        d.migrate(VM);

        assertEquals(List.of("graphics wait", "destroy"), source.events.subList(1, source.events.size()));
    }
}
