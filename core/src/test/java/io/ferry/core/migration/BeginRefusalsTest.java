package io.ferry.core.migration;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.core.domain.DomainState;
import io.ferry.protocol.ChannelException;
import io.ferry.protocol.Messages.Begin;
import io.ferry.protocol.MigrationFlags;
import org.junit.Test;

/**
 * What Begin refuses by libvirt's rules before the domain's job is taken, and a Begin that fails after: nothing stays
 * claimed, and the domain stays as it was.
 */
public class BeginRefusalsTest {
    private static final String VM = "vm1";

    /** A tunnelled migration goes through the source daemon, so only peer to peer. */
    @Test(timeout = 60_000)
    public void aTunnelledMigrationThatIsNotPeerToPeerIsRefused() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        refused(d, new MigrationFlags(true, false, true, false, false, false, false),
                "cannot perform tunnelled migration without using peer2peer flag");
        d.source.assertRuns(VM, digest);
    }

    /** Only an offline migration moves a domain that does not run. */
    @Test(timeout = 60_000)
    public void aLiveMigrationOfADomainThatDoesNotRunIsRefused() throws Exception {
        TwoDaemons d = new TwoDaemons();
        d.source.domains().define(TestHost.definition(VM));
        refused(d, TwoDaemons.LIVE, "Requested operation is not valid: domain is not running");
        assertEquals(DomainState.SHUTOFF, d.source.domain(VM).orElseThrow().state());
    }

    /** An offline migration moves the definition alone: a transient domain has none to move, and needs --persistent. */
    @Test(timeout = 60_000)
    public void anOfflineMigrationWithoutPersistentIsRefused() throws Exception {
        TwoDaemons d = new TwoDaemons();
        d.source.domains().define(TestHost.definition(VM));
        refused(d, new MigrationFlags(false, false, false, true, false, false, false),
                "offline migration requires a persistent domain and --persistent");
        d.destination.assertGone(VM);
    }

    /** A destination definition its driver gives (--xml) may not change what the guest sees (libvirt's ABI check). */
    @Test(timeout = 60_000)
    public void aDestinationDefinitionThatChangesTheGuestsAbiIsRefused() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        String xml = TestHost.definition(VM).replace("<vcpu>1</vcpu>", "<vcpu>2</vcpu>");
        ChannelException e = assertThrows(ChannelException.class,
                () -> d.peer(d.source).begin(new Begin(VM, TwoDaemons.LIVE, null, xml, 0)));
        assertTrue(e.getMessage(), e.getMessage().endsWith("unsupported configuration: Target vCPU count 2 does not match"
                + " source 1 (migrate --xml may not change the guest ABI)"));
        assertNull("the domain is claimed", d.source.domain(VM).orElseThrow().migration());
        d.source.assertRuns(VM, digest);
    }

    /**
     * A Begin whose record cannot be written (a full disk) fails after it registered its migration: it must let it go,
     * or the operator's domjobabort of the domain found that dead migration rather than say no job is active.
     */
    @Test(timeout = 60_000)
    public void aBeginWhoseRecordCannotBeWrittenLeavesNoMigrationInHand() throws Exception {
        TwoDaemons d = new TwoDaemons();
        String digest = d.source.boot(VM);
        d.source.journal.failAt = Step.BEGUN;
        refused(d, TwoDaemons.LIVE, "No space left on device");
        d.source.journal.failAt = null;

        Exception e = assertThrows(Exception.class, () -> d.source.engine().abortJob(VM));
        assertEquals("Requested operation is not valid: no job is active on the domain", e.getMessage());
        d.source.assertRuns(VM, digest);
    }

    private static void refused(TwoDaemons d, MigrationFlags flags, String refusal) {
        ChannelException e = assertThrows(ChannelException.class,
                () -> d.peer(d.source).begin(new Begin(VM, flags, null, null, 0)));
        assertTrue(e.getMessage(), e.getMessage().endsWith(refusal));
        assertFalse(d.source.engine().jobs().active(VM).isPresent());
        assertNull("the domain is claimed", d.source.domain(VM).orElseThrow().migration());
    }
}
