package io.ferry.core.migration;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.protocol.ChannelException;
import io.ferry.protocol.Messages;
import io.ferry.protocol.Messages.Outcome;
import io.ferry.protocol.MigrationFlags;
import org.junit.Test;

/**
 * A protocol-2 source killed (kill -9, a power cut) at PERFORMING whose domain is gone at its next start: transient,
 * or undefined by --undefinesource. Its copy is gone, by Perform's completion or with its VM, so the destination's
 * incoming VM is the only copy there can be: the driver that lost the Perform reply finishes on the source's word.
 */
public class KilledProtocol2SourceTest {
    private static final String VM = "vm1";

    /**
     * Killed between the destroy of its copy and the CONFIRMED record: the next start recorded ABORTED, and the driver,
     * asking the source's fate, cancelled the Finish: the destination dropped the only copy.
     */
    @Test
    public void aTransientSourceKilledAfterItsCopyStoppedLetsTheDestinationRunTheGuest() throws Exception {
        killedAfterItsCopyStopped(TwoDaemons.LIVE, true);
    }

    /**
     * The same with the definition kept here: the domain shut off, the restarted source settled the migration with the
     * destination (its driver silent), which dropped the only copy.
     */
    @Test
    public void aSourceKilledAfterItsCopyStoppedKeepsItsDefinitionAndLetsTheDestinationRunTheGuest() throws Exception {
        TwoDaemons d = killedAfterItsCopyStopped(TwoDaemons.LIVE, false);

        assertNotNull("the source keeps its definition", d.source.domain(VM).orElseThrow().persistent());
    }

    /** The same under --persistent --undefinesource: the guest and its definition were on neither host. */
    @Test
    public void anUndefiningSourceKilledAfterItsCopyStoppedLeavesTheDefinitionAtTheDestination() throws Exception {
        TwoDaemons d = killedAfterItsCopyStopped(TwoDaemons.PERSISTENT_UNDEFINE_SOURCE, false);

        assertNotNull("the destination keeps its definition", d.destination.domain(VM).orElseThrow().persistent());
    }

    /**
     * Killed as Perform rolled back a copy that died while its memory left: the destination's Finish, on the source's
     * word, fails on what it received, and nothing more is lost than the copy's death lost.
     */
    @Test
    public void aSourceWhoseCopyDiedWhileItsMemoryLeftHasTheDestinationFailItsFinish() throws Exception {
        TwoDaemons d = new TwoDaemons(false);
        d.source.boot(VM);
        d.source.domains().undefine(VM);
        FakeVm vm = d.source.vm(VM);
        vm.failSendAfter = 4096;
        vm.duringSend = vm::destroy;
        TwoDaemons.ByHand run = d.byHand(VM, TwoDaemons.LIVE.withV2()).prepare();
        d.source.journal.crashBefore = Step.ABORTED;
        assertThrows(Crash.class, run::perform);

        d.source.restart();

        assertEquals(Outcome.COMMITTED, d.peer(d.source).fate(run.begun.id(), run.begun.key()).outcome());
        ChannelException failed = assertThrows(ChannelException.class, () -> d.peer(d.destination)
                .finish(new Messages.Finish(run.begun.id(), run.begun.key(), false, null)));
        assertTrue(failed.getMessage(), failed.getMessage().contains("failed on the destination"));
        d.destination.assertGone(VM);
        d.source.assertGone(VM);
    }

    /**
     * A protocol-2 migration of {@code flags} (of a domain made transient first, if asked) whose source is killed right
     * before it records CONFIRMED, its copy stopped; the source restarted, the driver asks its fate and, as protocol
     * 2's does, finishes on its word.
     */
    private static TwoDaemons killedAfterItsCopyStopped(MigrationFlags flags, boolean transientDomain) throws Exception {
        TwoDaemons d = new TwoDaemons(false);
        String digest = d.source.boot(VM);
        if (transientDomain) {
            d.source.domains().undefine(VM);
        }
        TwoDaemons.ByHand run = d.byHand(VM, flags.withV2()).prepare();
        d.source.journal.crashBefore = Step.CONFIRMED;
        assertThrows(Crash.class, run::perform);
        d.destination.awaitMemoryEnded(run.begun.id());
        assertEquals(Step.PERFORMING, d.source.journal.only().step());

        d.source.restart();
        if (!transientDomain && !flags.undefineSource()) { // claimed until recovery's first look: not a rollback
            Exception refused = assertThrows(Exception.class, () -> d.source.engine().resume(VM, false));
            assertTrue(refused.getMessage(), refused.getMessage().endsWith("(see the log): it is then settled with its"
                    + " destination by itself, which says where vm1 runs"));
        }
        d.source.engine().tick(); // recovery's first look

        assertEquals(Outcome.COMMITTED, d.peer(d.source).fate(run.begun.id(), run.begun.key()).outcome());
        d.peer(d.destination).finish(new Messages.Finish(run.begun.id(), run.begun.key(), false, null));
        d.network.passes(9_000, d.source, d.destination); // beyond the driver timeout: nothing settles it otherwise
        d.destination.assertRuns(VM, digest);
        d.source.assertGone(VM);
        assertEquals(Step.CONFIRMED, d.source.journal.only().step());
        return d;
    }
}
